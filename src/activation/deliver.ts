import { randomUUID } from 'node:crypto';
import { isLinkedError } from '../model/errors.js';
import type { Warehouse } from '../warehouse/types.js';
import { deliveryTag, withQueryTag } from '../warehouse/tagged.js';
import { DeliveryHealthStore } from '../state/delivery/health.js';
import type { Cursor, RunCounts } from '../state/delivery/types.js';
import { destinationsOf, emittersOf, readActivationModel, resolveEmitter, type ActivationModel, type ResolvedEmitter } from './emitter-context.js';
import type { DeliveryRetryPolicy as RetryPolicy } from './flow.js';
import { SharedTraitReads } from './enrich/shared-traits.js';
import { SharedBookkeeping } from './shared-bookkeeping.js';
import { ProgressWrites } from './progress-writes.js';
import { PageStream, readSize } from './page-stream.js';
import type { BuiltPage } from './build-event.js';
import { EmitterReader, type SourcePage } from './read.js';
import { handledPrefix, PageRecords, type PageCounts } from './record.js';
import { PageSender, type PageSending } from './send/batch.js';
import { formatMinutes, PageBudget, RetryBudget, retryBudgetMs } from './send/budget.js';
import { CREDENTIALS_REJECTED } from './send/classify.js';
import { blockedFailure, Sender, type SenderOptions } from './send/sender.js';
import { serialized } from './serial.js';
import { formatCount } from '../model/count.js';
import { unreadableError } from '../state/apply/resources.js';

export interface DeliverOptions {
  /** Read the applied resources of this stack only. */
  stack?: string;
  /** Deliver only these emitters (keys). */
  emitters?: string[];
  /** The delivery run id recorded in the delivery log; default a new UUID. */
  runId?: string;
  /** Rows per page: the unit of requests built at once and of cursor commits. Default 2,000. */
  pageSize?: number;
  /** Pages read and enriched per warehouse read (page-stream.ts). Default 1: larger reads cost less CPU per event but more memory (bench/README.md). */
  readPages?: number;
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
  /**
   * Profile-trait reads shared by the emitters delivering at the same time (enrich/shared-traits.ts):
   * a daemon passes one to all its passes. Default: shared by this delivery's emitters.
   */
  traitReads?: SharedTraitReads;
  /**
   * The bookkeeping statements (cursors, health, run records, page commits) shared by the passes
   * running at the same time (shared-bookkeeping.ts): a daemon passes one to all its passes.
   * Default: shared by this delivery's emitters.
   */
  bookkeeping?: SharedBookkeeping;
  /**
   * A second connection to the same warehouse for the pages' reads (outbox and enrichment), so a
   * page's reads do not wait behind the previous page's commit: on Snowflake, where each statement
   * is a round trip, a page then costs its commit's round trips rather than its commit's and its
   * reads'. Default: the reads share `wh`.
   */
  reads?: Warehouse;
  /** Use this model instead of reading the applied resources (tests, npm start). */
  model?: ActivationModel;
  /** The clock of the delivery record and of retry budgets. Default the system clock (tests move it by hours). */
  now?: () => Date;
  /**
   * A daemon's SIGTERM: stops before sending the next page, and cuts short a wait before retrying
   * a request (the requests in flight are answered and the page's handled part recorded; the rest
   * stays after the cursor).
   */
  signal?: AbortSignal;
  /**
   * An emitter with nothing after its cursor records no delivery run and is left out of the
   * summary (a daemon's passes, which would otherwise record one per emitter and poll).
   */
  skipWhenEmpty?: boolean;
}

/** After a committed page of one emitter's delivery run. */
export interface DeliveryProgress {
  emitterKey: string;
  destinationKey: string;
  /** The run's counts so far. */
  sent: number;
  deadLettered: number;
  failed: number;
  /**
   * What this page added to them. An observer counting batches reads these, never a difference
   * of the totals: totals restart with each run, and one kept across runs would go negative.
   */
  page: PageCounts;
}

/**
 * delivered: nothing left behind (dead letters count in `deadLettered`); partial: stopped on a
 * retryable failure inside the retry budget (resumes next run); blocked: stopped because the
 * destination refused the credentials or a secret it needs is not set (resumes where it stopped
 * once they are fixed); failed:
 * could not start or stopped on an error.
 */
export type EmitterStatus = 'delivered' | 'partial' | 'blocked' | 'failed';

export interface EmitterDelivery extends RunCounts {
  emitterKey: string;
  destinationKey: string;
  status: EmitterStatus;
  /** The dead letters of this run by reason code (DESTINATION_REJECTED, RETRY_BUDGET_EXHAUSTED, EVENT_TOO_LARGE...). */
  deadLetteredBy: Record<string, number>;
  /** Why the emitter is blocked ("credentials rejected", "secret HOOK_TOKEN not set") and since when; null unless blocked. */
  blockedReason: string | null;
  blockedSince: string | null;
  /** While a retryable failure lasts: its first failed attempt, and when its budget ends for the events it stopped at. */
  failingSince: string | null;
  retryBudgetEndsAt: string | null;
  /** Failed attempts of the emitter's current failure episode (across runs); 0 once it is over. */
  consecutiveFailures: number;
}

/** Something a person must act on: an emitter blocked, failed or unreadable, or events dead-lettered. One line, no secret. */
export interface DeliveryAlert {
  emitterKey: string;
  kind: 'blocked' | 'dead_lettered' | 'failed' | 'unreadable';
  message: string;
}

export interface DeliverySummary {
  runId: string;
  startedAt: string;
  finishedAt: string;
  emitters: EmitterDelivery[];
  sent: number;
  failed: number;
  deadLettered: number;
  /** Emitters that stopped blocked (credentials refused, a secret not set). */
  blocked: number;
  /** Emitters asked for whose stored spec cannot be read: skipped, so their events wait in the outbox. */
  unreadable: UnreadableEmitter[];
  alerts: DeliveryAlert[];
}

/** An emitter left undelivered because its applied spec does not parse: why, and the message with the fix. */
export interface UnreadableEmitter {
  emitterKey: string;
  problem: string;
  error: string;
}

/**
 * What a delivery came to, for exit codes: delivered (everything handled, nothing dead-lettered),
 * dead_lettered (everything handled, some events dead-lettered), incomplete (an emitter stopped:
 * blocked, still retrying or failed, or was skipped because its spec cannot be read; its events
 * wait in the outbox).
 */
export function deliveryVerdict(s: Pick<DeliverySummary, 'emitters' | 'deadLettered' | 'unreadable'>): 'delivered' | 'dead_lettered' | 'incomplete' {
  if (s.unreadable.length > 0 || s.emitters.some((e) => e.status !== 'delivered')) return 'incomplete';
  return s.deadLettered > 0 ? 'dead_lettered' : 'delivered';
}

interface Ctx {
  wh: Warehouse;
  /** Where pages are read and enriched: `wh`, or a connection of its own (DeliverOptions.reads). */
  reads: Warehouse;
  read: EmitterReader;
  health: DeliveryHealthStore;
  runId: string;
  sender: Sender;
  pageSize: number;
  readPages: number | undefined;
  traitReads: SharedTraitReads;
  bookkeeping: SharedBookkeeping;
  now: () => Date;
  onProgress?: (p: DeliveryProgress) => void;
  signal?: AbortSignal;
  skipWhenEmpty: boolean;
}

/**
 * Drains the outbox to every applied emitter's destination (decision D6): per emitter, pages after
 * its durable cursor, enriched set-based, batched to the destination's limits, rate-limited,
 * retried with backoff within the destination's retry budget; the cursor advances only in the
 * transaction that records what the destination acknowledged. A crash resends at most the page
 * in flight, with the same messageIds.
 */
export async function deliverAll(wh: Warehouse, schema: string, opts: DeliverOptions = {}): Promise<DeliverySummary> {
  const now = opts.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const runId = opts.runId ?? randomUUID();
  const serial = serialized(withQueryTag(wh, deliveryTag(runId, opts.stack)));
  const reads = opts.reads ? serialized(withQueryTag(opts.reads, deliveryTag(runId, opts.stack))) : serial;
  const model = opts.model ?? (await readActivationModel(serial, schema, opts.stack));
  const asked = (key: string) => !opts.emitters || opts.emitters.includes(key);
  const emitters = emittersOf(model).filter((e) => asked(e.key));
  // Not in emittersOf: named here, so a delivery never leaves one out without a word.
  const unreadable = (model.unreadable ?? [])
    .filter((r) => r.kind === 'event_emitter' && asked(r.key))
    .map((r): UnreadableEmitter => ({ emitterKey: r.key, problem: r.problem, error: unreadableError(r).message }));
  const ctx: Ctx = {
    wh: serial,
    read: new EmitterReader(serial, schema, reads),
    reads,
    health: new DeliveryHealthStore(serial, schema),
    runId,
    sender: new Sender(destinationsOf(model), { ...opts, warehouse: serial }),
    pageSize: opts.pageSize ?? 2000,
    readPages: opts.readPages,
    traitReads: opts.traitReads ?? new SharedTraitReads(),
    bookkeeping: opts.bookkeeping ?? new SharedBookkeeping(schema),
    now,
    onProgress: opts.onProgress,
    signal: opts.signal,
    skipWhenEmpty: opts.skipWhenEmpty ?? false,
  };
  const results = (await Promise.all(emitters.map((e) => deliverEmitter(ctx, model, e.key)))).filter((r): r is EmitterDelivery => r !== undefined);
  const sum = (k: 'sent' | 'failed' | 'deadLettered') => results.reduce((a, r) => a + r[k], 0);
  return {
    runId: ctx.runId,
    startedAt,
    finishedAt: now().toISOString(),
    emitters: results,
    sent: sum('sent'),
    failed: sum('failed'),
    deadLettered: sum('deadLettered'),
    blocked: results.filter((r) => r.status === 'blocked').length,
    unreadable,
    alerts: [...results.flatMap(alertsOf), ...unreadable.map((u): DeliveryAlert => ({ emitterKey: u.emitterKey, kind: 'unreadable', message: `${u.emitterKey}: skipped: ${u.error}` }))],
  };
}

async function deliverEmitter(ctx: Ctx, model: ActivationModel, emitterKey: string): Promise<EmitterDelivery | undefined> {
  const emitter = model.applied!.emitter(emitterKey)!;
  const counts: RunCounts = { sent: 0, failed: 0, deadLettered: 0, requests: 0, retries: 0, lastError: null };
  const run: RunState = { deadLetteredBy: {}, budget: undefined, blocked: null, stuckOn: null, progress: new ProgressWrites(ctx.now()) };
  const result = (status: EmitterStatus): EmitterDelivery => ({
    emitterKey,
    destinationKey: emitter.destination,
    status,
    ...counts,
    deadLetteredBy: run.deadLetteredBy,
    blockedReason: run.blocked?.reason ?? null,
    blockedSince: run.blocked?.since ?? null,
    failingSince: status === 'partial' ? (run.budget?.since?.toISOString() ?? null) : null,
    retryBudgetEndsAt: status === 'partial' ? (run.budget?.endsAt(run.stuckOn)?.toISOString() ?? null) : null,
    consecutiveFailures: run.budget?.consecutiveFailures ?? 0,
  });
  let resolved: ResolvedEmitter;
  try {
    resolved = resolveEmitter(model, emitter);
  } catch (e) {
    counts.lastError = errorText(e);
    return result('failed');
  }
  // Asked to skip an empty emitter: its cursor and first rows are read before anything is recorded,
  // and the delivery goes on from them. A read that fails here is made again below, where its
  // failure is recorded in the emitter's run.
  let first: { cursor: Cursor; page: SourcePage } | undefined;
  if (ctx.skipWhenEmpty) {
    try {
      const cursor = await cursorOf(ctx, resolved);
      const page = await ctx.read.page(resolved.emitter, cursor, readSize(ctx.pageSize, ctx.readPages));
      if (!page) return undefined;
      first = { cursor, page };
    } catch {
      // Read again below.
    }
  }
  await ctx.bookkeeping.runStarts.request(ctx.wh, { runId: ctx.runId, emitterKey, destinationKey: resolved.destination.key, startedAt: ctx.now() });
  let status: EmitterStatus = 'delivered';
  try {
    const record = await ctx.bookkeeping.health.request(ctx.wh, { emitterKey, destinationKey: resolved.destination.key, at: ctx.now() });
    const writes: Promise<void>[] = [];
    run.budget = new RetryBudget(
      retryBudgetMs(resolved.destination),
      ctx.now,
      record.failingSince ? new Date(record.failingSince) : null,
      record.consecutiveFailures,
      (since) => {
        run.progress.failed();
        writes.push(ctx.health.startFailing(emitterKey, since));
      },
      record.blockedReason !== null,
      record.lastFailureAt ? new Date(record.lastFailureAt) : null,
    );
    const cursor = first?.cursor ?? (await cursorOf(ctx, resolved));
    try {
      status = await drain(ctx, resolved, cursor, counts, run, first?.page);
    } finally {
      await Promise.all(writes);
    }
    if (status === 'blocked') {
      const after = await ctx.health.read(emitterKey);
      run.blocked = { reason: after?.blockedReason ?? CREDENTIALS_REJECTED, since: after?.blockedSince ?? null };
    }
  } catch (e) {
    counts.lastError = errorText(e);
    status = 'failed';
  }
  await ctx.bookkeeping.runEnds.request(ctx.wh, { runId: ctx.runId, emitterKey, status, counts, at: ctx.now() });
  return result(status);
}

/** The emitter's cursor, read with those of the passes starting beside it. */
async function cursorOf(ctx: Ctx, r: ResolvedEmitter): Promise<Cursor> {
  return ctx.read.currentOrStarted(r, await ctx.bookkeeping.cursors.request(ctx.wh, r.emitter.key), ctx.now());
}

/** What one emitter's delivery learns as it goes, beyond the run's counts. */
interface RunState {
  deadLetteredBy: Record<string, number>;
  budget: RetryBudget | undefined;
  blocked: { reason: string; since: string | null } | null;
  /** When the first event the run stopped at was created (its budget may start there, not at the episode's start). */
  stuckOn: string | null;
  /** Which page commits write the run's counts and the emitter's health record. */
  progress: ProgressWrites;
}

/**
 * Reads, builds, sends and records page after page, pipelined: while page i is sent, page i+1 is
 * built (and the next block of rows read and enriched, page-stream.ts), and page i-1's record is
 * committed (the warehouse works in its own threads). Page i+1's requests start as soon as every
 * request of page i has, and never overtake them (send/batch.ts), so a user's events go out in
 * order and the destination always has as many requests in flight as it allows. Commits stay in
 * page order, each only after its page was acknowledged, and a page is sent only once every page
 * before the one being sent is recorded, so a crash resends at most the two pages in flight.
 */
async function drain(ctx: Ctx, r: ResolvedEmitter, start: Cursor, counts: RunCounts, run: RunState, firstRead?: SourcePage): Promise<EmitterStatus> {
  const records = new PageRecords((commit) => ctx.bookkeeping.pageCommits.request(ctx.wh, commit), ctx.runId, r, start, ctx.now, run.progress, (c, page) =>
    ctx.onProgress?.({ emitterKey: r.emitter.key, destinationKey: r.destination.key, sent: c.sent, deadLettered: c.deadLettered, failed: c.failed, page }),
  );
  const pages = new PageStream(ctx.reads, ctx.read, r, start, ctx.pageSize, ctx.readPages, firstRead, ctx.traitReads);
  try {
    const status = await drainPages(ctx, r, pages, records, counts, run);
    // Whatever the pass stopped on (written before this): the success its commits left unwritten.
    const success = run.progress.unwritten();
    if (success) await ctx.health.recordSuccess(r.emitter.key, success);
    return status;
  } finally {
    await pages.close();
  }
}

async function drainPages(ctx: Ctx, r: ResolvedEmitter, pages: PageStream, records: PageRecords, counts: RunCounts, run: RunState): Promise<EmitterStatus> {
  const budget = run.budget!;
  const sender = new PageSender(ctx.sender, r, counts);
  /** The page being sent, whose outcome is recorded after the next page starts. */
  let sending: InFlight | undefined;
  let next = pages.next();
  for (let first = true; ; first = false) {
    const page = await next;
    if (first && page) budget.firstEvents(page.rows[0].createdAt);
    await sending?.sent.started;
    // Every page before the one being sent is recorded before another goes, so a crash resends at
    // most two pages.
    await records.recorded();
    // Nothing left; or asked to stop (SIGTERM, or a daemon that saw a newer state, maybe in the
    // commit just waited for), or a batch stopped: the next page is not sent.
    if (!page || ctx.signal?.aborted || sender.stopped) {
      const stop = sending && (await finishPage(ctx, r, sending, records, counts, run));
      await records.settled();
      if (stop) return stop;
      if (page) return 'partial';
      if (budget.drained()) await ctx.health.recordEpisodeOver(r.emitter.key, ctx.now(), budget.lastFailedAt);
      return 'delivered';
    }
    const pageBudget = new PageBudget(budget);
    const current: InFlight = { page, budget: pageBudget, sent: sender.send(page, pageBudget) };
    next = pages.next();
    // Failures of the prefetch surface when awaited; not unhandled meanwhile.
    next.catch(() => undefined);
    const stop = sending && (await finishPage(ctx, r, sending, records, counts, run, current));
    if (stop) {
      await next.catch(() => undefined);
      return stop;
    }
    sending = current;
  }
}

/** A page sent (or being sent) and not yet recorded. */
interface InFlight {
  page: BuiltPage;
  budget: PageBudget;
  sent: PageSending;
}

/**
 * Waits for a page's outcome and queues the commit of its handled prefix; on a stop, waits for
 * the page sent after it (`after`: its requests in flight are answered, and it is not recorded:
 * it lies after the stop) and records what stopped the emitter, returning its status.
 */
async function finishPage(ctx: Ctx, r: ResolvedEmitter, f: InFlight, records: PageRecords, counts: RunCounts, run: RunState, after?: InFlight): Promise<EmitterStatus | undefined> {
  const budget = run.budget!;
  const { page } = f;
  const outcome = await f.sent.outcome;
  const handled = handledPrefix(page, outcome, counts);
  if (handled) {
    records.commit(handled);
    for (const d of handled.deadLetters) run.deadLetteredBy[d.reasonCode] = (run.deadLetteredBy[d.reasonCode] ?? 0) + 1;
    const refused = run.deadLetteredBy.DESTINATION_REJECTED ?? 0;
    if (handled.deadLetters.some((d) => d.reasonCode === 'DESTINATION_REJECTED')) {
      const last = handled.deadLetters.filter((d) => d.reasonCode === 'DESTINATION_REJECTED').pop()!;
      counts.lastError = `${r.destination.key} refused ${plural(refused, 'event')} in this run; the last: ${last.reason}${last.responseBody ? ` ${last.responseBody}` : ''}`.slice(0, 500);
    }
  }
  const answered = handled?.answer !== undefined;
  const stopped = outcome.stopping || outcome.error !== undefined;
  if (stopped) {
    await after?.sent.outcome;
    await records.settled();
  }
  // Stopped by the process, not by the destination: a partial pass, no failure to record.
  if (outcome.stopping) return 'partial';
  if (outcome.error !== undefined) {
    counts.failed += page.rows.length - (outcome.throughIndex + 1);
    counts.lastError = outcome.error;
    if (outcome.blocked) {
      budget.block();
      await ctx.health.recordFailure(r.emitter.key, blockedFailure(outcome.blocked, ctx.now(), budget.consecutiveFailures));
      return 'blocked';
    }
    if (answered) budget.answeredThenFailed(f.budget);
    run.stuckOn = page.rows[outcome.throughIndex + 1]?.createdAt ?? null;
    await recordRetrying(ctx, r, budget, outcome.error);
    return 'partial';
  }
  if (answered) budget.answered();
  return undefined;
}

/** Records in the emitter's health that it stopped on a retryable failure, with its budget's start. */
async function recordRetrying(ctx: Ctx, r: ResolvedEmitter, budget: RetryBudget, error: string): Promise<void> {
  await ctx.health.recordFailure(r.emitter.key, {
    at: ctx.now(),
    consecutiveFailures: budget.consecutiveFailures,
    failingSince: budget.since,
    blockedReason: null,
    error,
    httpStatus: budget.last?.status ?? null,
  });
}

/** The lines a person must read after a delivery: what is blocked, failed, dead-lettered, and what to do. */
function alertsOf(e: EmitterDelivery): DeliveryAlert[] {
  const out: DeliveryAlert[] = [];
  const at = `${e.emitterKey} -> ${e.destinationKey}`;
  if (e.status === 'blocked') {
    out.push({
      emitterKey: e.emitterKey,
      kind: 'blocked',
      message: `${at}: blocked: ${e.blockedReason ?? CREDENTIALS_REJECTED}${e.blockedSince ? ` since ${e.blockedSince}` : ''}; the events it stopped at are kept, not dead-lettered. Fix the destination's secret, then run \`linked deliver\`: it resumes where it stopped.`,
    });
  }
  if (e.status === 'failed') out.push({ emitterKey: e.emitterKey, kind: 'failed', message: `${at}: failed: ${e.lastError ?? 'unknown error'}` });
  if (e.deadLettered > 0) {
    const by = Object.entries(e.deadLetteredBy)
      .map(([code, n]) => `${n} ${code}`)
      .join(', ');
    out.push({
      emitterKey: e.emitterKey,
      kind: 'dead_lettered',
      message: `${at}: ${plural(e.deadLettered, 'event')} dead-lettered (${by}); see \`linked dead-letters --emitter ${e.emitterKey}\`, re-send with \`linked replay --emitter ${e.emitterKey}\`.`,
    });
  }
  return out;
}

/** "1 event", "2 events". */
export function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** The budget of a destination, for messages: "4 h". */
export const budgetText = (d: { retryBudgetMinutes?: number }) => formatMinutes(retryBudgetMs(d) / 60_000);

function errorText(e: unknown): string {
  if (isLinkedError(e)) return `[${e.code}] ${e.message}`;
  return (e as Error)?.message ?? String(e);
}
