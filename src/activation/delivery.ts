import { randomUUID } from 'node:crypto';
import { isLinkedError } from '../model/errors.js';
import type { Warehouse } from '../warehouse/types.js';
import { adapterOf, batchSizeOf } from './destinations/index.js';
import { readActivationModel, resolveEmitter, type ActivationModel, type ResolvedEmitter } from './emitter-context.js';
import { Mutex, type RetryPolicy } from './flow.js';
import { buildPage, chunkEvents, deadLetter, tooLargeReason, type BuiltEvent, type BuiltPage } from './page.js';
import { Sender } from './sender.js';
import {
  activationTables,
  commitPage,
  cursorIsCurrent,
  finishRunLog,
  initCursor,
  pageKeys,
  readCursor,
  readPage,
  startRunLog,
  type ActivationTables,
  type Cursor,
  type DeadLetterInput,
  type RunCounts,
} from './store.js';

export interface DeliverOptions {
  /** Read the applied resources of this stack only. */
  stack?: string;
  /** Deliver only these emitters (keys). */
  emitters?: string[];
  /** The delivery run id recorded in the delivery log; default a new UUID. */
  runId?: string;
  /** Rows per page: the unit of enrichment queries and of cursor commits. Default 2,000. */
  pageSize?: number;
  /** Requests in flight per destination. Default 4. */
  concurrency?: number;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  env?: NodeJS.ProcessEnv;
  /** Called after each committed page. */
  onProgress?: (p: DeliveryProgress) => void;
  /** Use this model instead of reading the applied resources (tests, npm start). */
  model?: ActivationModel;
}

export interface DeliveryProgress {
  emitterKey: string;
  sent: number;
  deadLettered: number;
  failed: number;
}

export type EmitterStatus = 'delivered' | 'partial' | 'failed';

export interface EmitterDelivery extends RunCounts {
  emitterKey: string;
  destinationKey: string;
  /** delivered: nothing left behind; partial: stopped on a transient error (resumes next run); failed: could not start or stopped on an error. */
  status: EmitterStatus;
}

export interface DeliverySummary {
  runId: string;
  startedAt: string;
  finishedAt: string;
  emitters: EmitterDelivery[];
  sent: number;
  failed: number;
  deadLettered: number;
}

interface Ctx {
  wh: Warehouse;
  t: ActivationTables;
  runId: string;
  sender: Sender;
  pageSize: number;
  onProgress?: (p: DeliveryProgress) => void;
}

/**
 * Drains the outbox to every applied emitter's destination (DESIGN D6): per emitter, pages after
 * its durable cursor, enriched set-based, batched to the destination's limits, rate-limited,
 * retried with backoff; the cursor advances only in the transaction that records what the
 * destination acknowledged. A crash resends at most the page in flight, with the same messageIds.
 */
export async function deliverAll(wh: Warehouse, schema: string, opts: DeliverOptions = {}): Promise<DeliverySummary> {
  const startedAt = new Date().toISOString();
  const serial = serialized(wh);
  const model = opts.model ?? (await readActivationModel(serial, schema, opts.stack));
  const emitters = model.emitters.filter((e) => !opts.emitters || opts.emitters.includes(e.key));
  const ctx: Ctx = {
    wh: serial,
    t: activationTables(wh, schema),
    runId: opts.runId ?? randomUUID(),
    sender: new Sender(model.destinations, opts),
    pageSize: opts.pageSize ?? 2000,
    onProgress: opts.onProgress,
  };
  const results = await Promise.all(emitters.map((e) => deliverEmitter(ctx, model, e.key)));
  const sum = (k: 'sent' | 'failed' | 'deadLettered') => results.reduce((a, r) => a + r[k], 0);
  return {
    runId: ctx.runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    emitters: results,
    sent: sum('sent'),
    failed: sum('failed'),
    deadLettered: sum('deadLettered'),
  };
}

async function deliverEmitter(ctx: Ctx, model: ActivationModel, emitterKey: string): Promise<EmitterDelivery> {
  const emitter = model.emitters.find((e) => e.key === emitterKey)!;
  const counts: RunCounts = { sent: 0, failed: 0, deadLettered: 0, requests: 0, retries: 0, lastError: null };
  const result = (status: EmitterStatus): EmitterDelivery => ({ emitterKey, destinationKey: emitter.destination, status, ...counts });
  let resolved: ResolvedEmitter;
  try {
    resolved = resolveEmitter(model, emitter);
  } catch (e) {
    counts.lastError = errorText(e);
    return result('failed');
  }
  const { wh, t } = ctx;
  await startRunLog(wh, t, ctx.runId, emitterKey, resolved.destination.key, new Date());
  let status: EmitterStatus = 'delivered';
  try {
    let cursor = await readCursor(wh, t, emitterKey);
    if (!cursorIsCurrent(cursor, resolved.createdAt)) cursor = await initCursor(wh, t, emitter, resolved.createdAt, new Date());
    status = await drain(ctx, resolved, cursor, counts);
  } catch (e) {
    counts.lastError = errorText(e);
    status = 'failed';
  }
  await finishRunLog(wh, t, ctx.runId, emitterKey, status, counts, new Date());
  return result(status);
}

/**
 * Reads, builds, sends and records page after page, pipelined: while page i is sent, page i+1 is
 * read and enriched and page i-1's record is committed (the warehouse works in its own threads).
 * Commits stay in page order, each only after its page was acknowledged, so a crash resends at
 * most the pages in flight: the one being sent and the one being recorded.
 */
async function drain(ctx: Ctx, r: ResolvedEmitter, start: Cursor, counts: RunCounts): Promise<EmitterStatus> {
  const { wh, t } = ctx;
  let readPos = start;
  let committing: Promise<Cursor> = Promise.resolve(start);
  const prepare = async (pos: Cursor): Promise<BuiltPage | undefined> => {
    const rows = await readPage(wh, t, r.emitter, pos, ctx.pageSize);
    if (rows.length === 0) return undefined;
    const source = rows[0].source;
    const keys = pageKeys(t, r.emitter, source, source === 'outbox' ? pos.lastOutboxId : pos.backfillDone, rows[rows.length - 1].id);
    return buildPage(wh, t, r, rows, pos.backfillEpoch, keys);
  };
  let next = prepare(readPos);
  for (;;) {
    const page = await next;
    if (!page) {
      await committing;
      return 'delivered';
    }
    const last = page.rows[page.rows.length - 1];
    readPos = last.source === 'outbox' ? { ...readPos, lastOutboxId: last.id } : { ...readPos, backfillDone: last.id };
    next = prepare(readPos);
    // Failures of the prefetch and of the commit surface when awaited; not unhandled meanwhile.
    next.catch(() => undefined);

    const outcome = await sendPage(ctx, r, page, counts);
    if (outcome.throughIndex >= 0) {
      const through = page.rows[outcome.throughIndex];
      const throughId = through.id;
      const handledDead = outcome.deadLetters.filter((d) => d.row.id <= throughId);
      counts.deadLettered += handledDead.length;
      counts.sent += outcome.sentRows.filter((row) => row.id <= throughId).length;
      const snapshot = { ...counts };
      committing = committing.then(async (previous) => {
        const committed = await commitPage(wh, t, {
          runId: ctx.runId,
          emitter: r.emitter,
          destinationKey: r.destination.key,
          eventName: r.eventName,
          cursor: previous,
          source: through.source,
          throughId,
          deadLetters: handledDead,
          counts: snapshot,
          now: new Date(),
        });
        ctx.onProgress?.({ emitterKey: r.emitter.key, sent: snapshot.sent, deadLettered: snapshot.deadLettered, failed: snapshot.failed });
        return committed;
      });
      committing.catch(() => undefined);
    }
    if (outcome.error !== undefined) {
      counts.failed += page.rows.length - (outcome.throughIndex + 1);
      counts.lastError = outcome.error;
      await committing;
      await next.catch(() => undefined);
      return 'partial';
    }
  }
}

interface PageOutcome {
  /** Index in page.rows of the last row of the handled prefix; -1 when none. */
  throughIndex: number;
  sentRows: BuiltEvent['row'][];
  deadLetters: DeadLetterInput[];
  /** Set when a request gave up: rows from its first one on stay after the cursor. */
  error?: string;
}

async function sendPage(ctx: Ctx, r: ResolvedEmitter, page: BuiltPage, counts: RunCounts): Promise<PageOutcome> {
  const adapter = adapterOf(r.destination.type);
  const chunks = chunkEvents(page.events, batchSizeOf(r.destination), adapter.maxBatchBytes);
  const deadLetters: DeadLetterInput[] = page.oversize.map((e) => deadLetter(r, e, 'EVENT_TOO_LARGE', tooLargeReason(e.bytes), null, null));
  const results = await Promise.all(chunks.map((c) => ctx.sender.sendChunk(r, c, counts)));
  const sentRows: BuiltEvent['row'][] = [];
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


function errorText(e: unknown): string {
  if (isLinkedError(e)) return `[${e.code}] ${e.message}`;
  return (e as Error)?.message ?? String(e);
}

/**
 * The warehouse with its statements serialized: emitters deliver concurrently but share one
 * connection, and a DuckDB connection (and its transaction) must not interleave statements.
 */
export function serialized(wh: Warehouse): Warehouse {
  const mutex = new Mutex();
  return {
    dialect: wh.dialect,
    query: (sql, params, options) => mutex.run(() => wh.query(sql, params, options)),
    stream: (sql, params, pageSize, options) => wh.stream(sql, params, pageSize, options),
    transaction: (fn) => mutex.run(() => wh.transaction(fn)),
    describeTable: (table) => mutex.run(() => wh.describeTable(table)),
    close: () => wh.close(),
  };
}
