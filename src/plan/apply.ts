import { randomUUID } from 'node:crypto';
import { snapshotCatalog, type CatalogSnapshot } from '../graph/catalog.js';
import type { ClassicAudience } from '../model/audience.js';
import { RESOURCE_SCHEMAS } from '../model/desired.js';
import type { DataGraph } from '../model/graph.js';
import { LinkedError } from '../model/errors.js';
import { ApplyLogStore, type LoggedChange, type NewApplyLogEntry } from '../state/apply/apply-log.js';
import { CatalogSnapshotStore } from '../state/apply/catalog-snapshots.js';
import { acquireStackLock, LockStore, stackLockName, type AcquireOptions, type LockInfo } from '../state/apply/lock.js';
import { ResourceStore, type WriteContext } from '../state/apply/resources.js';
import { canonicalJson } from '../state/canonical.js';
import { RunStore } from '../state/compute/runs.js';
import { SnapshotStore } from '../state/compute/snapshot.js';
import type { StateSession } from '../state/session.js';
import type { Warehouse } from '../warehouse/types.js';
import { address, keyConflictMessage } from './make.js';
import type { Provenance } from './provenance.js';
import type { PlanSummary, ResourceChange, SavedPlan } from './types.js';

export interface ApplyHooks {
  /**
   * First inside the transaction, before anything is written: what throws here stops the apply
   * with nothing written (the CLI's check for a SIGINT/SIGTERM received while the session was
   * opened and the catalog read).
   */
  beforeWrite?: () => Promise<void> | void;
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
  plan: SavedPlan,
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
      await hooks.beforeWrite?.();
      const resources = new ResourceStore(tx, schema);
      await assertLockHeld(new LockStore(tx, schema), plan.stack, lock);
      const before = await resources.stateHash(plan.stack);
      if (before !== plan.stateHash) throw await staleError(new ApplyLogStore(tx, schema), plan);
      if (actionable.length === 0) return { applyId: null, summary: plan.summary, stateHash: before };
      await assertKeysFree(resources, plan, actionable);

      const applyId = randomUUID();
      const appliedAt = new Date();
      const ctx: WriteContext = { applyId, appliedAt, appliedBy: provenance.appliedBy, commitSha: provenance.commitSha, stack: plan.stack };
      for (const [i, c] of actionable.entries()) {
        await writeChange(tx, schema, resources, c, ctx);
        await hooks.afterChange?.(c, i);
      }
      if (catalog) await new CatalogSnapshotStore(tx, schema).write(plan.stack, catalog.graphKey, catalog.snapshot, appliedAt, applyId);
      const after = await resources.stateHash(plan.stack);
      await new ApplyLogStore(tx, schema).append(logRow(plan, actionable, provenance, { id: applyId, appliedAt, before, after }));
      return { applyId, summary: plan.summary, stateHash: after };
    });
  });
}

/**
 * The column types the graph uses, as the warehouse has them now: what `linked drift` compares
 * against later. Read before the transaction (catalog reads only); a catalog that cannot be read
 * costs the type-change check, never the apply.
 */
async function takeCatalogSnapshot(wh: Warehouse, plan: SavedPlan): Promise<{ graphKey: string; snapshot: CatalogSnapshot } | undefined> {
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

/** The apply log's row for this apply: who, from which commit and pull request, what changed. */
function logRow(
  plan: SavedPlan,
  actionable: readonly ResourceChange[],
  provenance: Provenance,
  apply: { id: string; appliedAt: Date; before: string; after: string },
): NewApplyLogEntry {
  return {
    id: apply.id,
    appliedAt: apply.appliedAt,
    appliedBy: provenance.appliedBy,
    commitSha: provenance.commitSha,
    branch: provenance.branch,
    prNumber: provenance.prNumber,
    planHash: plan.planHash,
    changes: canonicalJson(actionable.map(loggedChange)),
    stack: plan.stack,
    author: provenance.author,
    repository: provenance.repository,
    runUrl: provenance.runUrl,
    stateHashBefore: apply.before,
    stateHashAfter: apply.after,
    summary: canonicalJson(plan.summary),
    metadata: canonicalJson({
      ci: provenance.ci,
      planCreatedAt: plan.createdAt,
      diagnostics: plan.diagnostics,
      ...(provenance.approvers ? { approvers: provenance.approvers } : {}),
      ...(provenance.commitSubject ? { commitSubject: provenance.commitSubject } : {}),
      ...(typeof provenance.dirty === 'boolean' ? { dirty: provenance.dirty } : {}),
      ...(provenance.dirtyPaths ? { dirtyPaths: provenance.dirtyPaths } : {}),
    }),
  };
}

/** What the apply log keeps of a change: enough to show who changed what, with the diff. */
export const loggedChange = (c: ResourceChange): LoggedChange => ({
  address: c.address,
  kind: c.kind,
  key: c.key,
  action: c.action as LoggedChange['action'],
  attributes: c.attributes,
  ...(c.replaces ? { replaces: c.replaces } : {}),
  ...(c.constructPath ? { constructPath: c.constructPath } : {}),
  ...(c.conditionDiff ? { conditionDiff: c.conditionDiff } : {}),
});

async function writeChange(tx: Warehouse, schema: string, resources: ResourceStore, c: ResourceChange, ctx: WriteContext): Promise<void> {
  switch (c.action) {
    case 'create':
      if (await resources.write(c.kind, c.key, c.after, ctx, true)) await startIncarnation(tx, schema, c);
      return;
    case 'update':
      await resources.write(c.kind, c.key, c.after, ctx, false);
      return;
    case 'replace':
      if (c.replaces) await resources.markDeleted(c.kind, c.replaces, ctx);
      if (await resources.write(c.kind, c.key, c.after, ctx, true)) await startIncarnation(tx, schema, c);
      return;
    case 'delete':
      return resources.markDeleted(c.kind, c.key, ctx);
    case 'no-op':
      return;
  }
}

/**
 * An audience created on a key that was an audience's before (deleted, then declared again)
 * starts with no status and no snapshot, as a new one does: the members, last run, size or pause
 * of the one before are not its own. Its runs' history stays; which of those count is
 * liveOfCurrentIncarnation's to say.
 */
async function startIncarnation(tx: Warehouse, schema: string, c: ResourceChange): Promise<void> {
  if (c.kind !== 'audience') return;
  await new SnapshotStore(tx, schema).forget(c.key);
  await new RunStore(tx, schema).forgetStatus(c.key);
}

async function assertLockHeld(locks: LockStore, stack: string, lock: LockInfo): Promise<void> {
  if (!(await locks.holds(stackLockName(stack), lock.id))) {
    throw new LinkedError(
      'STATE_LOCK_LOST',
      `The state lock ${lock.id} of stack "${stack}" was released or expired while this apply waited (force-unlock?). Nothing was applied; run it again.`,
    );
  }
}

/**
 * The state hash covers the stack's own rows only, so a saved plan does not see another stack
 * apply the same key after it was made (two stacks planned, then applied, in one state schema):
 * writing it would take that stack's resource over.
 */
async function assertKeysFree(resources: ResourceStore, plan: SavedPlan, actionable: readonly ResourceChange[]): Promise<void> {
  const taken = new Map(
    (await resources.list()).filter((r) => r.stack !== null && r.stack !== plan.stack).map((r) => [address(r.kind, r.key), r.stack!]),
  );
  const conflicts = actionable.filter((c) => c.after !== null && taken.has(c.address));
  if (conflicts.length === 0) return;
  throw new LinkedError(
    'STATE_KEY_CONFLICT',
    `Nothing was applied: ${conflicts.map((c) => keyConflictMessage(c.address, taken.get(c.address)!, plan.stack)).join(' ')}`,
    { resources: conflicts.map((c) => c.address) },
  );
}

async function staleError(log: ApplyLogStore, plan: SavedPlan): Promise<LinkedError> {
  const last = await log.last(plan.stack);
  const since = last ? ` (last apply ${last.id} by ${last.appliedBy ?? 'unknown'}${last.commitSha ? ` at commit ${last.commitSha.slice(0, 12)}` : ''})` : '';
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
    await session.withWarehouse((wh) => new LockStore(wh, session.schema).release(lock.id)).catch(() => undefined);
  }
}
