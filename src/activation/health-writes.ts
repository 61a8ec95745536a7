/**
 * How stale an emitter's last success may be in its health record while a pass delivers page
 * after page (`linked status`, the UI): the record is rewritten at most this often for a success alone.
 */
export const LAST_SUCCESS_EVERY_MS = 60_000;

/**
 * Which of a pass's page commits write the emitter's health record. A page the destination
 * answered ends any failure episode and block, and an accepted one is the emitter's last success.
 * Written with every page, that is a statement in each page's commit (a round trip on Snowflake)
 * that, after the pass's first page, only moves the time of the last success. So the record is
 * written by the first answered page of the pass, by the first answered page after a failure
 * started in it, and otherwise when the success it holds is `everyMs` old; a success committed
 * but not written is written once when the pass ends (`unwritten`).
 */
export class HealthWrites {
  /** The record may say more than the time of the last success (at the start, and after a failure). */
  private stale = true;
  private writtenAt = -Infinity;
  private pending: Date | null = null;

  constructor(private readonly everyMs = LAST_SUCCESS_EVERY_MS) {}

  /** A failure started or was recorded: the next answered page writes the record. */
  failed(): void {
    this.stale = true;
  }

  /** The answer the page commit at `at` writes to the record; undefined when it writes none. */
  forCommit<A extends 'accepted' | 'refused'>(answer: A | undefined, at: Date): A | undefined {
    if (answer === undefined) return undefined;
    const success = answer === 'accepted';
    if (!this.stale && !(success && at.getTime() - this.writtenAt >= this.everyMs)) {
      if (success) this.pending = at;
      return undefined;
    }
    this.stale = false;
    if (success) {
      this.writtenAt = at.getTime();
      this.pending = null;
    }
    return answer;
  }

  /** The last success committed since the record was last written, if any (then forgotten). */
  unwritten(): Date | null {
    const at = this.pending;
    this.pending = null;
    return at;
  }
}
