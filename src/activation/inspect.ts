import { isoTimestamp } from '../state/canonical.js';
import type { Warehouse } from '../warehouse/types.js';
import { activationTables } from './store.js';

export interface DeadLetterRow {
  id: number;
  emitterKey: string;
  destinationKey: string;
  runId: string;
  messageId: string;
  userId: string;
  eventName: string;
  reasonCode: string;
  reason: string;
  httpStatus: number | null;
  responseBody: string | null;
  createdAt: string | null;
  replayCount: number;
  replayedAt: string | null;
}

export interface DeadLetterFilter {
  ids?: number[];
  emitter?: string;
  /** Include dead letters already replayed successfully. */
  includeReplayed?: boolean;
  limit?: number;
}

/** Dead letters, newest first; unreplayed only unless asked. */
export async function listDeadLetters(wh: Warehouse, schema: string, f: DeadLetterFilter = {}): Promise<DeadLetterRow[]> {
  const t = activationTables(wh, schema);
  const where: string[] = [];
  const params: unknown[] = [];
  if (!f.includeReplayed) where.push('replayed_at IS NULL');
  if (f.emitter) {
    where.push('emitter_key = ?');
    params.push(f.emitter);
  }
  if (f.ids && f.ids.length > 0) {
    where.push(`id IN (${f.ids.map(() => '?').join(', ')})`);
    params.push(...f.ids);
  }
  const limit = f.limit !== undefined ? ` LIMIT ${Math.max(1, Math.floor(f.limit))}` : '';
  const { rows } = await wh.query<Record<string, unknown>>(
    `SELECT id, emitter_key, destination_key, run_id, message_id, user_id, event_name, reason_code, reason, http_status, response_body,
            created_at, replay_count, replayed_at
       FROM ${t.deadLetters}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC${limit}`,
    params,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    emitterKey: String(r.emitter_key),
    destinationKey: String(r.destination_key),
    runId: String(r.run_id),
    messageId: String(r.message_id),
    userId: String(r.user_id),
    eventName: String(r.event_name),
    reasonCode: String(r.reason_code),
    reason: String(r.reason),
    httpStatus: r.http_status === null || r.http_status === undefined ? null : Number(r.http_status),
    responseBody: (r.response_body as string | null) ?? null,
    createdAt: isoTimestamp(r.created_at),
    replayCount: Number(r.replay_count),
    replayedAt: isoTimestamp(r.replayed_at),
  }));
}

export interface DeliveryRecord {
  deliveredAt: string | null;
  runId: string;
  emitterKey: string;
  destinationKey: string;
  userId: string;
  event: string;
  kind: string;
  entityId: string | null;
  messageId: string;
  status: string;
}

/** What was sent to whom (the seed's Step 3: search by user id or event name), newest first. */
export async function findDeliveries(
  wh: Warehouse,
  schema: string,
  f: { userId?: string; event?: string; emitter?: string; limit?: number } = {},
): Promise<DeliveryRecord[]> {
  const t = activationTables(wh, schema);
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.userId !== undefined) {
    where.push('user_id = ?');
    params.push(f.userId);
  }
  if (f.event !== undefined) {
    where.push('event = ?');
    params.push(f.event);
  }
  if (f.emitter !== undefined) {
    where.push('emitter_key = ?');
    params.push(f.emitter);
  }
  const { rows } = await wh.query<Record<string, unknown>>(
    `SELECT delivered_at, run_id, emitter_key, destination_key, user_id, event, kind, entity_id, message_id, status
       FROM ${t.log}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY delivered_at DESC, source_id DESC LIMIT ${Math.max(1, Math.floor(f.limit ?? 50))}`,
    params,
  );
  return rows.map((r) => ({
    deliveredAt: isoTimestamp(r.delivered_at),
    runId: String(r.run_id),
    emitterKey: String(r.emitter_key),
    destinationKey: String(r.destination_key),
    userId: String(r.user_id),
    event: String(r.event),
    kind: String(r.kind),
    entityId: (r.entity_id as string | null) ?? null,
    messageId: String(r.message_id),
    status: String(r.status),
  }));
}

export interface DeliveryRunRow {
  runId: string;
  emitterKey: string;
  destinationKey: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  sent: number;
  failed: number;
  deadLettered: number;
  lastError: string | null;
}

/** The delivery log: per run and emitter, newest first. */
export async function readDeliveryRuns(wh: Warehouse, schema: string, f: { emitter?: string; limit?: number } = {}): Promise<DeliveryRunRow[]> {
  const t = activationTables(wh, schema);
  const { rows } = await wh.query<Record<string, unknown>>(
    `SELECT run_id, emitter_key, destination_key, status, started_at, finished_at, sent, failed, dead_lettered, last_error
       FROM ${t.runs}${f.emitter ? ' WHERE emitter_key = ?' : ''} ORDER BY started_at DESC LIMIT ${Math.max(1, Math.floor(f.limit ?? 20))}`,
    f.emitter ? [f.emitter] : [],
  );
  return rows.map((r) => ({
    runId: String(r.run_id),
    emitterKey: String(r.emitter_key),
    destinationKey: String(r.destination_key),
    status: String(r.status),
    startedAt: isoTimestamp(r.started_at),
    finishedAt: isoTimestamp(r.finished_at),
    sent: Number(r.sent),
    failed: Number(r.failed),
    deadLettered: Number(r.dead_lettered),
    lastError: (r.last_error as string | null) ?? null,
  }));
}
