import cron, { type ScheduledTask } from 'node-cron';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { readAppliedModel } from '../compute/applied.js';
import { compileAudience, snapshotsToRead } from '../compute/compile.js';
import { findAudience, linkedAudiencesUsed, type ComputeModel } from '../compute/model.js';
import type { RetryPolicy } from '../retry.js';
import { notStarted, runAudience } from '../compute/run.js';
import { nextRunAt } from '../compute/schedule.js';
import { ProfileIdChecks } from '../compute/profile-ids.js';
import { awaitsEnableSync, readRun, readRuns, readStatus, readStatuses, updateStatus, type AudienceStatusRow } from '../compute/status.js';
import type { CompiledAudience, RunSummary, RunTrigger } from '../compute/types.js';
import { readAppliedResources } from '../state/apply/resources.js';
import { ComputeRequestStore } from '../state/control/compute-requests.js';
import { ControllerStore } from '../state/control/controllers.js';
import { migrateState } from '../state/migrate.js';
import type { Warehouse } from '../warehouse/types.js';
import { DEFAULT_LEASE_TTL_MS, heartbeatInterval, LeaseCoordinator, startHeartbeat, type Heartbeat } from './lease.js';
import type { LookPacing } from './look-pacing.js';
import { followedNextRun } from './schedule-follow.js';
import { runOrdered } from './order.js';
import { UnreadableNotices } from './unreadable-notices.js';
import { importRequestFiles } from './request-files.js';

export interface ControllerOptions {
  /** Opens the warehouse; called once per tick (and per run when runs are concurrent). */
  open: () => Promise<Warehouse>;
  schema: string;
  /** The stack it computes: named in each run's query tag and in its `controllers` row. */
  stack?: string;
  /** Maximum runs at once. DuckDB runs one at a time: its file admits one connection's transactions here. */
  concurrency?: number;
  /** Seconds between ticks, one of TICK_SECONDS (schedules are minute-grained; requests are picked up at each tick). Default 10. */
  tickSeconds?: number;
  leaseTtlMs?: number;
  retry?: RetryPolicy;
  /** The applied model; default: the state schema (readAppliedDesired). */
  loadModel?: (wh: Warehouse) => Promise<ComputeModel | undefined>;
  /** Compiles one audience; default: src/sql through compileAudience. */
  compile?: (model: ComputeModel, audienceKey: string, wh: Warehouse, now: Date) => CompiledAudience | Promise<CompiledAudience>;
  /** A line for the daemon's log; `error` marks one a person must act on (JSON logs record its level). */
  log?: (line: string, level?: 'error') => void;
  /**
   * Brings the state to this code's version before a tick reads it, refusing one a newer linked
   * migrated; default migrateState (one query on a current state). A daemon's opens do it already.
   */
  prepareState?: (wh: Warehouse) => Promise<unknown>;
  /** DuckDB: where `linked compute` leaves requests while this controller holds the file. */
  requestDir?: string;
  onRun?: (summary: RunSummary) => void;
  /** After each tick, whether it ran, failed or found nothing due. */
  onTickEnd?: () => void;
  /**
   * Lets scheduled ticks leave the warehouse alone while nothing is due (look-pacing.ts); shared
   * with the delivery loop. Default: every tick looks.
   */
  pacing?: LookPacing;
  now?: () => Date;
  id?: string;
}

/**
 * The tick lengths the controller supports: the divisors of a minute. Ticks fire at the same
 * seconds of every minute (a cron seconds field stepping by N from :00), so a value that does not
 * divide 60 would tick unevenly (45: at :00 and :45, gaps of 45 and 15 s).
 */
export const TICK_SECONDS: readonly number[] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];

/** Runs that did not serve the requests they claimed: stopped before their outcome (the next tick serves them). */
const UNSERVED = new Set(['RUN_CANCELLED', 'LEASE_LOST']);

export interface TickReport {
  due: string[];
  runs: RunSummary[];
  /** Audiences another holder had leased. */
  skipped: string[];
  /** When nothing was due: the enabled audience due first, and when (absent when none is scheduled). */
  next?: { audience: string; at: string };
}

/**
 * The reconcile loop (decision D5): every tick opens the warehouse, reads the applied model,
 * computes the audiences that are due (schedule) or requested ("compute now"), dependencies first,
 * within the concurrency bound, each under its lease, then closes the warehouse.
 */
export class Controller {
  readonly id: string;
  private readonly abort = new AbortController();
  private task?: ScheduledTask;
  private ticking?: Promise<TickReport>;
  private stopped = false;

  /** Seconds between ticks (one of TICK_SECONDS). */
  private readonly tickSeconds: number;
  private readonly unreadable = new UnreadableNotices(['audience', 'classic_audience'], (line) => this.log(line));

  constructor(private readonly o: ControllerOptions) {
    this.id = o.id ?? `controller:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.tickSeconds = o.tickSeconds ?? 10;
    // The CLI refuses other values with the flag's name; this guards every other caller.
    if (!TICK_SECONDS.includes(this.tickSeconds)) throw new RangeError(`tickSeconds must be one of ${TICK_SECONDS.join(', ')}, got ${this.tickSeconds}`);
  }

  private now() {
    return this.o.now?.() ?? new Date();
  }
  private log(line: string) {
    this.o.log?.(line);
  }
  private get leaseTtlMs() {
    return this.o.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  }
  /**
   * Announces this controller, live until its next look's beat is due (its next tick, or the end
   * of the longest quiet spell), plus a heartbeat interval of grace.
   */
  private beat(wh: Warehouse) {
    const tickMs = this.tickSeconds * 1000;
    const untilNextBeat = Math.max(tickMs, this.o.pacing?.everyMs ?? 0);
    return new ControllerStore(wh, this.o.schema).heartbeat(
      this.id,
      this.now(),
      Math.max(this.leaseTtlMs, untilNextBeat + heartbeatInterval(this.leaseTtlMs)),
      this.o.stack,
    );
  }

  /** Whether a scheduled tick now would leave the warehouse alone (a quiet spell: look-pacing.ts). */
  isQuiet(): boolean {
    return this.o.pacing?.quiet(this.now().getTime()) ?? false;
  }

  /** Ends a quiet spell: the next tick looks (something else just changed what is due). */
  wake(): void {
    this.o.pacing?.wake();
  }

  /** One pass; `once` marks runs of `linked run --once`. Never overlaps itself. */
  tick(trigger: 'schedule' | 'once' = 'schedule'): Promise<TickReport> {
    this.ticking ??= this.doTick(trigger).finally(() => {
      this.ticking = undefined;
      this.o.onTickEnd?.();
    });
    return this.ticking;
  }

  private async doTick(trigger: RunTrigger): Promise<TickReport> {
    const report: TickReport = { due: [], runs: [], skipped: [] };
    if (this.stopped) return report;
    const pacing = this.o.pacing;
    if (trigger === 'schedule' && this.isQuiet()) return report;
    pacing?.looked(this.now().getTime());
    const wh = await this.o.open();
    let beating: Heartbeat | undefined;
    try {
      await (this.o.prepareState ?? ((w) => migrateState(w, this.o.schema)))(wh);
      const requests = new ComputeRequestStore(wh, this.o.schema);
      await this.beat(wh);
      // Beats while the tick works, so a long run never makes this controller look gone.
      beating = startHeartbeat(() => this.beat(wh), heartbeatInterval(this.leaseTtlMs), (e) => this.log(`heartbeat failed: ${(e as Error).message}`));
      if (this.o.requestDir) await importRequestFiles(requests, this.o.requestDir);
      const model = await (this.o.loadModel ?? ((w) => readAppliedModel(w, this.o.schema)))(wh);
      // Only those: the others compute as usual (an audience that reads a skipped one fails its run, naming it).
      this.unreadable.tell(model?.unreadable);
      if (!model) {
        pacing?.foundNothing(this.now().getTime(), undefined);
        return report;
      }
      const statuses = await syncStatuses(wh, this.o.schema, model, this.now(), (line) => this.log(line));
      const requested = await requests.pending();
      const now = this.now();
      const due = model.audiences.filter((a) => {
        const s = statuses.get(a.key);
        if (!a.enabled || s?.paused) return false;
        return requested.has(a.key) || !s?.nextRunAt || s.nextRunAt.getTime() <= now.getTime();
      });
      await this.refuseRequests(wh, model, [...requested].filter((key) => !due.some((a) => a.key === key)), now);
      report.due = due.map((a) => a.key);
      if (due.length === 0) {
        const next = nextScheduled(model, statuses);
        if (next) report.next = { audience: next.audience, at: new Date(next.at).toISOString() };
        pacing?.foundNothing(now.getTime(), next?.at);
      }
      const concurrency = wh.dialect === 'duckdb' ? 1 : (this.o.concurrency ?? 2);
      const profileIdChecks = new ProfileIdChecks();
      await runOrdered(
        due.map((a) => ({ key: a.key, dependsOn: linkedAudiencesUsed(a.condition) })),
        concurrency,
        async ({ key }) => {
          const runTrigger = requested.has(key) ? 'manual' : trigger;
          let run: Awaited<ReturnType<Controller['runOne']>>;
          try {
            run = await this.runOne(wh, model, key, runTrigger, requested.has(key), concurrency > 1, profileIdChecks);
          } catch (e) {
            // Never dropped: a run that could not start is reported (and logged) as failed.
            run = notStarted(key, runTrigger, e, wh.dialect, this.now());
            this.log(`${key}: Failed [${run.error?.code}] ${run.unrecorded}`);
            this.o.onRun?.(run);
          }
          if (run === 'skipped') report.skipped.push(key);
          else if (run) report.runs.push(run);
        },
        () => this.abort.signal.aborted,
      );
      return report;
    } finally {
      await beating?.stop();
      await wh.close();
    }
  }

  /**
   * Marks the requests it cannot serve as not served, so `linked compute` stops waiting: its own
   * audiences that are disabled or paused, and keys no stack has applied any more. A key another
   * stack of the state schema applied is that stack's controller's to serve.
   */
  private async refuseRequests(wh: Warehouse, model: ComputeModel, keys: string[], now: Date): Promise<void> {
    const foreign = keys.some((key) => !findAudience(model, key))
      ? new Set((await readAppliedResources(wh, this.o.schema, { kind: 'audience' })).filter((r) => r.stack !== (this.o.stack ?? null) && r.stack !== null).map((r) => r.key))
      : new Set<string>();
    const requests = new ComputeRequestStore(wh, this.o.schema);
    for (const key of keys) if (findAudience(model, key) || !foreign.has(key)) await requests.pick(key, null, now);
  }

  /** One audience under its lease; re-checks under the lease, since another controller may have run it. */
  private async runOne(
    tickWh: Warehouse,
    model: ComputeModel,
    key: string,
    trigger: RunTrigger,
    requested: boolean,
    ownConnection: boolean,
    profileIdChecks: ProfileIdChecks,
  ): Promise<RunSummary | 'skipped' | undefined> {
    const audience = findAudience(model, key)!;
    const wh = ownConnection ? await this.o.open() : tickWh;
    const ttlMs = this.leaseTtlMs;
    const coordinator = new LeaseCoordinator(() => wh, this.o.schema, this.id);
    try {
      if (!(await coordinator.shouldRun(key, ttlMs))) {
        this.log(`${key}: leased by another controller, skipped`);
        return 'skipped';
      }
      try {
        const requests = new ComputeRequestStore(wh, this.o.schema);
        const fresh = await readStatus(wh, this.o.schema, key);
        if (fresh?.paused) return undefined;
        const runId = randomUUID();
        // Claimed, not served: a controller killed during the run leaves the request pending. The
        // claim also says whether the request is still pending (another controller may have served it).
        const stillRequested = requested && ((await requests.claim(key, runId)) ?? (await requests.pending()).has(key));
        const startedAt = this.now();
        if (!stillRequested && fresh?.nextRunAt && fresh.nextRunAt.getTime() > startedAt.getTime()) return undefined;
        this.log(`${key}: computing (${trigger})`);
        const heartbeat = coordinator.hold(key, ttlMs, (e) => this.log(`${key}: lease renewal failed: ${(e as Error).message}`));
        const summary = await runAudience(wh, {
          schema: this.o.schema,
          audienceKey: key,
          runId,
          trigger,
          lease: { holder: this.id, ttlMs },
          status: fresh ?? null,
          stack: this.o.stack,
          profileIdChecks,
          nextRunAt: nextRunAt(audience.schedule, startedAt),
          retry: this.o.retry,
          signal: this.abort.signal,
          now: this.o.now,
          compile: async () =>
            this.o.compile
              ? this.o.compile(model, key, wh, startedAt)
              : compileAudience(model, key, { dialect: wh.dialect, stateSchema: this.o.schema, now: startedAt, withSnapshot: await snapshotsToRead(wh, this.o.schema, model, key) }),
        }).finally(() => heartbeat.stop());
        // Served once the run's outcome is recorded; a cancelled run (SIGTERM) leaves it to the next controller.
        if (stillRequested && !UNSERVED.has(summary.error?.code ?? '')) await requests.complete(runId, this.now());
        this.log(
          summary.status === 'Live'
            ? `${key}: Live, ${summary.members} members, +${summary.entered} -${summary.exited}, entities +${summary.entitiesAdded} -${summary.entitiesRemoved} (${summary.durationMs} ms)`
            : `${key}: Failed [${summary.error?.code}] ${summary.error?.message}${summary.paused ? ' (paused)' : ''}${summary.unrecorded ? ` (not recorded: ${summary.unrecorded})` : ''}`,
        );
        this.o.onRun?.(summary);
        return summary;
      } finally {
        // A lease that cannot be released expires within its TTL: the run's outcome still counts.
        await coordinator.onComplete(key).catch((e: unknown) => this.log(`${key}: lease release failed: ${(e as Error).message}`));
      }
    } finally {
      if (ownConnection) await wh.close();
    }
  }

  /** Starts ticking on node-cron; the first tick runs at once. */
  start(): void {
    this.task = cron.schedule(`*/${this.tickSeconds} * * * * *`, () => this.safeTick(), {
      name: 'linked-controller',
      timezone: 'UTC',
      // Ticks never overlap (safeTick skips a firing while a tick is in flight), so node-cron's
      // overlap prevention is not needed: it would write a coloured warning to stderr at every
      // firing a long compute spans. A firing missed while the event loop was busy is made up by
      // the next.
      suppressMissedWarning: true,
      // Whatever else it has to say goes through the daemon's log (JSON with --log-format json).
      logger: {
        info: () => undefined,
        debug: () => undefined,
        warn: (message) => this.log(`scheduler: ${message}`),
        error: (message, err) => this.log(`scheduler: ${message instanceof Error ? message.message : message}${err ? `: ${err.message}` : ''}`),
      },
    });
    void this.safeTick();
  }

  private async safeTick() {
    // A firing during a tick leaves it to finish (tick() would join it): its failure is logged
    // once, by the firing that started it.
    if (this.ticking) return;
    try {
      await this.tick('schedule');
    } catch (e) {
      this.log(`tick failed: ${(e as Error).message}`);
    }
  }

  /**
   * SIGTERM: no new run starts; a run in flight stops at its next step boundary (its current step,
   * a commit included, finishes) and is recorded as cancelled. Resolves when the tick has closed
   * the warehouse.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.task?.destroy();
    await this.ticking?.catch(() => undefined);
    try {
      const wh = await this.o.open();
      try {
        await new ControllerStore(wh, this.o.schema).markStopped(this.id, this.now());
      } finally {
        await wh.close();
      }
    } catch (e) {
      this.log(`could not record the stop: ${(e as Error).message}`);
    }
  }
}

/**
 * Statuses follow the applied model: a disabled audience is Disabled; an enabled one that never
 * ran is Computing until its first run; one enabled again shows its last run's status and is due
 * at once (the seed: enabling triggers a compute, whatever slot its schedule was at when it was
 * disabled); an applied schedule change moves the next run at once (schedule-follow.ts).
 */
export async function syncStatuses(
  wh: Warehouse,
  schema: string,
  model: ComputeModel,
  now = new Date(),
  log?: (line: string) => void,
): Promise<Map<string, AudienceStatusRow>> {
  const read = async () => new Map((await readStatuses(wh, schema)).map((s) => [s.audienceKey, s]));
  const current = await read();
  // Read again only when something changed: a tick with nothing to sync costs one read.
  let changed = false;
  const update = (key: string, patch: Parameters<typeof updateStatus>[3]) => {
    changed = true;
    return updateStatus(wh, schema, key, patch);
  };
  for (const a of model.audiences) {
    const s = current.get(a.key);
    if (!a.enabled && s?.status !== 'Disabled') await update(a.key, { status: 'Disabled' });
    if (awaitsEnableSync(a, s)) {
      const last = s?.lastRunId ? (await readRun(wh, schema, s.lastRunId))?.status : undefined;
      await update(a.key, { status: last === 'Live' ? 'Live' : last === 'Failed' ? 'Failed' : 'Computing', nextRunAt: s?.nextRunAt ? null : undefined });
      continue;
    }
    if (a.enabled && s?.nextRunAt && !s.paused) {
      const latest = async () => (await readRuns(wh, schema, { audienceKey: a.key, limit: 1 }))[0]?.startedAt;
      const moved = await followedNextRun(a.schedule, s.nextRunAt, now, latest);
      if (moved) {
        await update(a.key, { nextRunAt: moved });
        log?.(`${a.key}: schedule changed, next run ${moved.toISOString()}`);
      }
    }
  }
  return changed ? read() : current;
}

/** The earliest enabled, un-paused audience to be due, and when (ms); undefined when none is scheduled. */
function nextScheduled(model: ComputeModel, statuses: Map<string, AudienceStatusRow>): { audience: string; at: number } | undefined {
  let earliest: { audience: string; at: number } | undefined;
  for (const a of model.audiences) {
    const s = statuses.get(a.key);
    if (!a.enabled || s?.paused || !s?.nextRunAt) continue;
    if (!earliest || s.nextRunAt.getTime() < earliest.at) earliest = { audience: a.key, at: s.nextRunAt.getTime() };
  }
  return earliest;
}
