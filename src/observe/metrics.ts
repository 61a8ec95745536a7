import type { RetentionCounts } from '../state/retention/retention.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunSummary } from '../compute/types.js';
import type { AudienceSize, EmitterBacklog, LeaseHolding } from '../state/observe/gauges.js';

/** Seconds, from a fast incremental run to a long baseline. */
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Seconds, for one destination request. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** One destination request as the delivery path reports it. */
export interface RequestObservation {
  destinationKey: string;
  durationMs: number;
  /** `ok`, `rejected`, `retry` (5xx, 429, timeouts, connection errors). */
  outcome: string;
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

  private readonly runs = new Counter({ name: 'linked_runs_total', help: 'Compute runs finished, by audience and status (Live, Failed).', labelNames: ['audience', 'status'], registers: [this.registry] });
  private readonly runDuration = new Histogram({
    name: 'linked_run_duration_seconds',
    help: 'Wall time of compute runs, by audience and status.',
    labelNames: ['audience', 'status'],
    buckets: RUN_BUCKETS,
    registers: [this.registry],
  });
  private readonly entered = new Counter({ name: 'linked_audience_entered_total', help: 'Profiles that entered the audience, summed over runs.', labelNames: ['audience'], registers: [this.registry] });
  private readonly exited = new Counter({ name: 'linked_audience_exited_total', help: 'Profiles that exited the audience, summed over runs.', labelNames: ['audience'], registers: [this.registry] });
  private readonly members = new Gauge({ name: 'linked_audience_members', help: 'Members of the audience after its last successful run.', labelNames: ['audience'], registers: [this.registry] });
  private readonly outboxDepth = new Gauge({
    name: 'linked_outbox_depth',
    help: "Outbox rows the emitter has yet to deliver (after its cursor).",
    labelNames: ['emitter', 'destination'],
    registers: [this.registry],
  });
  private readonly outboxLag = new Gauge({
    name: 'linked_outbox_lag_seconds',
    help: 'Age of the oldest outbox row the emitter has yet to deliver (0 when none).',
    labelNames: ['emitter', 'destination'],
    registers: [this.registry],
  });
  private readonly sent = new Counter({ name: 'linked_events_sent_total', help: 'Events the destination acknowledged.', labelNames: ['destination', 'emitter'], registers: [this.registry] });
  private readonly failed = new Counter({
    name: 'linked_events_failed_total',
    help: 'Events left for a later run after retries gave up (not lost: they stay after the cursor).',
    labelNames: ['destination', 'emitter'],
    registers: [this.registry],
  });
  private readonly deadLettered = new Counter({ name: 'linked_events_dead_lettered_total', help: 'Events moved to dead letters.', labelNames: ['destination', 'emitter'], registers: [this.registry] });
  private readonly requestDuration = new Histogram({
    name: 'linked_destination_request_duration_seconds',
    help: 'Latency of requests to destinations (HTTP, or the warehouse destination\'s insert), by outcome.',
    labelNames: ['destination', 'outcome'],
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  private readonly leaseHolder = new Gauge({ name: 'linked_lease_holder', help: '1 for each live audience lease, labelled by its holder.', labelNames: ['audience', 'holder'], registers: [this.registry] });
  private readonly stateRefreshed = new Gauge({ name: 'linked_state_gauges_refreshed_timestamp_seconds', help: 'When the state gauges (members, outbox, leases) were last read.', registers: [this.registry] });
  private readonly gcRemoved = new Counter({
    name: 'linked_gc_removed_rows_total',
    help: 'State rows the background collection removed, by area (outbox_rows, delivery_pages, runs, ...).',
    labelNames: ['area'],
    registers: [this.registry],
  });
  private readonly gcRuns = new Counter({ name: 'linked_gc_runs_total', help: 'Background collections, by outcome (ok, failed).', labelNames: ['outcome'], registers: [this.registry] });
  private readonly gcLast = new Gauge({ name: 'linked_gc_last_run_timestamp_seconds', help: 'When the last background collection ended, whatever its outcome.', registers: [this.registry] });
  private readonly gcLastSuccess = new Gauge({ name: 'linked_gc_last_success_timestamp_seconds', help: 'When the last successful background collection ended.', registers: [this.registry] });
  private readonly gcDuration = new Gauge({ name: 'linked_gc_duration_seconds', help: 'Wall time of the last background collection.', registers: [this.registry] });
  private readonly ready = new Gauge({ name: 'linked_ready', help: '1 when the daemon is ready (its last tick opened the warehouse), else 0.', registers: [this.registry] });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'linked_' });
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

  /** Replaces the state gauges with what the state says now. */
  setState(state: { sizes: AudienceSize[]; leases: LeaseHolding[]; backlog: EmitterBacklog[]; now: Date }): void {
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
    this.stateRefreshed.set(state.now.getTime() / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

const snakeCase = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
