import type { PageCommit } from '../state/delivery/recorder.js';
import type { Cursor, DeadLetterInput, RunCounts, SourceRow } from '../state/delivery/types.js';
import { messageIdPrefix, type BuiltPage } from './build-event.js';
import type { ResolvedEmitter } from './emitter-context.js';
import type { ProgressWrites } from './progress-writes.js';
import type { PageOutcome } from './send/batch.js';
import { answerOf } from './send/budget.js';

/** What a page's commit records: its handled prefix, through one row. */
export interface HandledPrefix {
  through: SourceRow;
  deadLetters: DeadLetterInput[];
  /** The run's counts once the prefix is recorded. */
  counts: RunCounts;
  /** Events of the prefix the destination accepted. */
  sent: number;
  /** Whether the destination answered the prefix's events (`answerOf`): what ends a failure episode. */
  answer: ReturnType<typeof answerOf>;
}

/** What one committed page added to its run's counts. */
export interface PageCounts {
  sent: number;
  deadLettered: number;
}

/** Counts a page's handled prefix into the run's counts; undefined when nothing was handled. */
export function handledPrefix(page: BuiltPage, outcome: PageOutcome, counts: RunCounts): HandledPrefix | undefined {
  if (outcome.throughIndex < 0) return undefined;
  const through = page.rows[outcome.throughIndex];
  const deadLetters = outcome.deadLetters.filter((d) => d.row.id <= through.id);
  const sent = outcome.sentRows.filter((row) => row.id <= through.id).length;
  counts.deadLettered += deadLetters.length;
  counts.sent += sent;
  return { through, deadLetters, counts: { ...counts }, sent, answer: answerOf({ sent, deadLetters }) };
}

/**
 * The record stage of one emitter's delivery: each handled prefix is committed (record, dead
 * letters, cursor, and the progress the pass's ProgressWrites lets through, in one transaction)
 * after the previous one, in page order, while the next pages are sent.
 */
export class PageRecords {
  private committing: Promise<Cursor>;

  constructor(
    /** Records one commit (shared-bookkeeping.ts: with those of the emitters committing beside it). */
    private readonly record: (commit: PageCommit) => Promise<Cursor>,
    private readonly runId: string,
    private readonly r: ResolvedEmitter,
    start: Cursor,
    private readonly now: () => Date,
    /** Which commits write the run's counts and the emitter's health record. */
    private readonly progress: ProgressWrites,
    /** After each commit: the run's counts, and what this commit added to them. */
    private readonly onCommitted?: (counts: RunCounts, page: PageCounts) => void,
  ) {
    this.committing = Promise.resolve(start);
  }

  /** Queues the commit of a handled prefix; its failure surfaces from settled(). */
  commit(prefix: HandledPrefix): void {
    this.committing = this.committing.then(async (cursor) => {
      const now = this.now();
      const progress = this.progress.forCommit(prefix.answer, now);
      const committed = await this.record({
        runId: this.runId,
        emitter: this.r.emitter,
        destinationKey: this.r.destination.key,
        eventName: this.r.eventName,
        cursor,
        source: prefix.through.source,
        throughId: prefix.through.id,
        messageIdPrefix: messageIdPrefix(this.r.emitter.key, prefix.through.source, cursor.backfillEpoch),
        deadLetters: prefix.deadLetters,
        counts: progress.counts ? prefix.counts : undefined,
        now,
        answer: progress.answer,
      });
      this.onCommitted?.(prefix.counts, { sent: prefix.sent, deadLettered: prefix.deadLetters.length });
      return committed;
    });
    this.committing.catch(() => undefined);
  }

  /**
   * Resolves once every queued commit is done (failures surface from settled()). The next page is
   * sent only then, so a crash resends at most two pages: the one being sent and the one started
   * beside it, which no commit waits for. Without it, commits slower than sends would fall
   * further behind, and a crash would resend every page acknowledged but not yet recorded.
   */
  recorded(): Promise<unknown> {
    return this.committing.catch(() => undefined);
  }

  /** The cursor once every queued commit is done. */
  settled(): Promise<Cursor> {
    return this.committing;
  }
}
