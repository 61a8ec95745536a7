import { randomUUID } from 'node:crypto';
import { RunStore, type AudienceStatusRow } from '../state/compute/runs.js';
import { StageStore, type StagedRows } from '../state/compute/stage.js';
import type { Warehouse } from '../warehouse/types.js';
import { computeTag, withQueryTag } from '../warehouse/tagged.js';
import { withRetry, type RetryPolicy } from '../retry.js';
import { commitDelta, type CommitResult } from './commit.js';
import { DEFAULT_RETRY, MESSAGES, RunCancelledError, decide, isTransient } from './policy.js';
import { checkProfileIds, type ProfileIdChecks } from './profile-ids.js';
import { checkResults, stagePlan, stageResults, type StagePlan } from './staging.js';
import { pausedError } from './status.js';
import type { CompiledAudience, RunError, RunProgress, RunStep, RunSummary, RunTrigger } from './types.js';

export interface RunOptions {
  /** The state schema (unquoted), e.g. LINKED_AUDIENCES. */
  schema: string;
  audienceKey: string;
  trigger: RunTrigger;
  /** Compiles the audience; called inside the run so parse and graph errors are recorded by policy. */
  compile: () => CompiledAudience | Promise<CompiledAudience>;
  /** The lease this run holds; verified inside the commit so a run that lost it cannot write. */
  lease?: { holder: string; ttlMs: number };
  /**
   * The audience's status row as the caller just read it under the audience's lease (null: it has
   * none), which spares the run reading it again; undefined: the run reads it.
   */
  status?: AudienceStatusRow | null;
  /** Written to audience_status when the run ends (success or terminate); undefined leaves it. */
  nextRunAt?: Date | null;
  retry?: RetryPolicy;
  /** Aborted: the run stops at the next step boundary; a commit in flight completes. */
  signal?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  now?: () => Date;
  runId?: string;
  /** The stack the audience belongs to: part of the statements' query tag. */
  stack?: string;
  /** Searches of the profile table for a repeated id, shared by the runs of one controller tick. */
  profileIdChecks?: ProfileIdChecks;
}

/**
 * One run of one audience: kickoff → compile → update-model (stage the results) → check-results
 * (duplicates) → process-results + load-results (diff into the outbox and advance the snapshot,
 * in one transaction). Failures follow the seed's policy (src/compute/policy.ts). The caller
 * guarantees that no other run of this audience is in flight (lease / controller).
 */
export async function runAudience(wh: Warehouse, options: RunOptions): Promise<RunSummary> {
  // Every statement of the run carries its stack, audience and run id (Snowflake's QUERY_TAG).
  const o = { ...options, runId: options.runId ?? randomUUID() };
  const run = new AudienceRun(withQueryTag(wh, computeTag(o.audienceKey, o.runId, o.stack)), o);
  let current: AudienceStatusRow | undefined;
  try {
    current = o.status === undefined ? await run.runs.readStatus(o.audienceKey) : (o.status ?? undefined);
  } catch (e) {
    // A run that cannot even read its audience is still a run: recorded as failed at kickoff.
    return run.failed(e);
  }
  if (current?.paused) throw pausedError(o.audienceKey, current.pausedReason);
  // Compiling does no warehouse work, so it goes first: the run's row is then written once, already
  // at the step that follows. A compile error is raised at step compile, where the policy expects it.
  let compiled: CompiledAudience | undefined;
  let compileError: unknown;
  try {
    compiled = await o.compile();
  } catch (e) {
    compileError = e;
  }
  try {
    await run.kickoff(current, compiled);
    run.enter('compile');
    if (!compiled) throw compileError;
    return run.succeeded(await run.compute(compiled));
  } catch (e) {
    return run.failed(e, compiled);
  }
}

/**
 * A run that never reached its kickoff (its lease or its statuses could not be read): failed at
 * step kickoff by the policy, not written to the state (the caller may not hold the audience),
 * and reported with the reason so that no due run disappears from a tick's report.
 */
export function notStarted(audienceKey: string, trigger: RunTrigger, e: unknown, dialect: Warehouse['dialect'], now = new Date()): RunSummary {
  const { error, detail } = decide('kickoff', e, dialect);
  const none = { members: null, entered: null, exited: null, entitiesAdded: null, entitiesRemoved: null };
  return {
    runId: randomUUID(),
    audienceKey,
    trigger,
    startedAt: now,
    endedAt: now,
    durationMs: 0,
    status: 'Failed',
    ...none,
    baseline: false,
    paused: false,
    queryIds: [],
    error,
    unrecorded: `the run did not start: ${detail ?? (e as Error)?.message ?? String(e)}`,
  };
}

/** What the results check found: members, and matches per entity path. */
interface Staged {
  members: number;
  entities: Record<string, number>;
}

/** The state of one run as it moves through its steps. */
class AudienceRun {
  readonly runs: RunStore;
  private readonly stage: StageStore;
  private readonly now: () => Date;
  private readonly retry: RetryPolicy;
  private readonly runId: string;
  private readonly key: string;
  private readonly startedAt: Date;
  private readonly queryIds: string[] = [];
  private step: RunStep = 'kickoff';
  private members: number | null = null;

  constructor(
    private readonly wh: Warehouse,
    private readonly o: RunOptions,
  ) {
    this.runs = new RunStore(wh, o.schema);
    this.stage = new StageStore(wh, o.schema);
    this.now = o.now ?? (() => new Date());
    this.retry = o.retry ?? DEFAULT_RETRY;
    this.runId = o.runId ?? randomUUID();
    this.key = o.audienceKey;
    this.startedAt = this.now();
  }

  private progress(p: RunProgress) {
    this.o.onProgress?.(p);
  }

  private retrying<T>(fn: (attempt: number) => Promise<T>): Promise<T> {
    return withRetry(fn, this.retry, {
      retryable: isTransient,
      signal: this.o.signal,
      abortError: () => new RunCancelledError(),
      onRetry: (attempt, e) => this.progress({ step: this.step, attempt, message: `retrying after: ${(e as Error).message}` }),
    });
  }

  /**
   * Moves to step `s` (the policy depends on it). The run's row is written at the kickoff (already
   * at the step after compile) and at the end; the commit renews and checks the lease.
   */
  enter(s: RunStep) {
    if (this.o.signal?.aborted) throw new RunCancelledError();
    this.step = s;
    this.progress({ step: s });
  }

  private track = (r: StagedRows, message: string) => {
    if (r.queryId) this.queryIds.push(r.queryId);
    this.progress({ step: this.step, rows: r.rows, message });
  };

  async kickoff(current: AudienceStatusRow | undefined, compiled: CompiledAudience | undefined): Promise<void> {
    this.progress({ step: this.step });
    await this.retrying(async () => {
      // Any run still "Computing" died with its process: this run holds the audience now, and
      // clears what such a run may have staged (every run removes its own stage rows otherwise; a
      // row left by a failed cleanup is harmless, as every read of the stage names its run).
      const abandoned = await this.runs.abandonOthers(this.key, this.runId, this.startedAt, MESSAGES.abandoned);
      if (abandoned !== 0) await this.stage.clearAudience(this.key);
      const step = compiled ? 'update-model' : 'compile';
      await this.runs.start(this.startRow(step, compiled?.audienceSpecHash ?? null));
      await this.runs.updateStatus(this.key, { status: 'Computing' }, { rowExists: current !== undefined });
    });
  }

  /**
   * Stages, checks and commits the compiled audience. On DuckDB the three steps are one
   * transaction, retried as a whole: the stage rows are inserted and deleted inside it, so they
   * never reach the file (openDuckDb turns optimistic writes off). Written to the file, they cost a
   * run more than its queries do. Elsewhere each step is its own statement(s), retried on its own,
   * so that a long stage never holds the commit's locks.
   */
  async compute(compiled: CompiledAudience): Promise<CommitResult> {
    const plan = stagePlan(compiled);
    if (this.wh.dialect === 'duckdb') {
      return this.retrying(() =>
        this.wh.transaction(async (tx) => {
          await this.stageIn(tx, compiled, plan);
          return this.commitIn(tx, compiled, plan, await this.checkIn(tx, compiled, plan));
        }),
      );
    }
    await this.retrying(async (attempt) => {
      // What a failed attempt staged goes first.
      if (attempt > 1) await this.stage.clearRun(this.runId);
      await this.stageIn(this.wh, compiled, plan);
    });
    const members = await this.retrying(() => this.checkIn(this.wh, compiled, plan));
    // From here on the run finishes its step even when asked to stop: the commit is one transaction.
    return this.retrying(() => this.wh.transaction((tx) => this.commitIn(tx, compiled, plan, members)));
  }

  private async stageIn(wh: Warehouse, compiled: CompiledAudience, plan: StagePlan): Promise<void> {
    this.enter('update-model');
    await stageResults(this.stage.in(wh), this.runId, this.key, compiled, plan, this.track);
  }

  /** The results check; returns the members staged and the matches per entity path. */
  private async checkIn(wh: Warehouse, compiled: CompiledAudience, plan: StagePlan): Promise<Staged> {
    this.enter('check-results');
    const profileIdsQuery = await checkProfileIds(wh, compiled.profileIds, this.o.profileIdChecks);
    if (profileIdsQuery) this.queryIds.push(profileIdsQuery);
    const staged = await checkResults(this.stage.in(wh), this.runId, compiled.distinctRows);
    const members = plan.membersFromPath === undefined ? staged.members : (staged.paths.get(plan.membersFromPath)?.profiles ?? 0);
    this.members = members;
    this.progress({ step: this.step, rows: members, message: 'members' });
    return { members, entities: Object.fromEntries(compiled.entities.map((e) => [e.path, staged.paths.get(e.path)?.matches ?? 0])) };
  }

  private async commitIn(tx: Warehouse, compiled: CompiledAudience, plan: StagePlan, staged: Staged): Promise<CommitResult> {
    this.enter('process-results');
    const input = { runId: this.runId, audienceKey: this.key, entityPaths: compiled.entities.map((e) => e.path), now: this.now(), lease: this.o.lease };
    const r = await commitDelta(tx, this.o.schema, { ...input, stagedMembers: staged.members, stagedEntities: staged.entities, membersFromPath: plan.membersFromPath }, (s) => (this.step = s));
    const runs = this.runs.in(tx);
    await runs.finishLive(this.runId, this.ended(this.now()), r);
    await runs.updateStatus(this.key, { status: 'Live', lastRunId: this.runId, lastRunAt: this.startedAt, size: r.members, nextRunAt: this.o.nextRunAt }, { rowExists: true });
    return r;
  }

  private ended(endedAt: Date) {
    return { endedAt, durationMs: endedAt.getTime() - this.startedAt.getTime(), queryIds: this.queryIds };
  }

  private summary(endedAt: Date) {
    const { runId, key: audienceKey, startedAt, queryIds } = this;
    return { runId, audienceKey, trigger: this.o.trigger, startedAt, endedAt, durationMs: endedAt.getTime() - startedAt.getTime(), queryIds };
  }

  succeeded(r: CommitResult): RunSummary {
    const { members, entered, exited, entitiesAdded, entitiesRemoved, baseline } = r;
    return { ...this.summary(this.now()), status: 'Live', members, entered, exited, entitiesAdded, entitiesRemoved, baseline, paused: false };
  }

  /**
   * Records the failure as the policy decides (retried too; never skipped because of a cancel).
   * A run that failed before its kickoff wrote its row gets the row here, so no failed run is
   * missing from `linked runs`. When even that cannot be written, the summary still says Failed
   * and carries why it is not recorded: the caller reports it rather than dropping it.
   */
  async failed(e: unknown, compiled?: CompiledAudience): Promise<RunSummary> {
    const decided = decide(this.step, e, this.wh.dialect);
    const { detail } = decided;
    const error = decided.error.code === 'SQL_COMPILATION' ? await this.withDrift(decided.error, compiled) : decided.error;
    const endedAt = this.now();
    const paused = error.action === 'pause';
    const pausedReason = `${error.message} (${error.code}${detail ? `: ${detail}` : ''})`;
    let unrecorded: string | undefined;
    try {
      await withRetry(
        async () => {
          const f = { ...this.ended(endedAt), members: this.members, errorCode: error.code, errorMessage: error.message, errorDetail: detail ?? null, step: this.step };
          if (this.step === 'kickoff') await this.runs.start(this.startRow(this.step));
          await this.runs.finishFailed(this.runId, f);
          const end = paused ? { paused: true, pausedReason } : { nextRunAt: this.o.nextRunAt };
          await this.runs.updateStatus(this.key, { status: 'Failed', lastRunId: this.runId, lastRunAt: this.startedAt, ...end });
          await this.stage.clearRun(this.runId);
        },
        this.retry,
        { retryable: isTransient },
      );
    } catch (recordError) {
      unrecorded = (recordError as Error)?.message ?? String(recordError);
    }
    const none = { entered: null, exited: null, entitiesAdded: null, entitiesRemoved: null };
    return {
      ...this.summary(endedAt),
      status: 'Failed',
      members: this.members,
      ...none,
      baseline: false,
      paused,
      queryIds: this.queryIds,
      error,
      ...(unrecorded !== undefined ? { unrecorded } : {}),
    };
  }

  /**
   * A compilation error with what the warehouse no longer has of the Data Graph, when that is why:
   * the warehouse's message alone names the SQL's aliases ("table r1 not found"), not the column.
   */
  private async withDrift(error: RunError, compiled: CompiledAudience | undefined): Promise<RunError> {
    const drift = await compiled?.catalogDrift?.(this.wh).catch(() => undefined);
    if (!drift) return error;
    return { ...error, message: `${error.message}\nThe warehouse no longer matches the applied Data Graph: ${drift}. Restore it, or change the Data Graph and apply ("linked drift" lists every difference).` };
  }

  private startRow(step: string, audienceSpecHash: string | null = null) {
    return { id: this.runId, audienceKey: this.key, startedAt: this.startedAt, trigger: this.o.trigger, holder: this.o.lease?.holder ?? null, step, audienceSpecHash };
  }
}
