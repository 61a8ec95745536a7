import type { RetentionCounts } from '../state/retention/retention.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunSummary } from '../compute/types.js';
import type { HealthRecord } from '../state/delivery/health.js';
import type { AudienceSize, EmitterBacklog, LeaseHolding } from '../state/observe/gauges.js';
import type { RequestOutcome } from '../activation/send/sender.js';

/** Seconds, from a fast incremental run to a long baseline. */
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Seconds, for one destination request. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** One destination request as the delivery path reports it. */
export interface RequestObservation {
  destinationKey: string;
  durationMs: number;
  /** See REQUEST_OUTCOMES. */
  outcome: RequestOutcome;
}

/** What one committed page of an emitter's delivery added to its run's counts. */
export interface BatchObservation {
  emitterKey: string;
  destinationKey: string;
  sent: number;
  failed: number;
  deadLettered: number;
}

/**
 * The daemon's Prometheus metrics, on a registry of their own (not prom-client's global one, so
 * two daemons in one process, or tests, never share counters). Counters and histograms are fed
 * by hooks (runs, delivered batches, requests); state gauges are set from the state stores.
 */
export class DaemonMetrics {
  readonly registry = new Registry();

  private readonly runs = this.counter('linked_runs_total', 'Compute runs finished, by audience and status (Live, Failed).', ['audience', 'status']);
  private readonly runDuration = this.histogram('linked_run_duration_seconds', 'Wall time of compute runs, by audience and status.', ['audience', 'status'], RUN_BUCKETS);
  private readonly entered = this.counter('linked_audience_entered_total', 'Profiles that entered the audience, summed over runs.', ['audience']);
  private readonly exited = this.counter('linked_audience_exited_total', 'Profiles that exited the audience, summed over runs.', ['audience']);
  private readonly members = this.gauge('linked_audience_members', 'Members of the audience after its last successful run.', ['audience']);
  private readonly outboxDepth = this.gauge('linked_outbox_depth', 'Events the emitter has yet to deliver: the rest of its backfill and the outbox rows after its cursor (linked status: PENDING).', ['emitter', 'destination']);
  private readonly outboxLag = this.gauge('linked_outbox_lag_seconds', 'Age of the oldest outbox row the emitter has yet to deliver (0 when none).', ['emitter', 'destination']);
  private readonly sent = this.counter('linked_events_sent_total', 'Events the destination acknowledged.', ['destination', 'emitter']);
  private readonly failed = this.counter('linked_events_failed_total', 'Events a delivery failure left for a later pass (not lost: they stay after the cursor), each counted once per failure episode of its emitter; those waiting now: linked_outbox_depth.', ['destination', 'emitter']);
  private readonly deadLettered = this.counter('linked_events_dead_lettered_total', 'Events moved to dead letters.', ['destination', 'emitter']);
  private readonly requestDuration = this.histogram('linked_destination_request_duration_seconds', "Latency of requests to destinations (HTTP, or the warehouse destination's insert), by outcome.", ['destination', 'outcome'], REQUEST_BUCKETS);
  private readonly blocked = this.gauge('linked_delivery_blocked', 'Emitters stopped until a person fixes something (credentials rejected, a secret not set): 1 each, labelled by the reason.', ['emitter', 'destination', 'reason']);
  private readonly consecutiveFailures = this.gauge('linked_delivery_consecutive_failures', 'Failed delivery attempts of the emitter in its current failure episode.', ['emitter', 'destination']);
  private readonly leaseHolder = this.gauge('linked_lease_holder', '1 for each live audience lease, labelled by its holder.', ['audience', 'holder']);
  private readonly stateRefreshed = this.gauge('linked_state_gauges_refreshed_timestamp_seconds', 'When the state gauges (members, outbox, leases, delivery health) were last read.');
  private readonly gcRemoved = this.counter('linked_gc_removed_rows_total', 'State rows the background collection removed, by area (outbox_rows, delivery_pages, runs, ...).', ['area']);
  private readonly gcRuns = this.counter('linked_gc_runs_total', 'Background collections, by outcome (ok, failed).', ['outcome']);
  private readonly gcLast = this.gauge('linked_gc_last_run_timestamp_seconds', 'When the last background collection ended, whatever its outcome.');
  private readonly gcLastSuccess = this.gauge('linked_gc_last_success_timestamp_seconds', 'When the last successful background collection ended (before the first: when the daemon started).');
  private readonly gcDuration = this.gauge('linked_gc_duration_seconds', 'Wall time of the last background collection.');
  private readonly ready = this.gauge('linked_ready', '1 when the daemon is ready (its last tick opened the warehouse), else 0.');

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'linked_' });
    for (const outcome of ['ok', 'failed']) this.gcRuns.inc({ outcome }, 0);
    // The staleness alert (`time() - … > 1 day`) then counts from the start, not from 1970: a fresh
    // daemon is not a day late, and one that never collects is after a day of trying.
    this.gcLastSuccess.set(Date.now() / 1000);
  }

  /**
   * Labels every series with the stack the daemon serves. A repository of several stacks runs one
   * daemon per stack, and a scraper that adds no target labels would see their series alike.
   * Applied as the registry writes its text, so a git sync's daemon that changes stack with its
   * synth labels what it reports from then on.
   */
  labelStack(stack: string): void {
    this.registry.setDefaultLabels({ stack });
  }

  /** The Controller's onRun hook. */
  observeRun(s: RunSummary): void {
    const labels = { audience: s.audienceKey, status: s.status };
    this.runs.inc(labels);
    this.runDuration.observe(labels, s.durationMs / 1000);
    if (s.status === 'Live') {
      this.entered.inc({ audience: s.audienceKey }, s.entered ?? 0);
      this.exited.inc({ audience: s.audienceKey }, s.exited ?? 0);
      if (s.members !== null) this.members.set({ audience: s.audienceKey }, s.members);
    }
  }

  observeBatch(b: BatchObservation): void {
    const labels = { destination: b.destinationKey, emitter: b.emitterKey };
    if (b.sent > 0) this.sent.inc(labels, b.sent);
    if (b.failed > 0) this.failed.inc(labels, b.failed);
    if (b.deadLettered > 0) this.deadLettered.inc(labels, b.deadLettered);
    // A labelled counter appears once touched: show the emitter at 0 rather than not at all.
    if (b.sent === 0) this.sent.inc(labels, 0);
  }

  /** One background collection (gc-loop.ts): `removed` per area when it succeeded. */
  observeGc(g: { ok: boolean; removed?: RetentionCounts; durationMs: number; endedAt: Date }): void {
    this.gcRuns.inc({ outcome: g.ok ? 'ok' : 'failed' });
    for (const [area, n] of Object.entries(g.removed ?? {})) this.gcRemoved.inc({ area: snakeCase(area) }, n);
    const ended = g.endedAt.getTime() / 1000;
    this.gcLast.set(ended);
    if (g.ok) this.gcLastSuccess.set(ended);
    this.gcDuration.set(g.durationMs / 1000);
  }

  observeRequest(r: RequestObservation): void {
    this.requestDuration.observe({ destination: r.destinationKey, outcome: r.outcome }, r.durationMs / 1000);
  }

  setReady(ready: boolean): void {
    this.ready.set(ready ? 1 : 0);
  }

  /**
   * Replaces the state gauges with what the state says now, and shows each audience's and
   * emitter's counters at 0 until they count: a labelled counter appears only once touched, and
   * Prometheus' increase() needs a sample before the first increment, so an alert on
   * `increase(linked_runs_total{status="Failed"}[1h]) > 0` or on dead letters missed the first
   * failure of each series after every start of the daemon.
   */
  setState(state: { sizes: AudienceSize[]; leases: LeaseHolding[]; backlog: EmitterBacklog[]; health?: HealthRecord[]; now: Date }): void {
    for (const a of state.sizes) for (const status of ['Live', 'Failed']) this.runs.inc({ audience: a.audienceKey, status }, 0);
    for (const b of state.backlog) {
      const labels = { destination: b.destinationKey, emitter: b.emitterKey };
      for (const counter of [this.sent, this.failed, this.deadLettered]) counter.inc(labels, 0);
    }
    this.members.reset();
    for (const a of state.sizes) if (a.size !== null) this.members.set({ audience: a.audienceKey }, a.size);
    this.leaseHolder.reset();
    for (const l of state.leases) this.leaseHolder.set({ audience: l.audienceKey, holder: l.holder }, 1);
    this.outboxDepth.reset();
    this.outboxLag.reset();
    for (const b of state.backlog) {
      const labels = { emitter: b.emitterKey, destination: b.destinationKey };
      this.outboxDepth.set(labels, b.pending);
      const oldest = b.oldestAt ? Date.parse(b.oldestAt) : NaN;
      this.outboxLag.set(labels, Number.isFinite(oldest) ? Math.max(0, (state.now.getTime() - oldest) / 1000) : 0);
    }
    this.blocked.reset();
    this.consecutiveFailures.reset();
    for (const h of state.health ?? []) {
      const labels = { emitter: h.emitterKey, destination: h.destinationKey };
      this.consecutiveFailures.set(labels, h.consecutiveFailures);
      if (h.blockedReason !== null) this.blocked.set({ ...labels, reason: h.blockedReason }, 1);
    }
    this.stateRefreshed.set(state.now.getTime() / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  // Every metric is registered on this instance's registry only.
  private counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}

const snakeCase = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
