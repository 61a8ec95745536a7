import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RunSummary } from '../compute/types.js';
import { migrateState } from '../state/migrate.js';
import type { Warehouse } from '../warehouse/types.js';
import { Controller, type ControllerOptions, type TickReport } from './controller.js';
import { DeliveryLoop, type DeliveryLoopOptions, type DeliveryReport, type DeliveryTuning } from './delivery-loop.js';
import { waitersDirFor } from './file-waiters.js';
import { GcLoop, type GcReport } from './gc-loop.js';
import { HeldKicks } from './held-kicks.js';
import { KeptConnections } from './kept-connections.js';
import { LookPacing } from './look-pacing.js';
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
  private readonly shared?: SharedFile;
  private readonly kept?: KeptConnections;
  private readonly held?: HeldKicks;

  constructor(o: DaemonOptions) {
    this.id = o.id ?? `${o.compute === false ? 'deliverer' : 'controller'}:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.shared = o.duckDbFile ? new SharedFile({ open: o.open, waitersDir: waitersDirFor(o.duckDbFile), log: o.log }) : undefined;
    this.kept = o.duckDbFile ? undefined : new KeptConnections(o.open);
    const shared = this.shared;
    const kept = this.kept;
    const handle: () => Promise<Warehouse> = shared ? async () => shared.handle() : () => kept!.open();
    const open = currentStateOn(handle, o.schema);
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
        log: o.log,
      });
    }
    if (o.gc) this.gc = new GcLoop({ open, schema: o.schema, ...o.gc, onGc: o.onGc, log: o.log });
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
    try {
      this.delivery?.beginOnce();
      const report = (await this.controller?.tick('once')) ?? { due: [], runs: [], skipped: [] };
      const deliveries = (await this.delivery?.untilEmpty()) ?? [];
      return { ...report, deliveries };
    } finally {
      await this.stop();
    }
  }

  /**
   * SIGTERM: no new run or delivery pass starts; a run in flight stops at its next step boundary,
   * a delivery pass after the page it sends is recorded. Resolves when the warehouse is closed.
   */
  async stop(): Promise<void> {
    this.held?.drop();
    await Promise.all([this.controller?.stop(), this.delivery?.stop(), this.gc?.stop()]);
    await this.shared?.close();
    await this.kept?.close();
  }
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
