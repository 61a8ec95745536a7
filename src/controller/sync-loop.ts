import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { assertBranchName, git } from '../github/git.js';
import { displayUrl, redact } from '../github/redact.js';
import { isLinkedError, LinkedError } from '../model/errors.js';
import type { SyncStatus } from '../state/control/sync-status.js';

export type { SyncStatus };

/** What the loop needs from a plan; the plan/apply layer's Plan is adapted to this. */
export interface PlanLike {
  hasChanges: boolean;
  /** Resources the plan would delete (removed from git). */
  deletes: number;
  /** Error diagnostics: such a plan is not applied. */
  errors: number;
  /** All actionable changes, deletes included. When every change is a delete and prune is off, apply is not called. */
  changes?: number;
}

/** The layers the loop drives, in order. Each runs in this process; each may throw. */
export interface SyncSteps<P extends PlanLike = PlanLike> {
  /** Synthesizes the checkout, whose HEAD is `commit`; returns the cdktf.out directory. */
  synth(dir: string, commit: string): Promise<string>;
  plan(outDir: string): Promise<P>;
  /** Applies the plan; with `prune: false` it must leave deletions out (Argo CD's default). */
  apply(plan: P, options: { prune: boolean }): Promise<void>;
  compute(): Promise<void>;
}

export interface SyncOptions<P extends PlanLike = PlanLike> {
  /** A URL (https, ssh, file) or a local path of the repository. */
  repo: string;
  branch: string;
  /** Where the controller keeps its checkout: cloned on first use, then fetched and hard-reset. */
  workdir: string;
  prune: boolean;
  /** Read on every tick, so a running loop can be suspended and resumed. */
  suspend?: boolean | (() => boolean | Promise<boolean>);
  steps: SyncSteps<P>;
}

export type SyncStep = 'fetch' | 'synth' | 'plan' | 'apply' | 'compute';

export interface SyncResult {
  status: SyncStatus;
  /** The commit this attempt saw (null when fetching failed or the loop is suspended). */
  commit: string | null;
  /** The commit applied by this attempt (Argo CD's sync revision); null when nothing was applied or it failed before. */
  syncedCommit: string | null;
  /** Why it is out of sync, failed or suspended; null when synced. */
  message: string | null;
  /** The step that failed, when status is failed. */
  failedStep?: SyncStep;
  applied: boolean;
  computed: boolean;
  /** Deletions left out because prune is off. */
  pendingDeletes: number;
  attemptedAt: Date;
  /** The repository, credentials removed. */
  source: string;
  branch: string;
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[^/\s]+@[^/\s:]+:/.test(s);

/** A URL as given, a local path made absolute (the checkout's cwd is elsewhere). */
function sourceOf(repo: string): string {
  if (repo.trim() === '' || repo.startsWith('-')) throw new LinkedError('INVALID_ARGUMENT', `"${displayUrl(repo)}" is not a repository URL or path.`);
  return isUrl(repo) ? repo : resolve(repo);
}

/** Clone on first use; afterwards fetch and hard-reset to origin/<branch> (local edits never survive, as in Argo CD). */
export async function checkoutBranch(repo: string, branch: string, workdir: string): Promise<string> {
  const source = sourceOf(repo);
  await assertBranchName(branch);
  if (!existsSync(join(workdir, '.git'))) {
    if (existsSync(workdir) && readdirSync(workdir).length > 0) {
      throw new LinkedError('SYNC_WORKDIR_INVALID', `${workdir} exists and is not a git checkout: give the controller an empty or new directory.`);
    }
    mkdirSync(dirname(resolve(workdir)), { recursive: true });
    await git(['clone', '--quiet', '--branch', branch, '--single-branch', '--', source, workdir]);
  } else {
    await git(['remote', 'set-url', 'origin', source], { cwd: workdir });
    await git(['fetch', '--quiet', '--prune', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`], { cwd: workdir });
    await git(['reset', '--quiet', '--hard', `refs/remotes/origin/${branch}`], { cwd: workdir });
    // Untracked leftovers (a file deleted upstream then recreated locally) would change the synth;
    // ignored files (node_modules, cdktf.out) stay, they are the build's.
    await git(['clean', '-ffdq'], { cwd: workdir });
  }
  return (await git(['rev-parse', 'HEAD'], { cwd: workdir })).trim();
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function failureMessage(step: SyncStep, e: unknown): string {
  const text = isLinkedError(e) || e instanceof Error ? e.message : String(e);
  return redact(`${step} failed: ${text}`, [process.env.GITHUB_TOKEN]);
}

/**
 * One reconcile: pull, synthesize, plan, apply (deletions only with prune), then compute.
 * Never throws: a failure is a `failed` result naming the step and the reason.
 * Compute runs after a failed sync too, against the state applied last (a broken commit must
 * not stop audiences from refreshing; Argo CD keeps the last synced application running).
 */
export async function syncOnce<P extends PlanLike>(opts: SyncOptions<P>): Promise<SyncResult> {
  const attemptedAt = new Date();
  const base = { attemptedAt, source: displayUrl(opts.repo), branch: opts.branch, applied: false, computed: false, pendingDeletes: 0 };
  const suspended = typeof opts.suspend === 'function' ? await opts.suspend() : Boolean(opts.suspend);
  if (suspended) {
    return { ...base, status: 'suspended', commit: null, syncedCommit: null, message: 'suspended: nothing is pulled, applied or computed until it is resumed' };
  }

  let result: SyncResult;
  let commit: string | null = null;
  let step: SyncStep = 'fetch';
  try {
    commit = await checkoutBranch(opts.repo, opts.branch, opts.workdir);
    step = 'synth';
    const outDir = await opts.steps.synth(opts.workdir, commit);
    step = 'plan';
    const plan = await opts.steps.plan(outDir);
    if (plan.errors > 0) throw new LinkedError('PLAN_HAS_ERRORS', `the plan of ${commit.slice(0, 12)} has ${plural(plan.errors, 'error', 'errors')}`);
    const pendingDeletes = opts.prune ? 0 : plan.deletes;
    const onlyDeletes = plan.changes !== undefined && plan.changes === plan.deletes;
    step = 'apply';
    let applied = false;
    if (plan.hasChanges && !(pendingDeletes > 0 && onlyDeletes)) {
      await opts.steps.apply(plan, { prune: opts.prune });
      applied = true;
    }
    result = {
      ...base,
      status: pendingDeletes > 0 ? 'out of sync' : 'synced',
      commit,
      syncedCommit: commit,
      applied,
      pendingDeletes,
      message:
        pendingDeletes > 0
          ? `${plural(pendingDeletes, 'resource', 'resources')} removed from git still ${pendingDeletes === 1 ? 'exists' : 'exist'}: deleting needs --prune`
          : null,
    };
  } catch (e) {
    result = { ...base, status: 'failed', commit, syncedCommit: null, failedStep: step, message: failureMessage(step, e) };
  }

  try {
    await opts.steps.compute();
    result.computed = true;
  } catch (e) {
    const message = failureMessage('compute', e);
    if (result.status === 'failed') result.message = `${result.message}; ${message}`;
    else result = { ...result, status: 'failed', failedStep: 'compute', message };
  }
  return result;
}

export interface SyncLoopOptions<P extends PlanLike = PlanLike> extends SyncOptions<P> {
  intervalMs: number;
  signal: AbortSignal;
  /** After every attempt (e.g. `recordSyncStatus`); a throw goes to onError and the loop goes on. */
  onResult?: (result: SyncResult) => void | Promise<void>;
  onError?: (error: unknown) => void;
  /**
   * Work between attempts, every `everyMs` (e.g. the compute controller's schedule ticks). It runs
   * in this same sequence, so it never overlaps an attempt: an embedded DuckDB file admits one
   * holder at a time. A throw goes to onError.
   */
  idle?: { everyMs: number; run: () => Promise<void> };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    if (signal.aborted) return resolveSleep();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveSleep();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Reconciles every `intervalMs` until `signal` aborts; attempts never overlap. Resolves after the attempt in flight. */
export async function syncLoop<P extends PlanLike>(opts: SyncLoopOptions<P>): Promise<void> {
  if (!(opts.intervalMs > 0)) throw new LinkedError('INVALID_ARGUMENT', 'The sync interval must be a positive duration.');
  while (!opts.signal.aborted) {
    const result = await syncOnce(opts);
    try {
      await opts.onResult?.(result);
    } catch (e) {
      opts.onError?.(e);
    }
    await waitForNextAttempt(opts);
  }
}

async function waitForNextAttempt(opts: SyncLoopOptions<PlanLike>): Promise<void> {
  const nextAttempt = Date.now() + opts.intervalMs;
  while (!opts.signal.aborted) {
    const left = nextAttempt - Date.now();
    if (left <= 0) return;
    if (!opts.idle) return sleep(left, opts.signal);
    await sleep(Math.min(left, opts.idle.everyMs), opts.signal);
    if (opts.signal.aborted || Date.now() >= nextAttempt) return;
    try {
      await opts.idle.run();
    } catch (e) {
      opts.onError?.(e);
    }
  }
}
