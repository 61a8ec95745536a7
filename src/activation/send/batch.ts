import type { DeadLetterInput, RunCounts, SourceRow } from '../../state/delivery/types.js';
import { MAX_EVENT_BYTES, type BuiltEvent, type BuiltPage } from '../build-event.js';
import { adapterOf, batchSizeOf } from '../destinations/index.js';
import type { ResolvedEmitter } from '../emitter-context.js';
import type { PageBudget } from './budget.js';
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
 * One emitter pass's pages, sent in order: each page's events in the destination's batches,
 * concurrently except where a user's events span batches (a batch waits for every earlier batch
 * holding one of its users, of its page or the page before, and is not sent when one of those
 * stopped), so a user's events reach the destination in order (an Exited never before the Entered
 * it follows). Oversize events are dead-lettered unsent. A page's handled prefix ends before the
 * first unhandled row of a batch that stopped.
 *
 * A page's batches start as soon as every batch of the page before has started (its first request
 * is in flight, or it ended), not once they are all answered: waiting for a page's last answers
 * left the destination with fewer requests in flight at the end of every page. No request of a
 * later page overtakes one of an earlier page, so a stop (SIGTERM included) leaves sent only what
 * was in flight.
 *
 * The batches also wait for the destination's health (SendGate): while an earlier batch is
 * failing, a later one sends nothing, and once a batch stops, or the process is stopping, no later
 * batch is sent. Sending them regardless hammered a destination that is down or refuses the
 * credentials with every attempt of every request of the page, and held a SIGTERM for the whole
 * page rather than the requests in flight; what they sent after a stop went again at the next
 * pass anyway, since it is after the handled prefix.
 */
export class PageSender {
  private readonly gate: SendGate;
  /** The last page started: its batches, so that the next page's batches can wait for its users'. */
  private last: SentBatches | undefined;
  /** The index of the next batch across the pass's pages. */
  private nextBatch = 0;

  constructor(
    private readonly sender: Sender,
    private readonly r: ResolvedEmitter,
    private readonly counts: RunCounts,
  ) {
    this.gate = new SendGate(sender);
  }

  /** A batch of the pass stopped (or the process is stopping): no later batch will be sent. */
  get stopped(): boolean {
    return this.gate.stopped;
  }

  /** Starts sending a page: its batches go as the rules above let them. */
  send(page: BuiltPage, budget?: PageBudget): PageSending {
    const { r, sender, counts } = this;
    const chunks = requestsOf(r, page.events);
    const batches: SentBatches = { first: this.nextBatch, results: [], lastOf: new Map() };
    this.nextBatch += chunks.length;
    const earlier = this.last;
    const resultOf = (j: number) => (j >= batches.first ? batches.results[j - batches.first] : earlier!.results[j - earlier!.first]);
    const started: Promise<void>[] = [];
    chunks.forEach((chunk, k) => {
      const i = batches.first + k;
      const after = earlierBatchesOfSameUsers(chunk, i, batches.lastOf, earlier?.lastOf);
      const start = deferred();
      started.push(start.promise);
      batches.results.push(
        Promise.all(after.map(resultOf))
          .then(async (before) => {
            // A batch after one that stopped is not sent (undefined): its rows are after the stop anyway.
            if (!before.every((e) => e?.kind === 'handled')) return undefined;
            let res: ChunkResult | undefined;
            try {
              return (res = await sender.sendChunk(r, chunk, counts, budget, this.gate.of(i, () => resultOf(i), start.resolve)));
            } finally {
              this.gate.ended(i, res);
            }
          })
          .finally(start.resolve),
      );
    });
    // A blocked emitter's page probes: its first batch goes alone, as if it were failing, and the
    // others only once it is answered. A destination refusing the credentials gets one request per
    // try, not one per batch in flight.
    if (budget?.blocked && chunks.length > 0) this.gate.of(batches.first, () => resultOf(batches.first), () => undefined).failing();
    this.last = batches;
    const deadLetters: DeadLetterInput[] = page.oversize.map((e) => deadLetter(r, e, 'EVENT_TOO_LARGE', tooLargeReason(e.bytes), null, null));
    const outcome = Promise.all(batches.results).then((settled) => pageOutcome(page, chunks, settled, deadLetters));
    // A batch's failure surfaces when the outcome is awaited; not unhandled meanwhile.
    outcome.catch(() => undefined);
    return { started: Promise.all(started).then(() => undefined), outcome };
  }
}

/** A page being sent: when each of its batches has started, and what became of them. */
export interface PageSending {
  started: Promise<void>;
  outcome: Promise<PageOutcome>;
}

/** The batches of one page: the pass-wide index of its first, each one's result, each user's last batch. */
interface SentBatches {
  first: number;
  results: Promise<ChunkResult | undefined>[];
  lastOf: Map<string, number>;
}

/**
 * What a page's settled batches come to, in row order. A batch left unsent (undefined: an earlier
 * batch of its users stopped, of this page or the page before) is unhandled like one that stopped.
 */
function pageOutcome(page: BuiltPage, chunks: readonly BuiltEvent[][], settled: (ChunkResult | undefined)[], deadLetters: DeadLetterInput[]): PageOutcome {
  const sentRows: SourceRow[] = [];
  let firstUnhandledId = Number.POSITIVE_INFINITY;
  let error: string | undefined;
  let blocked: BlockedAnswer | undefined;
  // The first unhandled batch unsent (`notSent`) means the stop was the process's.
  let stopping: true | undefined;
  const unhandled = (id: number, reason: string, notSent: true | undefined) => {
    if (id >= firstUnhandledId) return;
    firstUnhandledId = id;
    error = reason;
    stopping = notSent;
  };
  settled.forEach((res, k) => {
    if (!res) return unhandled(chunks[k][0].row.id, NOT_SENT_AFTER_STOP, undefined);
    sentRows.push(...res.sent);
    deadLetters.push(...res.deadLetters);
    if (res.kind === 'gave_up') {
      unhandled(res.firstUnhandledId, res.reason, res.notSent);
      blocked ??= res.blocked;
    }
  });
  let throughIndex = page.rows.length - 1;
  if (error !== undefined) throughIndex = page.rows.findIndex((row) => row.id >= firstUnhandledId) - 1;
  return { throughIndex, sentRows, deadLetters, error, blocked, stopping };
}

/**
 * The batches of one pass, in row order, waiting for each other: batch i sends nothing while an
 * earlier batch is failing (it retries alone, so a destination that is down gets one request at
 * a time from the pass, after the first ones in flight), and nothing at all once an earlier batch
 * stopped or the process is stopping.
 */
class SendGate {
  private firstStopped = Number.POSITIVE_INFINITY;
  /** Batches that failed an attempt and have not ended: their ends. */
  private readonly failing = new Map<number, () => Promise<unknown>>();

  constructor(private readonly sender: Sender) {}

  get stopped(): boolean {
    return this.firstStopped < Number.POSITIVE_INFINITY || this.sender.stopping;
  }

  /** Batch i's gate; `started` is called when it lets batch i's request go. */
  of(i: number, end: () => Promise<unknown>, started: () => void): BatchGate {
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
        if (this.failingBefore(i).length > 0) return 'wait';
        started();
        return undefined;
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
    if (this.firstStopped < i) return NOT_SENT_AFTER_STOP;
    return this.sender.stopping ? 'not sent: stopping' : undefined;
  }

  private failingBefore(i: number): (() => Promise<unknown>)[] {
    return [...this.failing].filter(([j]) => j < i).map(([, end]) => end);
  }
}

const NOT_SENT_AFTER_STOP = 'not sent: an earlier request stopped';

/**
 * The earlier batches holding one of batch i's users: the latest one per user suffices, of its
 * page (`lastOf`), else of the page before (`before`). Records batch i as its users' latest.
 */
function earlierBatchesOfSameUsers(chunk: readonly BuiltEvent[], i: number, lastOf: Map<string, number>, before: Map<string, number> | undefined): number[] {
  const earlier = new Set<number>();
  for (const e of chunk) {
    const j = lastOf.get(e.row.profileId) ?? before?.get(e.row.profileId);
    if (j !== undefined) earlier.add(j);
  }
  for (const e of chunk) lastOf.set(e.row.profileId, i);
  return [...earlier];
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
