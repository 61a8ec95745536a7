import { randomUUID } from 'node:crypto';
import { isLinkedError } from '../model/errors.js';
import type { Warehouse } from '../warehouse/types.js';
import { DeliveryRecorder } from '../state/delivery/recorder.js';
import type { Cursor, RunCounts } from '../state/delivery/types.js';
import { buildPage, type BuiltPage } from './build-event.js';
import { readActivationModel, resolveEmitter, type ActivationModel, type ResolvedEmitter } from './emitter-context.js';
import { enrichPage } from './enrich/page.js';
import type { DeliveryRetryPolicy as RetryPolicy } from './flow.js';
import { EmitterReader, positionAfter } from './read.js';
import { handledPrefix, PageRecords } from './record.js';
import { sendPage } from './send/batch.js';
import { Sender, type SenderOptions } from './send/sender.js';
import { serialized } from './serial.js';

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
  /** Called after each request to a destination (its latency: the daemon's metrics). */
  onRequest?: SenderOptions['onRequest'];
  /** Use this model instead of reading the applied resources (tests, npm start). */
  model?: ActivationModel;
}

export interface DeliveryProgress {
  emitterKey: string;
  destinationKey: string;
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
  read: EmitterReader;
  recorder: DeliveryRecorder;
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
    read: new EmitterReader(serial, schema),
    recorder: new DeliveryRecorder(serial, schema),
    runId: opts.runId ?? randomUUID(),
    sender: new Sender(model.destinations, { ...opts, warehouse: serial }),
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
  await ctx.recorder.startRun(ctx.runId, emitterKey, resolved.destination.key, new Date());
  let status: EmitterStatus = 'delivered';
  try {
    const cursor = await ctx.read.cursor(resolved, new Date());
    status = await drain(ctx, resolved, cursor, counts);
  } catch (e) {
    counts.lastError = errorText(e);
    status = 'failed';
  }
  await ctx.recorder.finishRun(ctx.runId, emitterKey, status, counts, new Date());
  return result(status);
}

/**
 * Reads, builds, sends and records page after page, pipelined: while page i is sent, page i+1 is
 * read and enriched and page i-1's record is committed (the warehouse works in its own threads).
 * Commits stay in page order, each only after its page was acknowledged, so a crash resends at
 * most the pages in flight: the one being sent and the one being recorded.
 */
async function drain(ctx: Ctx, r: ResolvedEmitter, start: Cursor, counts: RunCounts): Promise<EmitterStatus> {
  const records = new PageRecords(ctx.recorder, ctx.runId, r, start, (c) =>
    ctx.onProgress?.({ emitterKey: r.emitter.key, destinationKey: r.destination.key, sent: c.sent, deadLettered: c.deadLettered, failed: c.failed }),
  );
  let readPos = start;
  let next = prepare(ctx, r, readPos);
  for (;;) {
    const page = await next;
    if (!page) {
      await records.settled();
      return 'delivered';
    }
    readPos = positionAfter(readPos, page.rows[page.rows.length - 1]);
    next = prepare(ctx, r, readPos);
    // Failures of the prefetch and of the commit surface when awaited; not unhandled meanwhile.
    next.catch(() => undefined);

    const outcome = await sendPage(ctx.sender, r, page, counts);
    const handled = handledPrefix(page, outcome, counts);
    if (handled) records.commit(handled);
    if (outcome.error !== undefined) {
      counts.failed += page.rows.length - (outcome.throughIndex + 1);
      counts.lastError = outcome.error;
      await records.settled();
      await next.catch(() => undefined);
      return 'partial';
    }
  }
}

/** Read, enrich, build: the events of the page after `pos`, or undefined when nothing is left. */
async function prepare(ctx: Ctx, r: ResolvedEmitter, pos: Cursor): Promise<BuiltPage | undefined> {
  const page = await ctx.read.page(r.emitter, pos, ctx.pageSize);
  if (!page) return undefined;
  const enrichment = await enrichPage(ctx.wh, ctx.read.outbox, r, page.rows, page.keys);
  return buildPage(r, page.rows, enrichment, pos.backfillEpoch);
}

function errorText(e: unknown): string {
  if (isLinkedError(e)) return `[${e.code}] ${e.message}`;
  return (e as Error)?.message ?? String(e);
}
