/**
 * How stale the progress a pass records may get while it delivers page after page: its run's
 * counts (`linked deliveries`) and the emitter's last success (`linked status`, the UI).
 */
export const PROGRESS_EVERY_MS = 60_000;

/** What one page commit writes besides the page's record and its cursor. */
export interface ProgressWrite<A> {
  /** The answer written to the emitter's health record; undefined: the record is left alone. */
  answer: A | undefined;
  /** Whether the run's counts are written. */
  counts: boolean;
}

/**
 * Which of a pass's page commits write its progress. Each page's record and cursor move in its
 * commit; beside them, the run's counts and the emitter's health record (an answered page ends any
 * failure episode and block; an accepted one is the last success) took a statement each in every
 * commit, a round trip each on Snowflake, that after the first page only report progress. So:
 * - the health record is written by the pass's first answered page, by the first answered page
 *   after a failure started in the pass, and otherwise when the success it holds is `everyMs` old;
 *   a success committed but not written is written when the pass ends (`unwritten`);
 * - the run's counts are written by a commit `everyMs` after they were last (the run's row holds
 *   zeros from its start); the end of the run writes its final counts, so a pass shorter than
 *   `everyMs` writes none in its commits, and only a run whose process died keeps counts up to
 *   `everyMs` behind its committed pages (which the delivery log records exactly).
 */
export class ProgressWrites {
  /** The health record may say more than the time of the last success (at the start, and after a failure). */
  private stale = true;
  private successWrittenAt = -Infinity;
  private countsWrittenAt: number;
  private pending: Date | null = null;

  /** `startedAt`: when the run's row was recorded, with its counts at zero. */
  constructor(
    startedAt: Date,
    private readonly everyMs = PROGRESS_EVERY_MS,
  ) {
    this.countsWrittenAt = startedAt.getTime();
  }

  /** A failure started or was recorded: the next answered page writes the health record. */
  failed(): void {
    this.stale = true;
  }

  /** What the page commit at `at`, answered so, writes. */
  forCommit<A extends 'accepted' | 'refused'>(answer: A | undefined, at: Date): ProgressWrite<A> {
    const now = at.getTime();
    const counts = now - this.countsWrittenAt >= this.everyMs;
    if (counts) this.countsWrittenAt = now;
    return { answer: this.healthAnswer(answer, at), counts };
  }

  private healthAnswer<A extends 'accepted' | 'refused'>(answer: A | undefined, at: Date): A | undefined {
    if (answer === undefined) return undefined;
    const success = answer === 'accepted';
    if (!this.stale && !(success && at.getTime() - this.successWrittenAt >= this.everyMs)) {
      if (success) this.pending = at;
      return undefined;
    }
    this.stale = false;
    if (success) {
      this.successWrittenAt = at.getTime();
      this.pending = null;
    }
    return answer;
  }

  /** The last success committed since the health record was last written, if any (then forgotten). */
  unwritten(): Date | null {
    const at = this.pending;
    this.pending = null;
    return at;
  }
}
