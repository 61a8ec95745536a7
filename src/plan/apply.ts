import { randomUUID } from 'node:crypto';
import { snapshotCatalog, type CatalogSnapshot } from '../graph/catalog.js';
import type { ClassicAudience } from '../model/audience.js';
import { RESOURCE_SCHEMAS } from '../model/desired.js';
import type { DataGraph } from '../model/graph.js';
import { writeCatalogSnapshot } from '../state/catalog-snapshot.js';
import { LinkedError } from '../model/errors.js';
import { canonicalJson } from '../state/canonical.js';
import { stackLockName, releaseLock, acquireStackLock, type AcquireOptions, type LockInfo } from '../state/lock.js';
import { stateTable } from '../state/migrate.js';
import type { StateSession } from '../state/session.js';
import { readStateHash } from '../state/state-hash.js';
import { markResourceDeleted, writeResource, type WriteContext } from '../state/writer.js';
import type { Warehouse } from '../warehouse/types.js';
import type { Provenance } from './provenance.js';
import type { Plan, PlanSummary, ResourceChange } from './types.js';

export interface ApplyHooks {
  /** Inside the transaction, after each change is written (crash tests stop the process here). */
  afterChange?: (change: ResourceChange, index: number) => Promise<void> | void;
}

export interface ApplyResult {
  /** The apply_log id; null when the plan had no changes (nothing is logged). */
  applyId: string | null;
  summary: PlanSummary;
  stateHash: string;
}

/**
 * Applies a plan while `lock` (the stack's state lock) is held: one transaction writes every
 * change and the apply-log entry, after checking the lock is still ours and the state is the
 * one the plan was made against. Any error rolls everything back.
 */
export async function applyPlanLocked(
  session: StateSession,
  plan: Plan,
  lock: LockInfo,
  provenance: Provenance,
  hooks: ApplyHooks = {},
): Promise<ApplyResult> {
  if (!plan.applicable) {
    const first = plan.diagnostics.find((d) => d.severity === 'error');
    throw new LinkedError('PLAN_HAS_ERRORS', `This plan has errors and cannot be applied: [${first?.code}] ${first?.message}`);
  }
  const actionable = plan.changes.filter((c) => c.action !== 'no-op');
  // A saved plan is data from disk: its specs go through the model again before they become state.
  for (const c of actionable) {
    if (c.after === null) continue;
    const parsed = RESOURCE_SCHEMAS[c.kind].safeParse(c.after);
    if (!parsed.success) throw new LinkedError('PLAN_FILE_INVALID', `The plan's spec of ${c.address} does not match the model: ${parsed.error.issues[0]?.message}`);
  }
  const schema = session.schema;
  return session.withWarehouse(async (wh) => {
    const catalog = actionable.length > 0 ? await takeCatalogSnapshot(wh, plan) : undefined;
    return wh.transaction(async (tx) => {
      await assertLockHeld(tx, schema, plan.stack, lock);
      const before = await readStateHash(tx, schema, plan.stack);
      if (before !== plan.stateHash) throw await staleError(tx, schema, plan);
      if (actionable.length === 0) return { applyId: null, summary: plan.summary, stateHash: before };

      const applyId = randomUUID();
      const appliedAt = new Date();
      const ctx: WriteContext = { applyId, appliedAt, appliedBy: provenance.appliedBy, commitSha: provenance.commitSha, stack: plan.stack };
      for (const [i, c] of actionable.entries()) {
        await writeChange(tx, schema, c, ctx);
        await hooks.afterChange?.(c, i);
      }
      if (catalog) await writeCatalogSnapshot(tx, schema, plan.stack, catalog.graphKey, catalog.snapshot, appliedAt, applyId);
      const after = await readStateHash(tx, schema, plan.stack);
      await tx.query(
        `INSERT INTO ${stateTable(tx, schema, 'apply_log')}
           (id, applied_at, applied_by, commit_sha, branch, pr_number, plan_hash, changes, stack, author, repository, run_url,
            state_hash_before, state_hash_after, summary, metadata)
         VALUES (?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          applyId,
          appliedAt.toISOString(),
          provenance.appliedBy,
          provenance.commitSha,
          provenance.branch,
          provenance.prNumber,
          plan.planHash,
          canonicalJson(actionable.map(logEntry)),
          plan.stack,
          provenance.author,
          provenance.repository,
          provenance.runUrl,
          before,
          after,
          canonicalJson(plan.summary),
          canonicalJson({
            ci: provenance.ci,
            planCreatedAt: plan.createdAt,
            diagnostics: plan.diagnostics,
            ...(provenance.approvers ? { approvers: provenance.approvers } : {}),
          }),
        ],
      );
      return { applyId, summary: plan.summary, stateHash: after };
    });
  });
}

/**
 * The column types the graph uses, as the warehouse has them now: what `linked drift` compares
 * against later. Read before the transaction (catalog reads only); a catalog that cannot be read
 * costs the type-change check, never the apply.
 */
async function takeCatalogSnapshot(wh: Warehouse, plan: Plan): Promise<{ graphKey: string; snapshot: CatalogSnapshot } | undefined> {
  const active = plan.changes.filter((c) => c.after !== null);
  const graph = active.find((c) => c.kind === 'data_graph')?.after as DataGraph | undefined;
  if (!graph) return undefined;
  const classic = active.filter((c) => c.kind === 'classic_audience').map((c) => c.after as ClassicAudience);
  try {
    return { graphKey: graph.key, snapshot: await snapshotCatalog(graph, wh, classic) };
  } catch {
    return undefined;
  }
}

/** What the apply log keeps of a change: enough to show who changed what, with the diff. */
const logEntry = (c: ResourceChange) => ({
  address: c.address,
  kind: c.kind,
  key: c.key,
  action: c.action,
  attributes: c.attributes,
  ...(c.replaces ? { replaces: c.replaces } : {}),
});

async function writeChange(tx: Warehouse, schema: string, c: ResourceChange, ctx: WriteContext): Promise<void> {
  switch (c.action) {
    case 'create':
      return writeResource(tx, schema, c.kind, c.key, c.after, ctx, true);
    case 'update':
      return writeResource(tx, schema, c.kind, c.key, c.after, ctx, false);
    case 'replace':
      if (c.replaces) await markResourceDeleted(tx, schema, c.kind, c.replaces, ctx);
      return writeResource(tx, schema, c.kind, c.key, c.after, ctx, true);
    case 'delete':
      return markResourceDeleted(tx, schema, c.kind, c.key, ctx);
    case 'no-op':
      return;
  }
}

async function assertLockHeld(tx: Warehouse, schema: string, stack: string, lock: LockInfo): Promise<void> {
  const { rows } = await tx.query<{ id: string }>(`SELECT id FROM ${stateTable(tx, schema, 'locks')} WHERE name = ?`, [stackLockName(stack)]);
  if (!rows.some((r) => r.id === lock.id)) {
    throw new LinkedError(
      'STATE_LOCK_LOST',
      `The state lock ${lock.id} of stack "${stack}" was released or expired while this apply waited (force-unlock?). Nothing was applied; run it again.`,
    );
  }
}

async function staleError(tx: Warehouse, schema: string, plan: Plan): Promise<LinkedError> {
  const { rows } = await tx.query<{ id: string; applied_at: unknown; applied_by: string | null; commit_sha: string | null }>(
    `SELECT id, applied_at, applied_by, commit_sha FROM ${stateTable(tx, schema, 'apply_log')} WHERE stack = ? ORDER BY applied_at DESC LIMIT 1`,
    [plan.stack],
  );
  const last = rows[0];
  const since = last
    ? ` (last apply ${last.id} by ${last.applied_by ?? 'unknown'}${last.commit_sha ? ` at commit ${last.commit_sha.slice(0, 12)}` : ''})`
    : '';
  return new LinkedError(
    'PLAN_STALE',
    `The saved plan is stale: the state of stack "${plan.stack}" changed since the plan was made at ${plan.createdAt}${since}. ` +
      'Run `linked plan` again and apply the new plan.',
  );
}

/**
 * Takes the stack lock, runs `fn`, and releases the lock whatever happens (a killed process
 * leaves it until it expires or `linked force-unlock`).
 */
export async function withStackLock<T>(
  session: StateSession,
  stack: string,
  opts: AcquireOptions,
  fn: (lock: LockInfo) => Promise<T>,
): Promise<T> {
  const lock = await acquireStackLock(session, stack, opts);
  try {
    return await fn(lock);
  } finally {
    await session.withWarehouse((wh) => releaseLock(wh, session.schema, lock.id)).catch(() => undefined);
  }
}
