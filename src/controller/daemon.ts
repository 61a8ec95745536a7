import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RunSummary } from '../compute/types.js';
import type { LinkedError } from '../model/errors.js';
import { ControllerStore } from '../state/control/controllers.js';
import { LeaseStore } from '../state/control/leases.js';
import { migrateState } from '../state/migrate.js';
import type { Warehouse } from '../warehouse/types.js';
import { Controller, type ControllerOptions, type TickReport } from './controller.js';
import { DeliveryLoop, type DeliveryLoopOptions, type DeliveryReport, type DeliveryTuning } from './delivery-loop.js';
import { waitersDirFor, whileWaiting } from './file-waiters.js';
import { GcLoop, type GcReport } from './gc-loop.js';
import { HeldKicks } from './held-kicks.js';
import { KeptConnections } from './kept-connections.js';
import { LookPacing } from './look-pacing.js';
import { NewerStateGuard } from './newer-state.js';
import { SharedFile } from './shared-file.js';

/** `linked run`'s daemon; the delivery loop's observers (`onDelivery`, `onBatch`) pass on to it as they are. */
export interface DaemonOptions extends Omit<ControllerOptions, 'onRun'>, Pick<DeliveryLoopOptions, 'onDelivery' | 'onBatch'> {
  /** The stack whose applied emitters it delivers (default: all). */
  stack?: string;
  /** Compute on schedule (the controller). Default true; false for `linked deliver --watch`. */
  compute?: boolean;
  /** Deliver the outbox (the delivery loop). Default true; false for `linked run --no-deliver`. */
  deliver?: boolean;
  delivery?: DeliveryTuning;
  /**
   * On the shared DuckDB file, the longest the emitters of a tick's runs wait for the tick to end
   * before they start delivering. Default 30 s.
   */
  deliveryHoldMs?: number;
  /** Between delivery looks; default tickSeconds. */
  pollMs?: number;
  /**
   * While nothing is due, look at the warehouse at most this often (look-pacing.ts), so that a
   * warehouse billed while it runs can suspend between schedules. Default: at every tick.
   */
  lookEveryMs?: number;
  /**
   * The DuckDB file `open` opens, when the warehouse is one: the daemon then shares it with other
   * processes (shared-file.ts) instead of holding it while it works.
   */
  duckDbFile?: string;
  /** Observer (metrics, logs) after each run; the delivery loop's observers come with it. */
  onRun?: (summary: RunSummary) => void;
  /** Retention in the background (gc-loop.ts); none: the daemon never collects (`--no-gc`). */
  gc?: { everyMs: number; retentionMs: number; firstAfterMs?: number };
  onGc?: (report: GcReport) => void;
  /**
   * Told once when the daemon halts on its own because a newer linked migrated the state
   * (STATE_TOO_NEW), before it stops: health and readiness go down (the CLI's observers).
   */
  onHalt?: (refusal: LinkedError) => void;
}

export interface OnceReport extends TickReport {
  /** Per emitter that had events: its passes summed up. */
  deliveries: DeliveryReport[];
}

/** Whether a run changed anything its emitters could deliver. */
const changed = (s: RunSummary) => s.status === 'Live' && (s.entered ?? 0) + (s.exited ?? 0) + (s.entitiesAdded ?? 0) + (s.entitiesRemoved ?? 0) > 0;

/**
 * `linked run`: the controller computes audiences on their schedules, and after each run that
 * committed changes the delivery loop drains that audience's emitters; between runs the loop keeps
 * delivering (new rows, retries, replays). Computes and deliveries run side by side: on Snowflake
 * each on its own connection; on DuckDB through one shared file whose statements interleave.
 *
 * When a newer linked migrates the state under it, the daemon halts (newer-state.ts): one error
 * in its log, its statements refused from then on, its loops stopped, its leases released; then
 * `halted` resolves, and the command exits 1 so that its supervisor restarts it on the new image.
 */
export class Daemon {
  readonly id: string;
  readonly controller?: Controller;
  readonly delivery?: DeliveryLoop;
  readonly gc?: GcLoop;
  /**
   * The daemon's way into the warehouse, for work beside its loops (the git sync's plan and apply,
   * the dashboard's reads): on DuckDB a handle on the shared file, so that work queues with the
   * daemon's own statements instead of waiting for the file; elsewhere a kept connection. The
   * first open migrates the state (currentStateOn).
   */
  readonly open: () => Promise<Warehouse>;
  /** Resolves once the daemon has halted on a state a newer linked migrated, and stopped. */
  readonly halted: Promise<LinkedError>;
  private readonly shared?: SharedFile;
  private readonly kept?: KeptConnections;
  private readonly held?: HeldKicks;
  private readonly guard: NewerStateGuard;
  private stopping?: Promise<void>;

  constructor(private readonly o: DaemonOptions) {
    this.id = o.id ?? `${o.compute === false ? 'deliverer' : 'controller'}:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    let halted!: (refusal: LinkedError) => void;
    this.halted = new Promise((resolve) => (halted = resolve));
    this.guard = new NewerStateGuard(o.schema, (refusal) => this.halt(refusal, halted));
    const guard = this.guard;
    // Once halted, what the loops still say is the refusal echoed by each statement they try:
    // the halt's own line says it once.
    const log = o.log && ((line: string) => (guard.refusal ? undefined : o.log!(line)));
    this.shared = o.duckDbFile ? new SharedFile({ open: guard.verifiedOpen(o.open), waitersDir: waitersDirFor(o.duckDbFile), log }) : undefined;
    this.kept = o.duckDbFile ? undefined : new KeptConnections(o.open);
    const shared = this.shared;
    const kept = this.kept;
    const handle: () => Promise<Warehouse> = shared ? async () => shared.handle() : guard.verifiedOpen(() => kept!.open());
    const open = guard.guardedOpen(currentStateOn(handle, o.schema), !shared);
    this.open = open;
    // Only a controller's looks start quiet spells: without one (`deliver --watch`), the loop looks at every poll.
    const pacing = o.compute !== false ? new LookPacing(o.lookEveryMs) : undefined;
    if (o.compute !== false) {
      // On the shared DuckDB file a delivery started while the tick computes runs nothing beside
      // it, it only interleaves with its statements; the emitters of the tick's runs start together
      // after its last run instead (at most deliveryHoldMs later), and share their trait reads
      // (enrich/shared-traits.ts). With connections of their own (Snowflake), each audience's
      // emitters start as its run commits.
      const kick = (audienceKey: string) => this.delivery?.kick(audienceKey);
      const held = this.shared ? new HeldKicks(kick, o.deliveryHoldMs ?? 30_000) : undefined;
      this.held = held;
      this.controller = new Controller({
        ...o,
        id: this.id,
        open,
        log,
        // Every open above has brought the state to this code's version, or refused a newer one.
        prepareState: async () => undefined,
        onRun: (s) => {
          o.onRun?.(s);
          if (!changed(s)) return;
          if (held) held.add(s.audienceKey);
          else kick(s.audienceKey);
        },
        onTickEnd: () => held?.release(),
        pacing,
      });
    }
    if (o.deliver !== false) {
      this.delivery = new DeliveryLoop({
        open,
        // Connections of their own (Snowflake): a pass reads its pages on a second one.
        openReads: shared ? undefined : open,
        schema: o.schema,
        stack: o.stack,
        holder: this.id,
        leaseTtlMs: o.leaseTtlMs,
        pollMs: o.pollMs ?? (o.tickSeconds ?? 10) * 1000,
        holds: this.held ? (audienceKey) => this.held!.holds(audienceKey) : undefined,
        pacing,
        deliver: o.delivery,
        onDelivery: o.onDelivery,
        onBatch: o.onBatch,
        log,
      });
    }
    if (o.gc) this.gc = new GcLoop({ open, schema: o.schema, ...o.gc, onGc: o.onGc, log });
  }

  /** The STATE_TOO_NEW refusal the daemon halted on, once it has. */
  get refusal(): LinkedError | undefined {
    return this.guard.refusal;
  }

  /** Serves until stop(): ticks the controller and runs the delivery loop. */
  start(): void {
    this.controller?.start();
    this.delivery?.start();
    this.gc?.start();
  }

  /** Serves without the controller's own clock: the git sync ticks it between pulls (`linked run --git`). */
  startBesideSync(): void {
    this.delivery?.start();
    this.gc?.start();
  }

  /**
   * `run --once`: computes what is due and delivers until every outbox is empty (or stuck), then
   * stops. An audience's emitters start draining when its run commits (on the shared DuckDB file:
   * when the tick's last run has), the others after the last run.
   */
  async once(): Promise<OnceReport> {
    let report: OnceReport;
    try {
      this.delivery?.beginOnce();
      const tick = (await this.controller?.tick('once')) ?? { due: [], runs: [], skipped: [] };
      report = { ...tick, deliveries: (await this.delivery?.untilEmpty()) ?? [] };
    } catch (e) {
      await this.stop();
      throw this.refusal ?? e;
    }
    await this.stop();
    // What ran before the halt is in the report, but the job did not do its work: it fails.
    if (this.refusal) throw this.refusal;
    return report;
  }

  /**
   * SIGTERM: no new run or delivery pass starts; a run in flight stops at its next step boundary,
   * a delivery pass after the page it sends is recorded. Resolves when the warehouse is closed.
   * After a halt, it also releases the daemon's leases (letGo). Stopping twice waits for the first.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    this.held?.drop();
    await Promise.all([this.controller?.stop(), this.delivery?.stop(), this.gc?.stop()]);
    await this.shared?.close();
    await this.kept?.close();
    if (this.refusal) await this.letGo();
  }

  /**
   * The state moved past this code: one error in the log, then the daemon stops (without waiting
   * here: this runs inside the statement that found the newer version) and `halted` resolves.
   */
  private halt(refusal: LinkedError, halted: (refusal: LinkedError) => void): void {
    this.o.log?.(haltLine(refusal), 'error');
    this.o.onHalt?.(refusal);
    void this.stop().then(() => halted(refusal));
  }

  /**
   * After a halt, the daemon's last writes: its leases released and its controller marked stopped,
   * so that the upgraded daemon takes its audiences and emitters over at once instead of after the
   * lease TTL, and `linked compute` hands no request to it. Both touch only rows this daemon owns,
   * in tables every version has; if the newer state refuses them, the leases lapse within their TTL.
   * On a connection of its own: its guarded handles refuse everything by now.
   */
  private async letGo(): Promise<void> {
    try {
      const file = this.o.duckDbFile;
      const wh = file ? await whileWaiting(file, () => this.o.open()) : await this.o.open();
      try {
        const released = await new LeaseStore(wh, this.o.schema).releaseHolder(this.id);
        if (this.controller) await new ControllerStore(wh, this.o.schema).markStopped(this.id);
        this.o.log?.(`stopped: ${released.length === 0 ? 'it held no lease' : `released its leases (${released.map((l) => l.key).join(', ')})`}`);
      } finally {
        await wh.close();
      }
    } catch (e) {
      this.o.log?.(`stopped; its leases could not be released (they lapse within the lease TTL): ${(e as Error).message}`);
    }
  }
}

/** The one line a halted daemon logs: what happened, what it does now, and the fix. */
function haltLine(refusal: LinkedError): string {
  const { current, latest } = (refusal.details ?? {}) as { current?: number; latest?: number };
  const versions = current !== undefined && latest !== undefined ? ` (version ${current}; this linked knows up to ${latest})` : '';
  return (
    `error [STATE_TOO_NEW]: a newer linked migrated the state${versions}. This daemon stops now: no run, delivery page or collection ` +
    'starts or commits from here, its leases are released, and it exits 1. Upgrade linked-audiences where it runs ' +
    '(the controller\'s image or host) to the version that migrated the state, then start it again.'
  );
}

/**
 * `open`, bringing the state to this code's version on the first open (or refusing one a newer
 * linked migrated) before anything reads it: every loop of the daemon reads the state at once, and
 * a loop that read an older state would write rows the migrations since changed (a delivery
 * recorded nowhere is sent again). Opens meanwhile wait for that migration; a failed one is tried
 * again at the next open.
 */
function currentStateOn(open: () => Promise<Warehouse>, schema: string): () => Promise<Warehouse> {
  let migrated: Promise<unknown> | undefined;
  return async () => {
    const wh = await open();
    try {
      migrated ??= migrateState(wh, schema).catch((e: unknown) => {
        migrated = undefined;
        throw e;
      });
      await migrated;
    } catch (e) {
      await wh.close();
      throw e;
    }
    return wh;
  };
}

/** Whether a `run --once` (or a delivery) left something for a person to look at: the exit code. */
export function onceFailed(report: OnceReport): boolean {
  return report.runs.some((r) => r.status !== 'Live') || report.deliveries.some((d) => d.status !== 'delivered' || d.deadLettered > 0);
}
