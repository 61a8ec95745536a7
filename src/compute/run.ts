import { randomUUID } from 'node:crypto';
import type { Warehouse } from '../warehouse/types.js';
import { MESSAGES, RunCancelledError, decide } from './policy.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';
import { checkResults, clearRunStage, clearStage, commitDelta, reportedRows, stageEntities, stageMembersWithEntities, stageMembership, type CommitResult } from './snapshot.js';
import { pausedError, readStatus, updateStatus } from './status.js';
import { computeTables } from './tables.js';
import type { CompiledAudience, RunProgress, RunStep, RunSummary, RunTrigger } from './types.js';

export interface RunOptions {
  /** The state schema (unquoted), e.g. LINKED_AUDIENCES. */
  schema: string;
  audienceKey: string;
  trigger: RunTrigger;
  /** Compiles the audience; called inside the run so parse and graph errors are recorded by policy. */
  compile: () => CompiledAudience | Promise<CompiledAudience>;
  /** The lease this run holds; verified inside the commit so a run that lost it cannot write. */
  lease?: { holder: string; ttlMs: number };
  /** Written to audience_status when the run ends (success or terminate); undefined leaves it. */
  nextRunAt?: Date | null;
  retry?: RetryPolicy;
  /** Aborted: the run stops at the next step boundary; a commit in flight completes. */
  signal?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  now?: () => Date;
  runId?: string;
}

/**
 * One run of one audience: kickoff → compile → update-model (stage the results) → check-results
 * (duplicates) → process-results + load-results (diff into the outbox and advance the snapshot,
 * in one transaction). Failures follow the seed's policy (src/compute/policy.ts). The caller
 * guarantees that no other run of this audience is in flight (lease / controller).
 */
export async function runAudience(wh: Warehouse, o: RunOptions): Promise<RunSummary> {
  const t = computeTables(wh, o.schema);
  const now = o.now ?? (() => new Date());
  const retry = o.retry ?? DEFAULT_RETRY;
  const runId = o.runId ?? randomUUID();
  const key = o.audienceKey;
  const queryIds: string[] = [];
  const startedAt = now();
  let step: RunStep = 'kickoff';
  let members: number | null = null;

  const current = await readStatus(wh, t, key);
  if (current?.paused) throw pausedError(key, current.pausedReason);

  const progress = (p: RunProgress) => o.onProgress?.(p);
  const retrying = <T>(fn: (attempt: number) => Promise<T>) =>
    withRetry(fn, retry, {
      signal: o.signal,
      onRetry: (attempt, e) => progress({ step, attempt, message: `retrying after: ${(e as Error).message}` }),
    });
  /**
   * Moves to step `s` (the policy depends on it). The run's row is written at the kickoff (already
   * at the step after compile) and at the end; the commit renews and checks the lease.
   */
  const enter = (s: RunStep) => {
    if (o.signal?.aborted) throw new RunCancelledError();
    step = s;
    progress({ step });
  };
  const track = (r: { queryId?: string }) => {
    if (r.queryId) queryIds.push(r.queryId);
  };

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
    progress({ step });
    await retrying(async () => {
      // Any run still "Computing" died with its process: this run holds the audience now, and
      // clears what such a run may have staged (every run removes its own stage rows otherwise; a
      // row left by a failed cleanup is harmless, as every read of the stage names its run).
      const abandoned = await wh.query(
        `UPDATE ${t.runs} SET status = 'Failed', ended_at = ?, error_code = 'RUN_ABANDONED', error_message = ?
          WHERE audience_key = ? AND status = 'Computing' AND id <> ?`,
        [startedAt, MESSAGES.abandoned, key, runId],
      );
      if (reportedRows(abandoned.rows) !== 0) await clearStage(wh, t, key);
      await wh.query(
        `INSERT INTO ${t.runs} (id, audience_key, status, started_at, trigger, holder, step)
         SELECT ?, ?, 'Computing', ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM ${t.runs} WHERE id = ?)`,
        [runId, key, startedAt, o.trigger, o.lease?.holder ?? null, compiled ? 'update-model' : 'compile', runId],
      );
      await updateStatus(wh, t, key, { status: 'Computing' }, { rowExists: current !== undefined });
    });

    enter('compile');
    if (!compiled) throw compileError;
    enter('update-model');
    const fused = compiled.entities.find((e) => e.path === compiled.membershipFromEntities);
    // With one query for members and matches, the members are copied to the membership stage only
    // when the audience's other paths need them there (their match queries read it).
    const membersFromPath = fused && compiled.entities.length === 1 ? fused.path : undefined;
    await retrying(async (attempt) => {
      // What a failed attempt staged goes first.
      if (attempt > 1) await clearRunStage(wh, t, runId);
      if (fused) {
        const r = await stageMembersWithEntities(wh, t, runId, key, fused.path, fused.query, membersFromPath === undefined);
        track(r);
        progress({ step, rows: r.rows, message: `staged rows of members and ${fused.path} matches` });
      } else {
        const m = await stageMembership(wh, t, runId, key, compiled.membership);
        track(m);
        progress({ step, rows: m.rows, message: 'members' });
      }
      for (const e of compiled.entities) {
        if (e === fused) continue;
        const r = await stageEntities(wh, t, runId, key, e.path, e.query);
        track(r);
        progress({ step, rows: r.rows, message: `entities ${e.path}` });
      }
    });

    enter('check-results');
    const staged = await retrying(() => checkResults(wh, t, runId, compiled.distinctRows));
    const stagedMembers = membersFromPath === undefined ? staged.members : (staged.paths.get(membersFromPath)?.profiles ?? 0);
    members = stagedMembers;
    progress({ step, rows: stagedMembers, message: 'members' });
    const entities = Object.fromEntries(compiled.entities.map((e) => [e.path, staged.paths.get(e.path)?.matches ?? 0]));

    enter('process-results');
    // From here on the run finishes its step even when asked to stop: the commit is one transaction.
    const result: CommitResult = await retrying(() =>
      wh.transaction(async (tx) => {
        const r = await commitDelta(
          tx,
          t,
          { runId, audienceKey: key, entityPaths: compiled.entities.map((e) => e.path), now: now(), lease: o.lease, stagedMembers, stagedEntities: entities, membersFromPath },
          (s) => (step = s),
        );
        const endedAt = now();
        await tx.query(
          `UPDATE ${t.runs} SET status = 'Live', ended_at = ?, duration_ms = ?, members = ?, entered = ?, exited = ?,
                  entities_added = ?, entities_removed = ?, query_ids = ?, baseline = ?, step = 'done' WHERE id = ?`,
          [endedAt, endedAt.getTime() - startedAt.getTime(), r.members, r.entered, r.exited, r.entitiesAdded, r.entitiesRemoved, JSON.stringify(queryIds), r.baseline, runId],
        );
        await updateStatus(tx, t, key, { status: 'Live', lastRunId: runId, lastRunAt: startedAt, size: r.members, nextRunAt: o.nextRunAt }, { rowExists: true });
        return r;
      }),
    );
    const endedAt = now();
    return {
      runId,
      audienceKey: key,
      status: 'Live',
      trigger: o.trigger,
      startedAt,
      endedAt,
      durationMs: endedAt.getTime() - startedAt.getTime(),
      members: result.members,
      entered: result.entered,
      exited: result.exited,
      entitiesAdded: result.entitiesAdded,
      entitiesRemoved: result.entitiesRemoved,
      baseline: result.baseline,
      paused: false,
      queryIds,
    };
  } catch (e) {
    const { error, detail } = decide(step, e, wh.dialect);
    const endedAt = now();
    const paused = error.action === 'pause';
    // Recording the failure is retried too; it must not be skipped because of a cancel.
    await withRetry(async () => {
      await wh.query(
        `UPDATE ${t.runs} SET status = 'Failed', ended_at = ?, duration_ms = ?, members = ?, error_code = ?, error_message = ?,
                error_detail = ?, query_ids = ?, step = ? WHERE id = ?`,
        [endedAt, endedAt.getTime() - startedAt.getTime(), members, error.code, error.message, detail ?? null, JSON.stringify(queryIds), step, runId],
      );
      await updateStatus(wh, t, key, {
        status: 'Failed',
        lastRunId: runId,
        lastRunAt: startedAt,
        ...(paused ? { paused: true, pausedReason: `${error.message} (${error.code}${detail ? `: ${detail}` : ''})` } : { nextRunAt: o.nextRunAt }),
      });
      await clearRunStage(wh, t, runId);
    }, retry);
    return {
      runId,
      audienceKey: key,
      status: 'Failed',
      trigger: o.trigger,
      startedAt,
      endedAt,
      durationMs: endedAt.getTime() - startedAt.getTime(),
      members,
      entered: null,
      exited: null,
      entitiesAdded: null,
      entitiesRemoved: null,
      baseline: false,
      paused,
      queryIds,
      error,
    };
  }
}
