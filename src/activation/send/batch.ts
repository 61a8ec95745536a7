import type { DeadLetterInput, RunCounts, SourceRow } from '../../state/delivery/types.js';
import { MAX_EVENT_BYTES, type BuiltEvent, type BuiltPage } from '../build-event.js';
import { adapterOf, batchSizeOf } from '../destinations/index.js';
import type { ResolvedEmitter } from '../emitter-context.js';
import type { RetryBudget } from './budget.js';
import { deadLetter, type BatchGate, type BlockedAnswer, type ChunkResult, type Sender } from './sender.js';
import { formatCount } from '../../model/count.js';

/** Splits events into requests by count and by bytes, keeping row order. */
export function chunkEvents(events: BuiltEvent[], maxCount: number, maxBytes: number | undefined): BuiltEvent[][] {
  const out: BuiltEvent[][] = [];
  let current: BuiltEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    if (current.length > 0 && (current.length >= maxCount || (maxBytes !== undefined && bytes + e.bytes > maxBytes))) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.bytes + 1;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The requests of a destination for `events`: its batch size and byte limit. */
export function requestsOf(r: ResolvedEmitter, events: BuiltEvent[]): BuiltEvent[][] {
  return chunkEvents(events, batchSizeOf(r.destination), adapterOf(r.destination.type).maxBatchBytes);
}

export const tooLargeReason = (bytes: number) =>
  `The event is ${formatCount(bytes)} bytes; destinations accept at most 32 KB (${formatCount(MAX_EVENT_BYTES)} bytes). Select fewer enrichment columns or entities.`;

export interface PageOutcome {
  /** Index in page.rows of the last row of the handled prefix; -1 when none. */
  throughIndex: number;
  sentRows: SourceRow[];
  deadLetters: DeadLetterInput[];
  /** Set when a request stopped: rows from its first unhandled one on stay after the cursor. */
  error?: string;
  /** Set when the destination refused the credentials (the stop is not the events' fault). */
  blocked?: BlockedAnswer;
  /** Set when the page stopped because the process is stopping, not on a failure: nothing failed. */
  stopping?: true;
}

/**
 * Sends a page's events in the destination's batches, concurrently except where a user's events
 * span batches: a batch waits for every earlier batch holding one of its users, and is not sent
 * when one of those stopped, so a user's events reach the destination in order (an Exited never
 * before the Entered it follows). Oversize events are dead-lettered unsent. The handled prefix
 * ends before the first unhandled row of a batch that stopped.
 *
 * The batches also wait for the destination's health (PageGate): while an earlier batch is
 * failing, a later one sends nothing, and once a batch stops, or the process is stopping, no later
 * batch is sent. Sending them regardless hammered a destination that is down or refuses the
 * credentials with every attempt of every request of the page, and held a SIGTERM for the whole
 * page rather than the requests in flight; what they sent after a stop went again at the next
 * pass anyway, since it is after the handled prefix.
 */
export async function sendPage(sender: Sender, r: ResolvedEmitter, page: BuiltPage, counts: RunCounts, budget?: RetryBudget): Promise<PageOutcome> {
  const chunks = requestsOf(r, page.events);
  const deadLetters: DeadLetterInput[] = page.oversize.map((e) => deadLetter(r, e, 'EVENT_TOO_LARGE', tooLargeReason(e.bytes), null, null));
  const after = earlierBatchesOfSameUsers(chunks);
  const gate = new PageGate(sender);
  const results: Promise<ChunkResult | undefined>[] = [];
  chunks.forEach((chunk, i) => {
    results.push(
      Promise.all(after[i].map((j) => results[j])).then(async (earlier) => {
        // A batch after one that stopped is not sent (undefined): its rows are after the stop anyway.
        if (!earlier.every((e) => e?.kind === 'handled')) return undefined;
        let res: ChunkResult | undefined;
        try {
          return (res = await sender.sendChunk(r, chunk, counts, budget, gate.of(i, () => results[i])));
        } finally {
          gate.ended(i, res);
        }
      }),
    );
  });
  const settled = await Promise.all(results);
  const sentRows: SourceRow[] = [];
  let firstUnhandledId = Number.POSITIVE_INFINITY;
  let error: string | undefined;
  let blocked: BlockedAnswer | undefined;
  // Batches are in row order, so a batch unsent for an earlier one's stop never comes first: the
  // first unhandled batch unsent means the stop was the process's.
  let stopping: true | undefined;
  for (const res of settled) {
    if (!res) continue;
    sentRows.push(...res.sent);
    deadLetters.push(...res.deadLetters);
    if (res.kind === 'gave_up') {
      if (res.firstUnhandledId < firstUnhandledId) {
        error = res.reason;
        stopping = res.notSent;
      }
      firstUnhandledId = Math.min(firstUnhandledId, res.firstUnhandledId);
      blocked ??= res.blocked;
    }
  }
  let throughIndex = page.rows.length - 1;
  if (error !== undefined) throughIndex = page.rows.findIndex((row) => row.id >= firstUnhandledId) - 1;
  return { throughIndex, sentRows, deadLetters, error, blocked, stopping };
}

/**
 * The batches of one page, in row order, waiting for each other: batch i sends nothing while an
 * earlier batch is failing (it retries alone, so a destination that is down gets one request at
 * a time from the page, after the first ones in flight), and nothing at all once an earlier batch
 * stopped or the process is stopping.
 */
class PageGate {
  private firstStopped = Number.POSITIVE_INFINITY;
  /** Batches that failed an attempt and have not ended: their ends. */
  private readonly failing = new Map<number, () => Promise<unknown>>();

  constructor(private readonly sender: Sender) {}

  of(i: number, end: () => Promise<unknown>): BatchGate {
    return {
      ready: async () => {
        for (;;) {
          const stop = this.stopReason(i);
          if (stop !== undefined) return stop;
          const earlier = this.failingBefore(i);
          if (earlier.length === 0) return undefined;
          await Promise.allSettled(earlier.map((e) => e()));
        }
      },
      check: () => {
        const stop = this.stopReason(i);
        if (stop !== undefined) return { notSent: stop };
        return this.failingBefore(i).length > 0 ? 'wait' : undefined;
      },
      failing: () => void this.failing.set(i, end),
    };
  }

  /** Batch i ended: handled, or stopped or threw (then no later batch goes). */
  ended(i: number, res: ChunkResult | undefined): void {
    this.failing.delete(i);
    if (res?.kind !== 'handled') this.firstStopped = Math.min(this.firstStopped, i);
  }

  private stopReason(i: number): string | undefined {
    if (this.firstStopped < i) return 'not sent: an earlier request of its page stopped';
    return this.sender.stopping ? 'not sent: stopping' : undefined;
  }

  private failingBefore(i: number): (() => Promise<unknown>)[] {
    return [...this.failing].filter(([j]) => j < i).map(([, end]) => end);
  }
}

/** For each batch, the earlier batches holding one of its users (the latest one per user suffices). */
function earlierBatchesOfSameUsers(chunks: readonly BuiltEvent[][]): number[][] {
  const lastBatchOf = new Map<string, number>();
  return chunks.map((chunk, i) => {
    const earlier = new Set<number>();
    for (const e of chunk) {
      const j = lastBatchOf.get(e.row.profileId);
      if (j !== undefined && j !== i) earlier.add(j);
    }
    for (const e of chunk) lastBatchOf.set(e.row.profileId, i);
    return [...earlier];
  });
}
