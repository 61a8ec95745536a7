import { ENTITY_TRIGGERS, SEND_FOR_CURRENT_TRIGGERS, type EventEmitter } from '../model/emitter.js';
import { isoTimestamp } from '../state/canonical.js';
import { stateTable } from '../state/migrate.js';
import type { Warehouse } from '../warehouse/types.js';
import type { PageKeys } from './enrichment.js';
import { messageIdPrefix } from './events.js';
import { placeholders } from './join-path.js';
import { entityPathOf, kindsOf, type OutboxKind, type SourceRow } from './source.js';

/** Quoted names of the state tables activation reads (002) and writes (003). */
export interface ActivationTables {
  outbox: string;
  membership: string;
  entityMatches: string;
  cursors: string;
  backfill: string;
  runs: string;
  events: string;
  /** Outbox events sent, as page ranges (005). */
  pages: string;
  /** The delivery record as one view: `events` and the expanded `pages` (005). */
  log: string;
  deadLetters: string;
}

export function activationTables(wh: Warehouse, schema: string): ActivationTables {
  const t = (n: string) => stateTable(wh, schema, n);
  return {
    outbox: t('outbox'),
    membership: t('membership'),
    entityMatches: t('entity_matches'),
    cursors: t('delivery_cursors'),
    backfill: t('delivery_backfill'),
    runs: t('delivery_runs'),
    events: t('delivery_events'),
    pages: t('delivery_pages'),
    log: t('delivery_log'),
    deadLetters: t('dead_letters'),
  };
}

export interface Cursor {
  emitterKey: string;
  lastOutboxId: number;
  backfillEpoch: string;
  backfillTotal: number;
  backfillDone: number;
  emitterCreatedAt: string | null;
}

/** Whether an emitter backfills current members / entities (only where the seed allows it). */
export const sendsForCurrent = (e: EventEmitter) => e.sendForCurrent && SEND_FOR_CURRENT_TRIGGERS.includes(e.trigger);

export async function readCursor(wh: Warehouse, t: ActivationTables, emitterKey: string): Promise<Cursor | undefined> {
  const { rows } = await wh.query<Record<string, unknown>>(
    `SELECT emitter_key, last_outbox_id, backfill_epoch, backfill_total, backfill_done, emitter_created_at FROM ${t.cursors} WHERE emitter_key = ?`,
    [emitterKey],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    emitterKey,
    lastOutboxId: Number(r.last_outbox_id),
    backfillEpoch: String(r.backfill_epoch),
    backfillTotal: Number(r.backfill_total),
    backfillDone: Number(r.backfill_done),
    emitterCreatedAt: isoTimestamp(r.emitter_created_at),
  };
}

/** A cursor belongs to one incarnation of its emitter: a re-created emitter starts afresh. */
export function cursorIsCurrent(cursor: Cursor | undefined, emitterCreatedAt: string | null): cursor is Cursor {
  return cursor !== undefined && (emitterCreatedAt === null || cursor.emitterCreatedAt === emitterCreatedAt);
}

/**
 * Where a new emitter starts. Without sendForCurrent: after the outbox rows that existed when it
 * was applied. With it: after every row that exists now, the current snapshot standing in for
 * them (read in the same transaction, so the two agree).
 */
async function startingOutboxId(wh: Warehouse, t: ActivationTables, emitter: EventEmitter, createdAt: string | null): Promise<number> {
  if (sendsForCurrent(emitter) || createdAt === null) {
    const { rows } = await wh.query<{ m: unknown }>(`SELECT COALESCE(MAX(id), 0) AS m FROM ${t.outbox}`);
    return Number(rows[0]?.m ?? 0);
  }
  const { rows } = await wh.query<{ m: unknown }>(
    `SELECT COALESCE(MAX(id), 0) AS m FROM ${t.outbox} WHERE created_at <= CAST(? AS TIMESTAMP)`,
    [createdAt],
  );
  return Number(rows[0]?.m ?? 0);
}

/** The snapshot an emitter with sendForCurrent backfills: SELECT list of (kind, profile, path, entity, run). */
function backfillSelect(t: ActivationTables, emitter: EventEmitter): { sql: string; params: unknown[] } {
  const path = entityPathOf(emitter);
  if (emitter.trigger === 'entity_added') {
    return {
      sql: `SELECT 'entity_added' AS kind, profile_id, entity_path, entity_id, run_id FROM ${t.entityMatches} WHERE audience_key = ? AND entity_path = ?`,
      params: [emitter.audience, path],
    };
  }
  return {
    sql: `SELECT 'entered' AS kind, profile_id, CAST(NULL AS VARCHAR) AS entity_path, CAST(NULL AS VARCHAR) AS entity_id, run_id FROM ${t.membership} WHERE audience_key = ?`,
    params: [emitter.audience],
  };
}

/** Counts what a new emitter would backfill (for previews: nothing is written). */
export async function countBackfill(wh: Warehouse, t: ActivationTables, emitter: EventEmitter): Promise<number> {
  if (!sendsForCurrent(emitter)) return 0;
  const b = backfillSelect(t, emitter);
  const { rows } = await wh.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM (${b.sql}) b`, b.params);
  return Number(rows[0]?.n ?? 0);
}

/** The cursor a new emitter would start with, without writing it (previews). */
export async function plannedCursor(wh: Warehouse, t: ActivationTables, emitter: EventEmitter, createdAt: string | null): Promise<Cursor> {
  return {
    emitterKey: emitter.key,
    lastOutboxId: await startingOutboxId(wh, t, emitter, createdAt),
    backfillEpoch: '',
    backfillTotal: 0,
    backfillDone: 0,
    emitterCreatedAt: createdAt,
  };
}

/**
 * Starts (or restarts, for a new incarnation) an emitter's cursor: in one transaction, copies the
 * backfill when it sends for current members and records where its outbox reading starts.
 */
export async function initCursor(wh: Warehouse, t: ActivationTables, emitter: EventEmitter, createdAt: string | null, now: Date): Promise<Cursor> {
  return wh.transaction(async (tx) => {
    await tx.query(`DELETE FROM ${t.backfill} WHERE emitter_key = ?`, [emitter.key]);
    await tx.query(`DELETE FROM ${t.cursors} WHERE emitter_key = ?`, [emitter.key]);
    const lastOutboxId = await startingOutboxId(tx, t, emitter, createdAt);
    const epoch = String(now.getTime());
    let total = 0;
    if (sendsForCurrent(emitter)) {
      const b = backfillSelect(t, emitter);
      await tx.query(
        `INSERT INTO ${t.backfill} (emitter_key, seq, audience_key, run_id, kind, profile_id, entity_path, entity_id, created_at)
         SELECT ?, ROW_NUMBER() OVER (ORDER BY b.profile_id, b.entity_id), ?, b.run_id, b.kind, b.profile_id, b.entity_path, b.entity_id, CAST(? AS TIMESTAMP)
           FROM (${b.sql}) b`,
        [emitter.key, emitter.audience, now.toISOString(), ...b.params],
      );
      const { rows } = await tx.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${t.backfill} WHERE emitter_key = ?`, [emitter.key]);
      total = Number(rows[0]?.n ?? 0);
    }
    await tx.query(
      `INSERT INTO ${t.cursors} (emitter_key, last_outbox_id, backfill_epoch, backfill_total, backfill_done, emitter_created_at, initialized_at, updated_at)
       VALUES (?, ?, ?, ?, 0, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP))`,
      [emitter.key, lastOutboxId, epoch, total, createdAt, now.toISOString(), now.toISOString()],
    );
    return { emitterKey: emitter.key, lastOutboxId, backfillEpoch: epoch, backfillTotal: total, backfillDone: 0, emitterCreatedAt: createdAt };
  });
}

/** Which outbox rows are an emitter's: the same in reads, counts and the delivery record. */
function outboxSelection(emitter: EventEmitter) {
  return {
    audienceKey: emitter.audience,
    kinds: kindsOf(emitter.trigger),
    entityPath: entityPathOf(emitter),
    // Rows of an audience's (or entity path's) first run go only to emitters that send for current.
    withBaseline: sendsForCurrent(emitter),
  };
}

/** The WHERE clause selecting an emitter's outbox rows. */
function outboxFilter(emitter: EventEmitter, alias: string): { sql: string; params: unknown[] } {
  const o = outboxSelection(emitter);
  const parts = [`${alias}.audience_key = ?`, `${alias}.kind IN (${placeholders(o.kinds.length)})`];
  const params: unknown[] = [o.audienceKey, ...o.kinds];
  if (o.entityPath !== null) {
    parts.push(`${alias}.entity_path = ?`);
    params.push(o.entityPath);
  }
  if (!o.withBaseline) parts.push(`${alias}.baseline = FALSE`);
  return { sql: parts.join(' AND '), params };
}

/**
 * How an emitter's rows are read: only the columns that vary within them (converting result values
 * to JS costs more than the query). Its kind is constant when its trigger listens to one kind, its
 * entity null unless it is an entity trigger. The timestamp comes as the driver's Date (cheaper to
 * convert than its text, which is a long string per row); the rows of a page share their compute
 * run's timestamp, so each distinct one is formatted once.
 */
function rowReader(source: SourceRow['source'], emitter: EventEmitter) {
  const { kinds, entityPath } = outboxSelection(emitter);
  const kind = kinds.length === 1 ? kinds[0] : undefined;
  const hasEntity = ENTITY_TRIGGERS.includes(emitter.trigger);
  const columns = [
    source === 'outbox' ? 'id' : 'seq AS id',
    ...(kind ? [] : ['kind']),
    'profile_id',
    ...(hasEntity ? ['entity_id'] : []),
    'created_at',
  ].join(', ');
  let lastKey: unknown;
  let lastIso = '';
  const toRow = (r: Record<string, unknown>): SourceRow => {
    const key = r.created_at instanceof Date ? r.created_at.getTime() : r.created_at;
    if (key !== lastKey || lastIso === '') {
      lastKey = key;
      lastIso = isoTimestamp(r.created_at) ?? new Date(0).toISOString();
    }
    return {
      source,
      id: Number(r.id),
      audienceKey: emitter.audience,
      kind: kind ?? (String(r.kind) as OutboxKind),
      profileId: String(r.profile_id),
      entityPath,
      entityId: r.entity_id === null || r.entity_id === undefined ? null : String(r.entity_id),
      createdAt: lastIso,
    };
  };
  return { columns, toRow };
}

/** The next rows to deliver after the cursor: the backfill first, then the outbox. */
export async function readPage(wh: Warehouse, t: ActivationTables, emitter: EventEmitter, cursor: Cursor, limit: number): Promise<SourceRow[]> {
  if (cursor.backfillDone < cursor.backfillTotal) {
    const b = rowReader('backfill', emitter);
    const { rows } = await wh.query<Record<string, unknown>>(
      `SELECT ${b.columns} FROM ${t.backfill} WHERE emitter_key = ? AND seq > ? ORDER BY seq LIMIT ${Math.floor(limit)}`,
      [emitter.key, cursor.backfillDone],
    );
    if (rows.length > 0) return rows.map(b.toRow);
  }
  const o = rowReader('outbox', emitter);
  const f = outboxFilter(emitter, 'o');
  const { rows } = await wh.query<Record<string, unknown>>(
    `SELECT ${o.columns} FROM ${t.outbox} o WHERE o.id > ? AND ${f.sql} ORDER BY o.id LIMIT ${Math.floor(limit)}`,
    [cursor.lastOutboxId, ...f.params],
  );
  return rows.map(o.toRow);
}

/**
 * The keys (profile_id, entity_id) of a page's rows, as a subquery over where they live: the
 * outbox range after `afterId` through `throughId` with the emitter's filter, or its backfill.
 */
export function pageKeys(t: ActivationTables, emitter: EventEmitter, source: SourceRow['source'], afterId: number, throughId: number): PageKeys {
  if (source === 'backfill') {
    return {
      sql: `SELECT s.profile_id, s.entity_id FROM ${t.backfill} s WHERE s.emitter_key = ? AND s.seq > ? AND s.seq <= ?`,
      params: [emitter.key, afterId, throughId],
    };
  }
  const f = outboxFilter(emitter, 's');
  return { sql: `SELECT s.profile_id, s.entity_id FROM ${t.outbox} s WHERE s.id > ? AND s.id <= ? AND ${f.sql}`, params: [afterId, throughId, ...f.params] };
}

/** How many rows are waiting for an emitter after its cursor (backfill included). */
export async function countPending(wh: Warehouse, t: ActivationTables, emitter: EventEmitter, cursor: Cursor): Promise<number> {
  const f = outboxFilter(emitter, 'o');
  const { rows } = await wh.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${t.outbox} o WHERE o.id > ? AND ${f.sql}`, [
    cursor.lastOutboxId,
    ...f.params,
  ]);
  return Number(rows[0]?.n ?? 0) + Math.max(0, cursor.backfillTotal - cursor.backfillDone);
}

export interface DeadLetterInput {
  row: SourceRow;
  messageId: string;
  eventName: string;
  event: unknown;
  reasonCode: string;
  reason: string;
  httpStatus: number | null;
  responseBody: string | null;
}

export interface RunCounts {
  sent: number;
  failed: number;
  deadLettered: number;
  requests: number;
  retries: number;
  lastError: string | null;
}

export async function startRunLog(wh: Warehouse, t: ActivationTables, runId: string, emitterKey: string, destinationKey: string, now: Date) {
  await wh.query(
    `INSERT INTO ${t.runs} (run_id, emitter_key, destination_key, status, started_at, finished_at, sent, failed, dead_lettered, requests, retries, last_error)
     VALUES (?, ?, ?, 'running', CAST(? AS TIMESTAMP), NULL, 0, 0, 0, 0, 0, NULL)`,
    [runId, emitterKey, destinationKey, now.toISOString()],
  );
}

export async function finishRunLog(wh: Warehouse, t: ActivationTables, runId: string, emitterKey: string, status: string, c: RunCounts, now: Date) {
  await wh.query(
    `UPDATE ${t.runs} SET status = ?, finished_at = CAST(? AS TIMESTAMP), sent = ?, failed = ?, dead_lettered = ?, requests = ?, retries = ?, last_error = ?
      WHERE run_id = ? AND emitter_key = ?`,
    [status, now.toISOString(), c.sent, c.failed, c.deadLettered, c.requests, c.retries, c.lastError, runId, emitterKey],
  );
}

export interface PageCommit {
  runId: string;
  emitter: EventEmitter;
  destinationKey: string;
  eventName: string;
  cursor: Cursor;
  source: SourceRow['source'];
  /** The last id (outbox id or backfill seq) of the handled prefix. */
  throughId: number;
  deadLetters: DeadLetterInput[];
  counts: RunCounts;
  now: Date;
}

/**
 * Records a handled prefix of a page and advances the cursor past it, in one transaction: the
 * delivery record (for outbox rows one range row, for backfill rows one row each, set-based), the
 * dead letters, the cursor, the run's counts. Called only after the destination acknowledged
 * every event of the prefix.
 */
export async function commitPage(wh: Warehouse, t: ActivationTables, c: PageCommit): Promise<Cursor> {
  return wh.transaction(async (tx) => {
    const at = c.now.toISOString();
    const prefix = messageIdPrefix(c.emitter.key, c.source, c.cursor.backfillEpoch);
    if (c.source === 'outbox') {
      // One row for the whole range: the delivery_log view expands it over the append-only outbox
      // (a row per event cost the warehouse tens of MB per million events, and the state as much).
      const f = outboxSelection(c.emitter);
      await tx.query(
        `INSERT INTO ${t.pages} (run_id, emitter_key, destination_key, event, audience_key, kinds, entity_path, with_baseline,
           message_id_prefix, after_id, through_id, delivered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP))`,
        [
          c.runId,
          c.emitter.key,
          c.destinationKey,
          c.eventName,
          f.audienceKey,
          `,${f.kinds.join(',')},`,
          f.entityPath,
          f.withBaseline,
          prefix,
          c.cursor.lastOutboxId,
          c.throughId,
          at,
        ],
      );
    } else {
      // Backfill rows are deleted once delivered, so their events are recorded one row each.
      const deadIds = c.deadLetters.map((d) => d.row.id);
      const notDead = deadIds.length > 0 ? ` AND s.seq NOT IN (${placeholders(deadIds.length)})` : '';
      await tx.query(
        `INSERT INTO ${t.events} (run_id, emitter_key, destination_key, source, source_id, message_id, user_id, event, kind, entity_id, status, delivered_at)
         SELECT ?, ?, ?, 'backfill', s.seq, md5(? || CAST(s.seq AS VARCHAR)), s.profile_id, ?, s.kind, s.entity_id, 'sent', CAST(? AS TIMESTAMP)
           FROM ${t.backfill} s WHERE s.emitter_key = ? AND s.seq > ? AND s.seq <= ?${notDead}`,
        [c.runId, c.emitter.key, c.destinationKey, prefix, c.eventName, at, c.emitter.key, c.cursor.backfillDone, c.throughId, ...deadIds],
      );
    }
    if (c.deadLetters.length > 0) {
      const { rows } = await tx.query<{ m: unknown }>(`SELECT COALESCE(MAX(id), 0) AS m FROM ${t.deadLetters}`);
      let id = Number(rows[0]?.m ?? 0);
      for (const d of c.deadLetters) {
        id += 1;
        await tx.query(
          `INSERT INTO ${t.deadLetters} (id, emitter_key, destination_key, run_id, source, source_id, message_id, user_id, event_name, event,
             reason_code, reason, http_status, response_body, created_at, replay_count, last_replay_at, replayed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), 0, NULL, NULL)`,
          [
            id,
            c.emitter.key,
            c.destinationKey,
            c.runId,
            d.row.source,
            d.row.id,
            d.messageId,
            d.row.profileId,
            d.eventName,
            JSON.stringify(d.event),
            d.reasonCode,
            d.reason,
            d.httpStatus,
            d.responseBody,
            at,
          ],
        );
        await tx.query(
          `INSERT INTO ${t.events} (run_id, emitter_key, destination_key, source, source_id, message_id, user_id, event, kind, entity_id, status, delivered_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'dead_lettered', CAST(? AS TIMESTAMP))`,
          [c.runId, c.emitter.key, c.destinationKey, d.row.source, d.row.id, d.messageId, d.row.profileId, d.eventName, d.row.kind, d.row.entityId, at],
        );
      }
    }
    const next: Cursor =
      c.source === 'outbox' ? { ...c.cursor, lastOutboxId: c.throughId } : { ...c.cursor, backfillDone: c.throughId };
    await tx.query(`UPDATE ${t.cursors} SET last_outbox_id = ?, backfill_done = ?, updated_at = CAST(? AS TIMESTAMP) WHERE emitter_key = ?`, [
      next.lastOutboxId,
      next.backfillDone,
      at,
      c.emitter.key,
    ]);
    if (c.source === 'backfill' && next.backfillDone >= next.backfillTotal) {
      await tx.query(`DELETE FROM ${t.backfill} WHERE emitter_key = ?`, [c.emitter.key]);
    }
    await tx.query(
      `UPDATE ${t.runs} SET sent = ?, failed = ?, dead_lettered = ?, requests = ?, retries = ?, last_error = ? WHERE run_id = ? AND emitter_key = ?`,
      [c.counts.sent, c.counts.failed, c.counts.deadLettered, c.counts.requests, c.counts.retries, c.counts.lastError, c.runId, c.emitter.key],
    );
    return next;
  });
}
