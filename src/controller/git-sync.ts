import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readAppliedModel } from '../compute/applied.js';
import { planCounts } from '../github/plan-summary.js';
import { redact } from '../github/redact.js';
import { constructPaths, loadDesired, synthApp } from '../manifest/index.js';
import type { Desired } from '../model/desired.js';
import { LinkedError } from '../model/errors.js';
import { applyPlanLocked, withStackLock } from '../plan/apply.js';
import { buildPlan } from '../plan/build.js';
import { planDiagnostics } from '../plan/diagnostics.js';
import { withoutDeletes } from '../plan/make.js';
import { readProvenance } from '../plan/provenance.js';
import type { Plan } from '../plan/types.js';
import { SyncStatusStore } from '../state/control/sync-status.js';
import type { StateSession } from '../state/session.js';
import { openWarehouse } from '../warehouse/index.js';
import { commandTag, withQueryTag } from '../warehouse/tagged.js';
import type { TickReport } from './controller.js';
import { Daemon, type DaemonOptions } from './daemon.js';
import type { DeliveryReport } from './delivery-loop.js';
import { lastSynthOf } from './home.js';
import { requestDirFor } from './request-files.js';
import type { PlanLike, SyncResult, SyncSteps } from './sync-loop.js';
import { recordSyncStatus } from './sync-status.js';

export type GitPlan = PlanLike & { plan: Plan };

export interface GitSyncOptions {
  /** Where relative DuckDB paths resolve: the controller's home, never the checkout (git clean would remove the file). */
  dir: string;
  stack?: string;
  /**
   * Everything of the daemon (compute, delivery, background gc) but how it reaches the warehouse
   * and which stack it serves, which come from each synth.
   */
  daemon: Omit<DaemonOptions, 'open' | 'schema' | 'loadModel' | 'stack' | 'duckDbFile' | 'requestDir'>;
  /**
   * Serving (not `--once`): the daemon's delivery loop and background gc run between pulls. The
   * compute ticks come from the sync loop (`tick`), not from a clock of the controller's own.
   */
  serve?: boolean;
  /**
   * Observes each daemon the sync builds (metrics, health, structured logs: the CLI's one
   * observability setup, as for `linked run` without git).
   */
  observe?: (options: DaemonOptions) => DaemonOptions;
  /** Told each desired state the sync reads (the last good synth on resume, then each plan's). */
  onDesired?: (desired: Desired) => void;
  /** How long apply waits for the state lock (a pipeline may be applying too). */
  lockTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * The real layers under `syncOnce` for `linked run --git`: install the checkout's dependencies when
 * its lock file changed, synthesize, plan against the warehouse the commit declares, apply under
 * the stack lock with the commit as provenance, then compute and deliver through one Daemon (the
 * one `linked run` serves), which is rebuilt only when the commit moves the warehouse. Every step
 * reaches the warehouse through that daemon, so on DuckDB a plan or apply queues with its
 * computes and deliveries on the one shared file instead of waiting for it.
 */
export class GitSync {
  private desired?: Desired;
  /** The checkout the last synth read: its HEAD is the provenance of an apply. */
  private checkout?: string;
  /**
   * The commit whose synth is in lastSynthOf(dir). Only a success sets it (a failed synth is
   * retried next attempt); a restarted controller synthesizes once again.
   */
  private synthesizedCommit?: string;
  private daemon?: Daemon;
  private daemonWarehouse = '';

  constructor(private readonly o: GitSyncOptions) {}

  /**
   * A restarted controller reads what it last synthesized, so a suspended stack stays suspended
   * from the first attempt (nothing is fetched or applied before the state is read).
   */
  async resume(): Promise<void> {
    const outDir = lastSynthOf(this.o.dir);
    if (existsSync(join(outDir, 'manifest.json'))) this.desired = await loadDesired(outDir, this.o.stack).catch(() => undefined);
    if (this.desired) this.o.onDesired?.(this.desired);
  }

  readonly steps: SyncSteps<GitPlan> = {
    synth: async (checkout, commit) => {
      this.checkout = checkout;
      const outDir = lastSynthOf(this.o.dir);
      // An unchanged commit synthesizes to the same output: the plan, made on every attempt, is what
      // finds drift. Synthesizing again would only keep a core busy at short intervals.
      if (commit === this.synthesizedCommit && existsSync(join(outDir, 'manifest.json'))) return outDir;
      await installDependencies(checkout, this.o.log);
      // Synthesized aside, then swapped in: a failed synth leaves <dir>/cdktf.out at the last good
      // commit, so `linked status --dir <dir>` and the other commands keep working.
      const staging = join(this.o.dir, '.linked', 'synth');
      await synthApp(checkout, { quiet: true, outDir: staging });
      rmSync(outDir, { recursive: true, force: true });
      renameSync(staging, outDir);
      this.synthesizedCommit = commit;
      return outDir;
    },
    plan: async (outDir) => {
      const desired = await loadDesired(outDir, this.o.stack);
      const plan = await this.session(desired).withWarehouse(async (wh) =>
        buildPlan(wh, desired, { diagnostics: await planDiagnostics(desired, wh), constructPaths: constructPaths(outDir, desired.stack) }),
      );
      this.desired = desired;
      this.o.onDesired?.(desired);
      return { plan, ...planCounts(plan) };
    },
    apply: async ({ plan: full }, { prune }) => {
      const plan = prune ? full : withoutDeletes(full);
      const session = this.session(this.desired!);
      // The commit, author and branch of the checkout; the controller's own CI variables do not apply.
      const provenance = { ...readProvenance(this.checkout!, {}), appliedBy: (await this.daemonFor(this.desired!)).id };
      const result = await withStackLock(session, plan.stack, { timeoutMs: this.o.lockTimeoutMs ?? 60_000, operation: 'run --git' }, (lock) =>
        applyPlanLocked(session, plan, lock, provenance),
      );
      const s = result.summary;
      this.o.log?.(`applied ${provenance.commitSha?.slice(0, 12)}: ${s.create} added, ${s.update} changed, ${s.replace} replaced, ${s.delete} destroyed`);
    },
    compute: async () => {
      // Nothing synthesized yet (the first fetch or synth failed): there is no warehouse to compute in.
      if (!this.desired) return;
      // The attempt's plan has just read the warehouse, and an apply may have changed what is due:
      // the controller looks now, quiet spell or not.
      (await this.daemonFor(this.desired)).controller?.wake();
      await this.tick();
    },
  };

  /**
   * The schedule tick between syncs; skipped while suspended, before the first synth, and during
   * the controller's quiet spells (`--look-every`: then not even the suspension is read).
   */
  async tick(): Promise<TickReport | undefined> {
    if (!this.desired) return undefined;
    const controller = (await this.daemonFor(this.desired)).controller!;
    if (controller.isQuiet() || (await this.suspended())) return undefined;
    return controller.tick('schedule');
  }

  /** `--once`: after the sync's compute, every emitter delivers until its outbox is empty (or stuck). */
  async deliverUntilEmpty(): Promise<DeliveryReport[]> {
    if (!this.desired || (await this.suspended())) return [];
    return (await (await this.daemonFor(this.desired)).delivery?.untilEmpty()) ?? [];
  }

  /** `SyncOptions.suspend`: read from the state on every attempt. */
  readonly suspended = async (): Promise<boolean> => {
    const d = this.desired;
    if (!d) return false;
    return this.session(d).withWarehouse((wh) => new SyncStatusStore(wh, d.warehouse.stateSchema).isSuspended(d.stack));
  };

  /** `SyncLoopOptions.onResult`: the row `linked status` shows. */
  readonly record = async (result: SyncResult): Promise<void> => {
    const d = this.desired;
    if (!d) return;
    await this.session(d).withWarehouse((wh) => recordSyncStatus(wh, d.warehouse.stateSchema, d.stack, result));
  };

  async stop(): Promise<void> {
    await this.daemon?.stop();
  }

  /**
   * The state of `d`'s warehouse, one step at a time, through its daemon (which migrates it on first use).
   * Its statements (a pulled commit's plan and apply, the sync's status) are the sync's, not the daemon's.
   */
  private session(d: Desired): StateSession {
    return {
      schema: d.warehouse.stateSchema,
      withWarehouse: async (fn) => {
        const wh = withQueryTag(await (await this.daemonFor(d)).open(), commandTag('git-sync', d.stack));
        try {
          return await fn(wh);
        } finally {
          await wh.close();
        }
      },
    };
  }

  /** The daemon of `d`'s warehouse: the running one, or (first synth, or a commit that moved the warehouse) a new one. */
  private async daemonFor(d: Desired): Promise<Daemon> {
    const warehouse = JSON.stringify(d.warehouse);
    if (this.daemon && warehouse === this.daemonWarehouse) return this.daemon;
    const previous = this.daemon;
    const wh = d.warehouse;
    const duckDbFile = wh.type === 'duckdb' && wh.path !== ':memory:' ? resolve(this.o.dir, wh.path) : undefined;
    const options: DaemonOptions = {
      ...this.o.daemon,
      open: () => openWarehouse(wh, this.o.dir, { tag: commandTag('run', d.stack) }),
      schema: wh.stateSchema,
      stack: d.stack,
      duckDbFile,
      requestDir: duckDbFile ? requestDirFor(duckDbFile) : undefined,
      loadModel: (w) => readAppliedModel(w, wh.stateSchema, d.stack),
    };
    const daemon = new Daemon(this.o.observe ? this.o.observe(options) : options);
    // Set before the old one stops, so a caller meanwhile finds this one (and never builds a third).
    this.daemon = daemon;
    this.daemonWarehouse = warehouse;
    await previous?.stop();
    if (this.o.serve) daemon.startBesideSync();
    return daemon;
  }
}

/**
 * `npm ci` (or `npm install` without a lock file) when package.json or the lock file changed since
 * the last install; the hash is kept under .git, which neither fetch nor clean touch. A checkout
 * that declares no dependencies resolves linked-audiences from an enclosing node_modules, as Node does.
 */
export async function installDependencies(checkout: string, log?: (line: string) => void): Promise<void> {
  const manifest = join(checkout, 'package.json');
  if (!existsSync(manifest) || !declaresDependencies(manifest)) return;
  const lockFile = ['package-lock.json', 'npm-shrinkwrap.json'].map((f) => join(checkout, f)).find(existsSync);
  // Of what git holds, before the install: a lock file npm writes is untracked and cleaned away.
  const hash = createHash('sha256').update(readFileSync(manifest)).update(lockFile ? readFileSync(lockFile) : '').digest('hex');
  const marker = join(checkout, '.git', 'linked-installed');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === hash && existsSync(join(checkout, 'node_modules'))) return;
  const args = lockFile ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  log?.(`npm ${args[0]} in the checkout (its ${lockFile ? 'lock file' : 'package.json'} changed)`);
  const { code, output } = await runNpm(args, checkout);
  if (code !== 0) {
    // npm says what is wrong first, then prints usage and log paths: keep the head, warnings out.
    const head = output
      .split('\n')
      .filter((l) => l.trim() !== '' && l.trim() !== 'npm error' && !l.startsWith('npm warn'))
      .slice(0, 8)
      .join('\n');
    throw new LinkedError('INSTALL_FAILED', `npm ${args[0]} failed in the checkout:\n${redact(head, [process.env.GITHUB_TOKEN, process.env.NPM_TOKEN])}`);
  }
  writeFileSync(marker, hash);
}

function declaresDependencies(manifest: string): boolean {
  let pkg: { dependencies?: object; devDependencies?: object };
  try {
    pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch (e) {
    throw new LinkedError('INSTALL_FAILED', `The checkout's package.json is not valid JSON: ${(e as Error).message}`);
  }
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).length > 0;
}

function runNpm(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const child = spawn(npm, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}
