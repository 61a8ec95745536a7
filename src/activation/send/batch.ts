import type { DeadLetterInput, RunCounts, SourceRow } from '../../state/delivery/types.js';
import { MAX_EVENT_BYTES, type BuiltEvent, type BuiltPage } from '../build-event.js';
import { adapterOf, batchSizeOf } from '../destinations/index.js';
import type { ResolvedEmitter } from '../emitter-context.js';
import { deadLetter, type Sender } from './sender.js';

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
  `The event is ${bytes.toLocaleString('en-US')} bytes; destinations accept at most 32 KB (${MAX_EVENT_BYTES.toLocaleString('en-US')} bytes). Select fewer enrichment columns or entities.`;

export interface PageOutcome {
  /** Index in page.rows of the last row of the handled prefix; -1 when none. */
  throughIndex: number;
  sentRows: SourceRow[];
  deadLetters: DeadLetterInput[];
  /** Set when a request gave up: rows from its first one on stay after the cursor. */
  error?: string;
}

/**
 * Sends a page's events in the destination's batches, concurrently; oversize events are
 * dead-lettered unsent. The handled prefix ends before the first row of a request that gave up.
 */
export async function sendPage(sender: Sender, r: ResolvedEmitter, page: BuiltPage, counts: RunCounts): Promise<PageOutcome> {
  const chunks = requestsOf(r, page.events);
  const deadLetters: DeadLetterInput[] = page.oversize.map((e) => deadLetter(r, e, 'EVENT_TOO_LARGE', tooLargeReason(e.bytes), null, null));
  const results = await Promise.all(chunks.map((c) => sender.sendChunk(r, c, counts)));
  const sentRows: SourceRow[] = [];
  let firstUnhandledId = Number.POSITIVE_INFINITY;
  let error: string | undefined;
  results.forEach((res, i) => {
    if (res.kind === 'gave_up') {
      if (error === undefined) error = res.reason;
      firstUnhandledId = Math.min(firstUnhandledId, chunks[i][0].row.id);
      return;
    }
    sentRows.push(...res.sent);
    deadLetters.push(...res.deadLetters);
  });
  let throughIndex = page.rows.length - 1;
  if (error !== undefined) {
    throughIndex = page.rows.findIndex((row) => row.id >= firstUnhandledId) - 1;
  }
  return { throughIndex, sentRows, deadLetters, error };
}
