import { resolve } from 'node:path';
import { onceFailed } from '../controller/daemon.js';
import { GitSync } from '../controller/git-sync.js';
import { defaultCheckoutOf } from '../controller/home.js';
import type { DeliveryTuning } from '../controller/delivery-loop.js';
import { syncLoop, syncOnce, type SyncResult } from '../controller/sync-loop.js';
import { displayUrl } from '../github/redact.js';
import { LinkedError } from '../model/errors.js';
import { parseDuration } from './terminal.js';
import type { Desired } from '../model/desired.js';
import type { DaemonReporting } from './daemon-observe.js';
import { deliveryLine } from './daemon-run.js';
import { EXIT, printJsonLine } from './run.js';

export interface RunGitFlags {
  git: string;
  branch: string;
  interval: string;
  prune?: boolean;
  workdir?: string;
  dir?: string;
  outDir?: string;
  stack?: string;
  json?: boolean;
  once?: boolean;
  concurrency: number;
  tickSeconds: number;
  /** While nothing is due, look at the warehouse at most this often (`--look-every`); a pull looks anyway. */
  lookEveryMs?: number;
  leaseTtlMs: number;
  /** Deliver the emitters' events (false: `--no-deliver`). */
  deliver: boolean;
  delivery: DeliveryTuning;
  gc?: { everyMs: number; retentionMs: number };
}

/** One line per attempt: what `linked status` will show as the sync status. */
export function describeSync(r: SyncResult): string {
  const commit = r.commit ? ` ${r.commit.slice(0, 12)}` : '';
  const steps = r.status === 'synced' || r.status === 'out of sync' ? ` (${r.applied ? 'applied' : 'nothing to apply'}${r.computed ? ', computed' : ''})` : '';
  return `sync ${r.status}${commit}${steps}${r.message ? `: ${r.message}` : ''}`;
}

/** A sync attempt as a log record's fields (no objects: see LogValue). */
const syncFields = (r: SyncResult) => ({
  status: r.status,
  commit: r.commit,
  synced_commit: r.syncedCommit,
  applied: r.applied,
  computed: r.computed,
  pending_deletes: r.pendingDeletes,
  failed_step: r.failedStep,
  error: r.status === 'failed' ? (r.message ?? undefined) : undefined,
  message: r.status !== 'failed' ? (r.message ?? undefined) : undefined,
});

/**
 * `linked run --git`: pull, synthesize, plan, apply (deletes only with --prune), then compute and
 * deliver; between pulls, the compute schedule ticks and the delivery loop runs as usual. With
 * --once: one attempt, then delivery until the outboxes are empty; exit 1 on failure. `reporting`
 * (the daemon's logs, metrics, health and --listen endpoint, as for `linked run` without git)
 * observes every daemon the sync builds; `onDesired` learns each synth (its secrets are masked).
 */
export async function runFromGit(flags: RunGitFlags, reporting: DaemonReporting, onDesired: (desired: Desired) => void): Promise<void> {
  if (flags.outDir) throw new LinkedError('INVALID_OPTION', '--out-dir does not apply with --git: the controller synthesizes to <dir>/cdktf.out.');
  const dir = resolve(flags.dir ?? process.cwd());
  const workdir = flags.workdir ? resolve(dir, flags.workdir) : defaultCheckoutOf(dir);
  const intervalMs = parseDuration(flags.interval, '--interval');
  if (intervalMs < 1000) throw new LinkedError('INVALID_OPTION', '--interval must be at least 1s.');
  const log = reporting.log;
  const abort = new AbortController();
  // A newer linked migrated the state: the daemon has halted, so the pulls stop too and the
  // command exits with the refusal (the same image would only halt again).
  let halted: LinkedError | undefined;
  const sync = new GitSync({
    dir,
    stack: flags.stack,
    log,
    serve: !flags.once,
    observe: (options) => reporting.observe(options),
    onDesired,
    daemon: {
      concurrency: flags.concurrency,
      tickSeconds: flags.tickSeconds,
      lookEveryMs: flags.lookEveryMs,
      leaseTtlMs: flags.leaseTtlMs,
      deliver: flags.deliver,
      delivery: flags.delivery,
      gc: flags.once ? undefined : flags.gc,
      log,
      onRun: flags.json && !flags.once ? (s) => printJsonLine(s) : undefined,
      // --once --json prints the deliveries with its report; serving prints one line per pass.
      onDelivery: flags.once && flags.json ? undefined : (d) => (flags.json ? printJsonLine({ type: 'delivery', ...d }) : log?.(deliveryLine(d))),
      onHalt: (refusal) => {
        halted = refusal;
        abort.abort();
      },
    },
  });
  await sync.resume();
  const options = { repo: flags.git, branch: flags.branch, workdir, prune: flags.prune ?? false, suspend: sync.suspended, steps: sync.steps };
  const record = async (result: SyncResult) => {
    // The attempt the halt cut short failed on the refusal: nothing of it is recorded or logged.
    if (halted) return;
    await sync.record(result);
    if (reporting.logger) reporting.event('sync', syncFields(result));
    else if (flags.json) printJsonLine({ sync: result });
    else log?.(describeSync(result));
  };
  await reporting.listen();

  if (flags.once) {
    let failed = false;
    try {
      const result = await syncOnce(options);
      if (halted) throw halted;
      await sync.record(result);
      // Then what the sync computed (and anything pending) is delivered, as `linked run --once` does.
      const deliveries = await sync.deliverUntilEmpty();
      if (flags.json) printJsonLine({ sync: result, deliveries });
      else if (reporting.logger) reporting.event('sync', syncFields(result));
      else log?.(describeSync(result));
      failed = result.status === 'failed' || onceFailed({ due: [], runs: [], skipped: [], deliveries });
    } catch (e) {
      throw halted ?? e;
    } finally {
      await sync.stop();
      await reporting.close();
    }
    if (halted) throw halted;
    if (failed) process.exitCode = EXIT.error;
    return;
  }

  const stop = (signal: string) => {
    // With JSON logs, stopOnSignals' `stopping` record says it.
    if (reporting.printsOwnLines) log?.(`${signal}: finishing the current step, then stopping`);
    abort.abort();
  };
  reporting.stopOnSignals();
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  const paced = flags.lookEveryMs === undefined ? '' : `; between pulls it looks at the warehouse at most every ${flags.lookEveryMs / 1000} s while nothing is due`;
  log?.(`controller syncing ${displayUrl(options.repo)} (${flags.branch}) every ${flags.interval}${options.prune ? ', pruning' : ''}${paced}; checkout in ${workdir}`);
  reporting.event('started', {
    git: displayUrl(options.repo),
    branch: flags.branch,
    interval: flags.interval,
    tick_seconds: flags.tickSeconds,
    look_every_s: flags.lookEveryMs === undefined ? undefined : flags.lookEveryMs / 1000,
    delivering: flags.deliver,
  });
  await syncLoop({
    ...options,
    intervalMs,
    signal: abort.signal,
    onResult: record,
    onError: (e) => (halted ? undefined : log?.(`error: ${(e as Error).message}`)),
    idle: { everyMs: flags.tickSeconds * 1000, run: async () => void (await sync.tick()) },
  });
  await sync.stop();
  await reporting.close();
  if (halted) throw halted;
  log?.('stopped');
}
