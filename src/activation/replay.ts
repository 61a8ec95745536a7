import { randomUUID } from 'node:crypto';
import { LinkedError } from '../model/errors.js';
import type { Warehouse } from '../warehouse/types.js';
import { serialized } from './delivery.js';
import { batchSizeOf, adapterOf } from './destinations/index.js';
import { readActivationModel, resolveEmitter, type ActivationModel, type ResolvedEmitter } from './emitter-context.js';
import { eventBytes, MAX_EVENT_BYTES, type SegmentEvent } from './events.js';
import { listDeadLetters, type DeadLetterFilter, type DeadLetterRow } from './inspect.js';
import { chunkEvents, type BuiltEvent } from './page.js';
import { Sender, type SenderOptions } from './sender.js';
import type { SourceRow } from './source.js';
import { activationTables, type RunCounts } from './store.js';

export interface ReplayOptions extends SenderOptions {
  stack?: string;
  model?: ActivationModel;
}

export interface ReplayResult {
  runId: string;
  replayed: number[];
  /** Refused again (the dead letter stays, with the new response) or still too large. */
  rejected: { id: number; reason: string }[];
  /** Not attempted or gave up on transient errors: replay again later. */
  pending: { id: number; reason: string }[];
}

/**
 * Re-sends dead letters (by id, or all of an emitter's) through the emitter's current destination
 * and mapping, with their original event and messageId. A success marks the dead letter replayed
 * and records the delivery; a refusal keeps it with the destination's new response.
 */
export async function replayDeadLetters(wh: Warehouse, schema: string, filter: DeadLetterFilter, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const serial = serialized(wh);
  const t = activationTables(wh, schema);
  const model = opts.model ?? (await readActivationModel(serial, schema, opts.stack));
  const letters = await listDeadLetters(serial, schema, { ...filter, includeReplayed: false });
  if (filter.ids && filter.ids.length > 0) {
    const missing = filter.ids.filter((id) => !letters.some((l) => l.id === id));
    if (missing.length > 0) throw new LinkedError('DEAD_LETTER_NOT_FOUND', `No unreplayed dead letter with id ${missing.join(', ')}.`);
  }
  const runId = `replay-${randomUUID()}`;
  const result: ReplayResult = { runId, replayed: [], rejected: [], pending: [] };
  const sender = new Sender(model.destinations, opts);
  const events = await loadEvents(serial, t.deadLetters, letters.map((l) => l.id));
  const byEmitter = new Map<string, DeadLetterRow[]>();
  for (const l of letters.sort((a, b) => a.id - b.id)) byEmitter.set(l.emitterKey, [...(byEmitter.get(l.emitterKey) ?? []), l]);

  for (const [emitterKey, list] of byEmitter) {
    let r: ResolvedEmitter;
    try {
      const emitter = model.emitters.find((e) => e.key === emitterKey);
      if (!emitter) throw new LinkedError('EMITTER_NOT_FOUND', `the event emitter "${emitterKey}" is no longer applied`);
      r = resolveEmitter(model, emitter);
    } catch (e) {
      for (const l of list) result.pending.push({ id: l.id, reason: (e as Error).message });
      continue;
    }
    const built: BuiltEvent[] = [];
    for (const l of list) {
      const event = events.get(l.id)!;
      const bytes = eventBytes(event);
      if (bytes > MAX_EVENT_BYTES) {
        result.rejected.push({ id: l.id, reason: `still ${bytes} bytes (over 32 KB)` });
        continue;
      }
      const row: SourceRow = { source: 'outbox', id: l.id, audienceKey: r.emitter.audience, kind: 'entered', profileId: l.userId, entityPath: null, entityId: null, createdAt: event.timestamp };
      built.push({ row, event, bytes });
    }
    const counts: RunCounts = { sent: 0, failed: 0, deadLettered: 0, requests: 0, retries: 0, lastError: null };
    const chunks = chunkEvents(built, batchSizeOf(r.destination), adapterOf(r.destination.type).maxBatchBytes);
    for (const chunk of chunks) {
      const res = await sender.sendChunk(r, chunk, counts);
      const now = new Date().toISOString();
      if (res.kind === 'gave_up') {
        for (const c of chunk) result.pending.push({ id: c.row.id, reason: res.reason });
        continue;
      }
      await serial.transaction(async (tx) => {
        for (const row of res.sent) {
          const letter = list.find((l) => l.id === row.id)!;
          await tx.query(
            `UPDATE ${t.deadLetters} SET replayed_at = CAST(? AS TIMESTAMP), last_replay_at = CAST(? AS TIMESTAMP), replay_count = replay_count + 1 WHERE id = ?`,
            [now, now, row.id],
          );
          await tx.query(
            `INSERT INTO ${t.events} (run_id, emitter_key, destination_key, source, source_id, message_id, user_id, event, kind, entity_id, status, delivered_at)
             SELECT ?, emitter_key, ?, source, source_id, message_id, user_id, event_name, 'replay', NULL, 'sent', CAST(? AS TIMESTAMP) FROM ${t.deadLetters} WHERE id = ?`,
            [runId, r.destination.key, now, letter.id],
          );
          result.replayed.push(row.id);
        }
        for (const d of res.deadLetters) {
          await tx.query(
            `UPDATE ${t.deadLetters} SET last_replay_at = CAST(? AS TIMESTAMP), replay_count = replay_count + 1, reason = ?, http_status = ?, response_body = ? WHERE id = ?`,
            [now, d.reason, d.httpStatus, d.responseBody, d.row.id],
          );
          result.rejected.push({ id: d.row.id, reason: d.reason });
        }
      });
    }
  }
  return result;
}

async function loadEvents(wh: Warehouse, table: string, ids: number[]): Promise<Map<number, SegmentEvent>> {
  const out = new Map<number, SegmentEvent>();
  if (ids.length === 0) return out;
  const { rows } = await wh.query<{ id: unknown; event: string }>(`SELECT id, event FROM ${table} WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
  for (const r of rows) out.set(Number(r.id), JSON.parse(r.event) as SegmentEvent);
  return out;
}
