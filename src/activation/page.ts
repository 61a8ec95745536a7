import type { Warehouse } from '../warehouse/types.js';
import type { ResolvedEmitter } from './emitter-context.js';
import { fetchEnrichment, valuesKeys, type PageKeys } from './enrichment.js';
import { buildEvent, eventBytes, MAX_EVENT_BYTES, type SegmentEvent } from './events.js';
import type { SourceRow } from './source.js';
import type { ActivationTables, DeadLetterInput } from './store.js';

export interface BuiltEvent {
  row: SourceRow;
  event: SegmentEvent;
  bytes: number;
}

export interface BuiltPage {
  rows: SourceRow[];
  /** In row order. */
  events: BuiltEvent[];
  /** Over 32 KB: never sent, dead-lettered with the reason. */
  oversize: BuiltEvent[];
}

/**
 * Turns one page of source rows into events: the page's enrichment in a few set-based queries,
 * then one event per row. Shared by delivery, previews and test events.
 */
export async function buildPage(
  wh: Warehouse,
  t: ActivationTables,
  r: ResolvedEmitter,
  rows: SourceRow[],
  backfillEpoch: string,
  keys: PageKeys = valuesKeys(rows),
): Promise<BuiltPage> {
  const data = await fetchEnrichment(wh, r.graph, r.plan, rows, keys);
  const members = await membersOf(wh, t, r.emitter.audience, rows, keys);
  const ctx = { emitter: r.emitter, plan: r.plan, namespace: r.namespace, backfillEpoch, members };
  const events: BuiltEvent[] = [];
  const oversize: BuiltEvent[] = [];
  for (const row of rows) {
    const event = buildEvent(ctx, row, data);
    const built = { row, event, bytes: eventBytes(event) };
    (built.bytes > MAX_EVENT_BYTES ? oversize : events).push(built);
  }
  return { rows, events, oversize };
}

/** Current membership of the profiles of entity_removed rows (the audience-key property). */
async function membersOf(wh: Warehouse, t: ActivationTables, audienceKey: string, rows: SourceRow[], keys: PageKeys): Promise<Set<string>> {
  if (!rows.some((r) => r.kind === 'entity_removed')) return new Set();
  const { rows: found } = await wh.query<{ profile_id: string }>(
    `SELECT m.profile_id FROM ${t.membership} m WHERE m.audience_key = ? AND m.profile_id IN (SELECT k0.profile_id FROM (${keys.sql}) k0)`,
    [audienceKey, ...keys.params],
  );
  return new Set(found.map((f) => String(f.profile_id)));
}

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

export const tooLargeReason = (bytes: number) =>
  `The event is ${bytes.toLocaleString('en-US')} bytes; destinations accept at most 32 KB (${MAX_EVENT_BYTES.toLocaleString('en-US')} bytes). Select fewer enrichment columns or entities.`;

/** A dead letter for one built event, with the destination's status and response when there is one. */
export function deadLetter(r: ResolvedEmitter, e: BuiltEvent, reasonCode: string, reason: string, httpStatus: number | null, body: string | null): DeadLetterInput {
  return { row: e.row, messageId: e.event.messageId, eventName: r.eventName, event: e.event, reasonCode, reason, httpStatus, responseBody: body };
}
