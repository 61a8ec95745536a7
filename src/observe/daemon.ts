import type { RetentionCounts } from '../state/retention/retention.js';
import type { DeliveryProgress, EmitterDelivery } from '../activation/deliver.js';
import type { RunSummary } from '../compute/types.js';
import { groupApplied, readAppliedResources } from '../state/apply/resources.js';
import { DeliveryHealthStore } from '../state/delivery/health.js';
import { emitterLeaseKey } from '../state/control/leases.js';
import { GaugeStore } from '../state/observe/gauges.js';
import type { Warehouse } from '../warehouse/types.js';
import { DaemonHealth } from './health.js';
import { startObserveServer, type ListenAddress, type ObserveServer, type OtherPaths } from './http.js';
import type { DaemonLogger } from './log.js';
import { FailedOnce } from './failed-once.js';
import { DaemonMetrics, type RequestObservation } from './metrics.js';

export interface DaemonObservabilityOptions {
  /** The state schema and stack whose gauges are read; or given per `trackOpen` (a git sync's daemon changes with its synth). */
  schema?: string;
  stack?: string;
  /** Where run and batch records go (`--log-format json`); none: counted, not logged. */
  logger?: DaemonLogger;
  /** See DaemonHealth: idle time after which the daemon counts as stuck. */
  staleAfterMs: number;
  now?: () => Date;
}

/** The hooks a delivery run takes (spread into deliverAll's options). */
export interface DeliveryHooks {
  onProgress: (p: DeliveryProgress) => void;
  onRequest: (r: RequestObservation) => void;
}

/**
 * Everything the daemon reports about itself: metrics, health, structured logs, and the endpoint
 * serving them. The controller layer wires it through hooks it already has (`open`, `onRun`) and
 * the delivery options; nothing here depends on the CLI.
 */
export class DaemonObservability {
  readonly metrics = new DaemonMetrics();
  readonly health: DaemonHealth;
  private readonly failedOnce = new FailedOnce();
  private server?: ObserveServer;

  constructor(private readonly o: DaemonObservabilityOptions) {
    this.health = new DaemonHealth({ staleAfterMs: o.staleAfterMs, now: o.now ? () => o.now!().getTime() : undefined });
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  /**
   * The controller's `open`, observed: health follows the sessions, gauges (of `of`'s state, else
   * the options') refresh before each close, and every series is labelled with the stack served.
   */
  trackOpen(open: () => Promise<Warehouse>, of?: { schema: string; stack?: string }): () => Promise<Warehouse> {
    const stack = of?.stack ?? this.o.stack;
    if (stack !== undefined) this.metrics.labelStack(stack);
    return this.health.track(open, (wh) => (this.server ? this.refreshGauges(wh, of) : Promise.resolve()));
  }

  /** Reads the state gauges (members, leases, outbox backlog, delivery health) on an open warehouse. */
  async refreshGauges(wh: Warehouse, of: { schema?: string; stack?: string } = this.o): Promise<void> {
    const schema = of.schema;
    if (schema === undefined) return;
    const store = new GaugeStore(wh, schema);
    const now = this.now();
    const applied = await readAppliedResources(wh, schema);
    const own = of.stack === undefined ? applied : applied.filter((r) => r.stack === of.stack || r.stack === null);
    const { emitters } = groupApplied(own);
    const createdAt = new Map(own.filter((r) => r.kind === 'event_emitter').map((r) => [r.key, r.createdAt ?? r.appliedAt]));
    // Several stacks may share the state schema, each with its own daemon: each daemon's series
    // are its stack's, so two scraped daemons never report one audience twice.
    const others = new Set(applied.filter((r) => !own.includes(r)).flatMap((r) => (r.kind === 'audience' ? [r.key] : r.kind === 'event_emitter' ? [emitterLeaseKey(r.key)] : [])));
    const sizes = (await store.audienceSizes()).filter((a) => !others.has(a.audienceKey));
    const leases = (await store.liveLeases(now)).filter((l) => !others.has(l.audienceKey));
    const healthStore = new DeliveryHealthStore(wh, schema);
    // The events waiting as `linked status` counts them: a blocked emitter's backfill for current members too.
    const pending = await healthStore.backlogs(emitters.map((emitter) => ({ emitter, createdAt: createdAt.get(emitter.key) ?? null })));
    const backlog = emitters.map((e, i) => ({ emitterKey: e.key, destinationKey: e.destination, pending: pending[i]!.pending, oldestAt: pending[i]!.oldest }));
    const health = emitters.length === 0 ? [] : [...(await healthStore.readMany(emitters.map((e) => e.key))).values()];
    this.metrics.setState({ sizes, leases, backlog, health, now });
  }

  /** The Controller's onRun: counts, and one log record per run. */
  onRun = (s: RunSummary): void => {
    this.metrics.observeRun(s);
    this.o.logger?.event('run', {
      audience: s.audienceKey,
      run_id: s.runId,
      status: s.status,
      trigger: s.trigger,
      duration_ms: s.durationMs,
      members: s.members,
      entered: s.entered,
      exited: s.exited,
      entities_added: s.entitiesAdded,
      entities_removed: s.entitiesRemoved,
      baseline: s.baseline,
      paused: s.paused || undefined,
      error_code: s.error?.code,
      error: s.error?.message,
    });
  };

  /** A background collection: counted, and one log record (`gc`, level error when it failed). */
  onGc = (g: { ok: boolean; removed?: RetentionCounts; total: number; error?: string; durationMs: number }): void => {
    this.metrics.observeGc({ ...g, endedAt: this.now() });
    this.o.logger?.event('gc', { ok: g.ok, removed: g.total, duration_ms: g.durationMs, error: g.error });
  };

  /**
   * Hooks for delivery runs: each committed batch is counted and logged with what that page
   * added (no state here: the page's counts come with it, so one set of hooks serves every run
   * of a daemon), each request's latency observed.
   */
  deliveryHooks(): DeliveryHooks {
    return {
      onProgress: (p) => {
        const batch = { emitterKey: p.emitterKey, destinationKey: p.destinationKey, sent: p.page.sent, failed: 0, deadLettered: p.page.deadLettered };
        this.metrics.observeBatch(batch);
        this.o.logger?.event('batch', { emitter: batch.emitterKey, destination: batch.destinationKey, sent: batch.sent, dead_lettered: batch.deadLettered });
      },
      onRequest: (r) => this.metrics.observeRequest(r),
    };
  }

  /**
   * After a delivery run: events a failure left behind count as failed, once each per failure
   * episode (FailedOnce); one log record per emitter, with this run's own count.
   */
  onDelivery(summary: { runId: string; emitters: readonly EmitterDelivery[] }): void {
    for (const e of summary.emitters) {
      this.metrics.observeBatch({ emitterKey: e.emitterKey, destinationKey: e.destinationKey, sent: 0, failed: this.failedOnce.newlyFailed(e), deadLettered: 0 });
      this.o.logger?.event('delivery', {
        run_id: summary.runId,
        emitter: e.emitterKey,
        destination: e.destinationKey,
        status: e.status,
        sent: e.sent,
        failed: e.failed,
        dead_lettered: e.deadLettered,
        requests: e.requests,
        retries: e.retries,
        error: e.lastError ?? undefined,
      });
    }
  }

  async listen(address: ListenAddress, otherPaths?: OtherPaths): Promise<ListenAddress> {
    this.server = await startObserveServer(address, this.health, this.metrics, otherPaths);
    return this.server.address;
  }

  /** The daemon halted (a newer linked migrated the state): unhealthy and not ready until it exits. */
  markHalted(reason: string): void {
    this.health.markHalted(reason);
  }

  /** SIGTERM: readiness drops at once; the endpoint keeps answering until close(). */
  markStopping(): void {
    this.health.markStopping();
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}
