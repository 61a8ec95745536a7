import { setMaxListeners } from 'node:events';
import { deliverAll, type DeliverOptions, type DeliveryProgress, type EmitterDelivery } from '../activation/deliver.js';
import { emittersOf, readActivationModel, resolveEmitter, type ActivationModel, type ResolvedEmitter } from '../activation/emitter-context.js';
import { SharedTraitReads } from '../activation/enrich/shared-traits.js';
import { SharedBookkeeping } from '../activation/shared-bookkeeping.js';
import { blockedRetryAt } from '../activation/health.js';
import { EmitterReader } from '../activation/read.js';
import type { EventEmitter } from '../model/emitter.js';
import { emitterLeaseKey, LeaseStore } from '../state/control/leases.js';
import { DeliveryHealthStore } from '../state/delivery/health.js';
import { StatementBatch } from '../warehouse/statement-batch.js';
import type { Warehouse } from '../warehouse/types.js';
import { heartbeatInterval, startHeartbeat } from './lease.js';
import type { LookPacing } from './look-pacing.js';
import { UnreadableNotices } from './unreadable-notices.js';

/** What started a delivery: a compute that committed, the loop's periodic look, a retry, or `run --once`. */
export type DeliveryTrigger = 'compute' | 'poll' | 'retry' | 'once';

/** One emitter's delivery pass, as the daemon's observers see it (`onDelivery`). */
export interface DeliveryReport extends EmitterDelivery {
  runId: string;
  trigger: DeliveryTrigger;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

export type DeliveryTuning = Pick<DeliverOptions, 'pageSize' | 'concurrency' | 'timeoutMs' | 'retry' | 'env' | 'onRequest'>;

export interface DeliveryLoopOptions {
  /** Opens the warehouse: per look and per delivery pass (on DuckDB, a handle on the shared file). */
  open: () => Promise<Warehouse>;
  /**
   * Opens a second connection for a pass's page reads (DeliverOptions.reads), used where
   * connections are sessions of their own (Snowflake); absent, or on DuckDB (a file is held by one
   * connection), a pass reads on its one connection.
   */
  openReads?: () => Promise<Warehouse>;
  schema: string;
  stack?: string;
  /** This daemon's id: the holder of the emitters' leases. */
  holder: string;
  /** How long an emitter's lease lasts without renewal (renewed every third of it while delivering). */
  leaseTtlMs?: number;
  /**
   * Whether an audience's changes are held for the end of the tick (held-kicks.ts): its emitters
   * then start with the others when the hold ends (kick), not alone from a look meanwhile.
   */
  holds?: (audienceKey: string) => boolean;
  /** Between looks for new rows, replays and due retries. Default 10 s. */
  pollMs?: number;
  /**
   * The controller's pacing (look-pacing.ts): during its quiet spells a look happens only once
   * after each of the controller's looks, when a compute kicked, or when a retry is due.
   */
  pacing?: LookPacing;
  /**
   * The longest wait before retrying an emitter whose last pass failed on a retryable failure
   * (doubling from pollMs). Default 5 min. A blocked emitter waits as blockedRetryAt says.
   */
  maxRetryDelayMs?: number;
  deliver?: DeliveryTuning;
  /** After each emitter's pass. */
  onDelivery?: (report: DeliveryReport) => void;
  /** After each committed page (counts so far in the pass). */
  onBatch?: (progress: DeliveryProgress) => void;
  log?: (line: string) => void;
}

/**
 * The delivery side of the daemon: every emitter drains on its own (one slow destination never
 * waits for another, nor holds up a compute), under its lease (two daemons never deliver one
 * emitter at once). An emitter is delivered when a compute of its audience commits (`kick`), and
 * at each look (every pollMs) when its outbox has rows after its cursor (new rows, replays); after
 * a failed pass it waits, doubling from pollMs, before the next (a blocked one as blockedRetryAt
 * says), unless its destination is applied anew or another process ends its failure (`linked
 * deliver` by hand): then it goes at the next look. Delivery itself is deliverAll:
 * page by page, each page's cursor committed with its record, so a crash resends at most the pages
 * in flight.
 */
export class DeliveryLoop {
  private readonly abort = new AbortController();
  private readonly inFlight = new Map<string, Promise<DeliveryReport | undefined>>();
  private readonly retryAt = new Map<string, RetryWait>();
  /** Audiences whose compute committed since the last look: their emitters' passes say `compute`. */
  private readonly kicked = new Set<string>();
  /**
   * While a `run --once` computes (beginOnce): the applied model read at its first committed run,
   * and each emitter's drain started as soon as its audience's run committed.
   */
  private once?: { model?: Promise<ActivationModel>; drains: Map<string, Promise<DeliveryReport | undefined>> };
  /** One for all the passes: passes waiting for the same profile table together share one read. */
  readonly traitReads = new SharedTraitReads();
  private timer?: NodeJS.Timeout;
  private looking?: Promise<void>;
  private lookedAt = -Infinity;
  private stopped = false;
  private started = false;

  /** How long an emitter's lease lasts without renewal. */
  private readonly leaseTtlMs: number;
  /** One for all the passes: the bookkeeping of passes running together goes in one statement each (shared-bookkeeping.ts). */
  private readonly bookkeeping: SharedBookkeeping;
  /** Emitter leases taken, and released, by passes at the same time: one statement for all. */
  private readonly leaseTakes: StatementBatch<string, boolean>;
  private readonly leaseReleases: StatementBatch<string, undefined>;
  /** Emitters and destinations the model leaves out (their stored spec cannot be read): said once, skipped. */
  private readonly unreadable = new UnreadableNotices(['event_emitter', 'destination'], (line) => this.log(line));

  constructor(private readonly o: DeliveryLoopOptions) {
    // Every chunk waiting out a retry listens to this signal until its wait ends, and emitters
    // and their chunks send side by side: past ten waiters Node would warn of a leak that is none.
    setMaxListeners(0, this.abort.signal);
    const ttlMs = o.leaseTtlMs ?? 15 * 60_000;
    this.leaseTtlMs = ttlMs;
    this.bookkeeping = new SharedBookkeeping(o.schema);
    this.leaseTakes = new StatementBatch(async (wh, keys) => {
      const taken = await new LeaseStore(wh, o.schema).acquireAll(keys, o.holder, ttlMs);
      return keys.map((k) => taken.has(k));
    });
    this.leaseReleases = StatementBatch.ofWrites((wh, keys) => new LeaseStore(wh, o.schema).releaseAll(keys, o.holder));
  }

  private log(line: string) {
    this.o.log?.(line);
  }

  start(): void {
    this.started = true;
    this.schedule(0);
  }

  /**
   * `run --once` is about to compute: from now until `untilEmpty`, an audience whose run commits
   * changes has its emitters drained at once, while the next audiences compute, so delivery
   * overlaps compute instead of waiting for the last run.
   */
  beginOnce(): void {
    this.once ??= { drains: new Map() };
  }

  /** A compute of `audienceKey` committed: its emitters deliver now (when serving, or during `run --once`; `untilEmpty` delivers them anyway). */
  kick(audienceKey: string): void {
    if (this.once && !this.stopped) {
      const once = this.once;
      const model = (once.model ??= this.withWarehouse((wh) => readActivationModel(wh, this.o.schema, this.o.stack)));
      const started = model.then((m) => {
        for (const e of emittersOf(m)) {
          if (e.audience !== audienceKey || once.drains.has(e.key)) continue;
          const drain = this.drain(e.key, m);
          // Awaited by untilEmpty (or by stop(), when the tick fails first): not unhandled meanwhile.
          drain.catch(() => undefined);
          once.drains.set(e.key, drain);
        }
      });
      started.catch(() => undefined);
      return;
    }
    if (!this.started) return;
    this.kicked.add(audienceKey);
    this.schedule(0);
  }

  /** No new pass starts; passes in flight finish the page they send, record it, and end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    clearTimeout(this.timer);
    await this.looking?.catch(() => undefined);
    await this.once?.model?.catch(() => undefined);
    await Promise.all([...this.inFlight.values(), ...(this.once?.drains.values() ?? [])].map((p) => p.catch(() => undefined)));
  }

  /**
   * `run --once`: every emitter drains until its outbox is empty, a pass ends in anything but a
   * transient failure (blocked, failed), or a pass makes no progress (its events stay pending for
   * the next run). Returns each emitter's passes summed up.
   */
  async untilEmpty(): Promise<DeliveryReport[]> {
    const once = this.once;
    this.once = undefined;
    const model = (await once?.model) ?? (await this.withWarehouse((wh) => readActivationModel(wh, this.o.schema, this.o.stack)));
    return (
      await Promise.all(
        // An emitter drained since its audience's run committed is done: its audience computes once
        // per tick, and nothing else it delivers appeared since that drain read its outbox to the end.
        // One whose early drain did nothing (another daemon held it, or it found nothing) drains now.
        emittersOf(model).map(async (e) => (await once?.drains.get(e.key)) ?? this.drain(e.key, model)),
      )
    ).filter((r): r is DeliveryReport => r !== undefined);
  }

  /** One emitter's passes until its outbox is empty, a pass stops on anything but a transient failure, or makes no progress. */
  private async drain(emitterKey: string, model: ActivationModel): Promise<DeliveryReport | undefined> {
    let total: DeliveryReport | undefined;
    for (;;) {
      if (this.stopped) return total;
      const pass = await this.pass(emitterKey, 'once', model, { skipWhenEmpty: true });
      if (!pass) return total;
      total = total ? addUp(total, pass) : pass;
      if (pass.status !== 'partial' || pass.sent + pass.deadLettered === 0) return total;
    }
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.looking) {
        // A look is running: look again right after it.
        void this.looking.then(() => this.schedule(0));
        return;
      }
      this.looking = this.look()
        .catch((e) => this.log(`delivery look failed: ${(e as Error).message}`))
        .finally(() => {
          this.looking = undefined;
          this.schedule(this.o.pollMs ?? 10_000);
        });
    }, delayMs);
  }

  /** Starts a pass for every emitter that is idle, not waiting to retry, and has work. */
  private async look(): Promise<void> {
    const now = Date.now();
    // A retry in flight is not due: its entry stays until its pass has released its lease.
    const retryDue = [...this.retryAt].some(([key, r]) => r.at <= now && !this.inFlight.has(key));
    if (this.kicked.size === 0 && !retryDue && this.o.pacing && !this.o.pacing.mayLook(now, this.lookedAt)) return;
    this.lookedAt = now;
    const kicked = new Set(this.kicked);
    this.kicked.clear();
    const { model, ready } = await this.withWarehouse(async (wh) => {
      const model = await readActivationModel(wh, this.o.schema, this.o.stack);
      this.unreadable.tell(model.unreadable);
      const waitOver = await this.waitsOver(wh, model, now);
      const idle = emittersOf(model).filter((e) => {
        const retry = this.retryAt.get(e.key);
        return !this.inFlight.has(e.key) && !(retry && retry.at > now && !waitOver.has(e.key));
      });
      const pending = await withWork(wh, this.o.schema, model, idle);
      const ready = idle
        .filter((e) => pending.has(e.key))
        .map((e) => ({ key: e.key, audience: e.audience, trigger: (kicked.has(e.audience) ? 'compute' : this.retryAt.has(e.key) ? 'retry' : 'poll') as DeliveryTrigger }));
      return { model, ready };
    });
    for (const { key, audience, trigger } of ready) {
      if (this.stopped) return;
      if (this.o.holds?.(audience)) continue;
      const destination = destinationSpec(model, key);
      const pass = this.pass(key, trigger, model).then(
        (report) => {
          this.afterPass(key, destination, report);
          return report;
        },
        (e: unknown) => {
          this.log(`${key}: delivery failed: ${(e as Error).message}`);
          this.afterPass(key, destination, undefined, true);
          return undefined;
        },
      );
      this.inFlight.set(key, pass);
      void pass.finally(() => this.inFlight.delete(key));
    }
  }

  /**
   * Of the emitters waiting to retry, those whose wait is over before its time: their destination
   * was applied anew (a fixed secret or URL), or their health record says the failure they stopped
   * on is over (another process delivered them: `linked deliver` by hand). One read of the health
   * records, and only while some emitter waits.
   */
  private async waitsOver(wh: Warehouse, model: ActivationModel, now: number): Promise<Set<string>> {
    const waiting = [...this.retryAt].filter(([key, r]) => r.at > now && !this.inFlight.has(key));
    if (waiting.length === 0) return new Set();
    const health = await new DeliveryHealthStore(wh, this.o.schema).readMany(waiting.map(([key]) => key));
    const over = waiting.filter(([key, r]) => destinationSpec(model, key) !== r.destination || (r.onRecord && (health.get(key)?.consecutiveFailures ?? 0) === 0));
    return new Set(over.map(([key]) => key));
  }

  private afterPass(key: string, destination: string | undefined, report: DeliveryReport | undefined, threw = false) {
    const failed = threw || (report !== undefined && report.status !== 'delivered');
    if (!failed) {
      this.retryAt.delete(key);
      // Rows may have arrived while it delivered: look again soon.
      if (report && report.sent + report.deadLettered > 0) this.schedule(0);
      return;
    }
    const failures = (this.retryAt.get(key)?.failures ?? 0) + 1;
    const now = Date.now();
    const onRecord = (report?.consecutiveFailures ?? 0) > 0;
    if (report?.status === 'blocked') {
      const at = blockedRetryAt(new Date(now), report.blockedSince ? new Date(report.blockedSince) : null).getTime();
      this.retryAt.set(key, { at, failures, destination, onRecord });
      return;
    }
    const poll = this.o.pollMs ?? 10_000;
    const delay = Math.min(poll * 2 ** (failures - 1), this.o.maxRetryDelayMs ?? 300_000);
    this.retryAt.set(key, { at: now + delay, failures, destination, onRecord });
  }

  /**
   * One delivery pass of one emitter under its lease; undefined when another daemon holds it (or
   * nothing is pending). `model` is the applied model the caller just read: a pass re-reading it
   * (resources, catalog snapshot, parsing every spec) cost more than a small page's whole delivery.
   */
  private async pass(
    emitterKey: string,
    trigger: DeliveryTrigger,
    model: ActivationModel,
    opts: { skipWhenEmpty?: boolean } = {},
  ): Promise<DeliveryReport | undefined> {
    return this.withWarehouse(async (wh) => {
      const leases = new LeaseStore(wh, this.o.schema);
      const leaseKey = emitterLeaseKey(emitterKey);
      const ttlMs = this.leaseTtlMs;
      if (!(await this.leaseTakes.request(wh, leaseKey))) {
        this.log(`${emitterKey}: delivered by ${(await leases.holder(leaseKey)) ?? 'another process'}, skipped`);
        return undefined;
      }
      // Renews only while this daemon holds it, and stop() waits for a renewal in flight: a renewal
      // that could take the lease (acquire) would re-take it after the release below.
      const renewal = startHeartbeat(() => leases.renew(leaseKey, this.o.holder, ttlMs), heartbeatInterval(ttlMs), (e) =>
        this.log(`${emitterKey}: lease renewal failed: ${(e as Error).message}`),
      );
      let reads: Warehouse | undefined;
      try {
        // A DuckDB file is held by one connection per process, whoever opened it.
        if (wh.dialect !== 'duckdb') reads = await this.o.openReads?.();
        const started = Date.now();
        const summary = await deliverAll(wh, this.o.schema, {
          ...this.o.deliver,
          stack: this.o.stack,
          model,
          emitters: [emitterKey],
          signal: this.abort.signal,
          onProgress: this.o.onBatch,
          skipWhenEmpty: opts.skipWhenEmpty,
          traitReads: this.traitReads,
          bookkeeping: this.bookkeeping,
          reads,
        });
        const emitter = summary.emitters[0];
        if (!emitter) return undefined;
        const report: DeliveryReport = {
          ...emitter,
          runId: summary.runId,
          trigger,
          startedAt: summary.startedAt,
          finishedAt: summary.finishedAt,
          durationMs: Date.now() - started,
        };
        this.o.onDelivery?.(report);
        return report;
      } finally {
        await reads?.close();
        await renewal.stop();
        await this.leaseReleases.request(wh, leaseKey).catch(() => undefined);
      }
    });
  }

  private async withWarehouse<T>(fn: (wh: Warehouse) => Promise<T>): Promise<T> {
    const wh = await this.o.open();
    try {
      return await fn(wh);
    } finally {
      await wh.close();
    }
  }
}

/** An emitter waiting to retry: when, after how many failed passes, and its destination's spec at the last (JSON). */
interface RetryWait {
  at: number;
  failures: number;
  destination: string | undefined;
  /** The last pass recorded its failure in the emitter's health (one that threw did not): an episode over there ends the wait. */
  onRecord: boolean;
}

/** The applied spec of the emitter's destination, as text to compare: a new apply of it changes it. */
function destinationSpec(model: ActivationModel, emitterKey: string): string | undefined {
  const emitter = model.applied?.emitter(emitterKey);
  const destination = emitter && model.applied?.destination(emitter.destination);
  return destination ? JSON.stringify(destination) : undefined;
}

/** Of these emitters, the ones with rows to deliver; one whose applied spec cannot resolve has (its pass reports why). */
async function withWork(wh: Warehouse, schema: string, model: ActivationModel, emitters: readonly EventEmitter[]): Promise<Set<string>> {
  const resolved: ResolvedEmitter[] = [];
  const out = new Set<string>();
  for (const e of emitters) {
    try {
      resolved.push(resolveEmitter(model, e));
    } catch {
      out.add(e.key);
    }
  }
  for (const key of await new EmitterReader(wh, schema).withRows(resolved, new Date())) out.add(key);
  return out;
}

/** Two passes of one emitter as one: counts summed, the last pass's status and error. */
function addUp(a: DeliveryReport, b: DeliveryReport): DeliveryReport {
  return {
    ...b,
    startedAt: a.startedAt,
    durationMs: a.durationMs + b.durationMs,
    sent: a.sent + b.sent,
    deadLettered: a.deadLettered + b.deadLettered,
    requests: a.requests + b.requests,
    retries: a.retries + b.retries,
  };
}
