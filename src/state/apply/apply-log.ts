import { and, cast, compare, eq, insert, param, ref, select, stateTable, TRUE, values } from '../../dialect/ast.js';
import type { ConditionDiff } from '../../model/condition-diff.js';
import type { ResourceKind } from '../../model/desired.js';
import { isoTimestamp } from '../canonical.js';
import { columns } from '../columns.js';
import { StateStore } from '../store.js';

/** One change as the apply log keeps it (the plan's change without the full specs). */
export interface LoggedChange {
  address: string;
  kind: ResourceKind;
  key: string;
  action: 'create' | 'update' | 'replace' | 'delete';
  attributes: { path: string; action: 'add' | 'remove' | 'change'; before?: unknown; after?: unknown; sensitive: boolean; forcesReplacement: boolean }[];
  replaces?: string;
  /** The construct that declared the resource when it was applied (absent when unknown). */
  constructPath?: string;
  /** An audience's condition change as a tree (absent in entries logged before it was recorded). */
  conditionDiff?: ConditionDiff;
}

export interface ApplyLogEntry {
  id: string;
  appliedAt: string;
  appliedBy: string | null;
  author: string | null;
  commitSha: string | null;
  /** The working tree had uncommitted changes at apply (metadata.dirty); null when unknown. */
  dirty: boolean | null;
  branch: string | null;
  prNumber: number | null;
  repository: string | null;
  runUrl: string | null;
  stack: string;
  planHash: string;
  stateHashBefore: string | null;
  stateHashAfter: string | null;
  changes: LoggedChange[];
  metadata: Record<string, unknown>;
}

/** An entry as an apply writes it: the log's columns, JSON members already serialized. */
export interface NewApplyLogEntry {
  id: string;
  appliedAt: Date;
  appliedBy: string | null;
  commitSha: string | null;
  branch: string | null;
  prNumber: number | null;
  planHash: string;
  /** JSON text. */
  changes: string;
  stack: string;
  author: string | null;
  repository: string | null;
  runUrl: string | null;
  stateHashBefore: string;
  stateHashAfter: string;
  /** JSON text. */
  summary: string;
  /** JSON text. */
  metadata: string;
}

export interface ApplyLogQuery {
  stack?: string;
  /** Entries applied at or after this instant. */
  since?: Date;
  /** An address (`audience.vip`) or a bare key: entries that changed it, with only its changes. */
  resource?: string;
  limit?: number;
}

/** The last apply of a stack, as a stale plan's error names it. */
export interface LastApply {
  id: string;
  appliedBy: string | null;
  commitSha: string | null;
}

const READ_COLUMNS = [
  'id',
  'applied_at',
  'applied_by',
  'author',
  'commit_sha',
  'branch',
  'pr_number',
  'repository',
  'run_url',
  'stack',
  'plan_hash',
  'state_hash_before',
  'state_hash_after',
  'changes',
  'metadata',
];

/** `apply_log`: one row per apply that changed something, who and what, newest read first. */
export class ApplyLogStore extends StateStore {
  async append(e: NewApplyLogEntry): Promise<void> {
    const row = {
      id: param(e.id),
      applied_at: cast(param(e.appliedAt.toISOString()), 'TIMESTAMP'),
      applied_by: param(e.appliedBy),
      commit_sha: param(e.commitSha),
      branch: param(e.branch),
      pr_number: param(e.prNumber),
      plan_hash: param(e.planHash),
      changes: param(e.changes),
      stack: param(e.stack),
      author: param(e.author),
      repository: param(e.repository),
      run_url: param(e.runUrl),
      state_hash_before: param(e.stateHashBefore),
      state_hash_after: param(e.stateHashAfter),
      summary: param(e.summary),
      metadata: param(e.metadata),
    };
    await this.run(insert(this.t.apply_log, Object.keys(row), values(Object.values(row))));
  }

  /** The apply log, newest first. */
  async read(q: ApplyLogQuery = {}): Promise<ApplyLogEntry[]> {
    const where = and(
      q.stack ? eq(ref('stack'), param(q.stack)) : TRUE,
      q.since ? compare('>=', ref('applied_at'), cast(param(q.since.toISOString()), 'TIMESTAMP')) : TRUE,
    );
    const { rows } = await this.run<Record<string, any>>(
      select(columns(READ_COLUMNS), {
        from: stateTable(this.t.apply_log),
        where: where === TRUE ? undefined : where,
        orderBy: [{ expr: ref('applied_at'), desc: true }, { expr: ref('id') }],
      }),
    );
    const matches = (c: LoggedChange) => !q.resource || c.address === q.resource || c.key === q.resource || c.replaces === q.resource;
    const entries: ApplyLogEntry[] = [];
    for (const r of rows) {
      const changes = (JSON.parse(r.changes) as LoggedChange[]).filter(matches);
      if (q.resource && changes.length === 0) continue;
      entries.push(toEntry(r, changes));
      if (q.limit && entries.length >= q.limit) break;
    }
    return entries;
  }

  /** One entry, with all its changes. */
  async byId(id: string): Promise<ApplyLogEntry | undefined> {
    const { rows } = await this.run<Record<string, any>>(select(columns(READ_COLUMNS), { from: stateTable(this.t.apply_log), where: eq(ref('id'), param(id)) }));
    const r = rows[0];
    return r && toEntry(r, JSON.parse(r.changes) as LoggedChange[]);
  }

  async last(stack: string): Promise<LastApply | undefined> {
    const { rows } = await this.run<{ id: string; applied_by: string | null; commit_sha: string | null }>(
      select(columns(['id', 'applied_at', 'applied_by', 'commit_sha']), {
        from: stateTable(this.t.apply_log),
        where: eq(ref('stack'), param(stack)),
        orderBy: [{ expr: ref('applied_at'), desc: true }],
        limit: 1,
      }),
    );
    const r = rows[0];
    return r && { id: r.id, appliedBy: r.applied_by ?? null, commitSha: r.commit_sha ?? null };
  }
}

function toEntry(r: Record<string, any>, changes: LoggedChange[]): ApplyLogEntry {
  const metadata: Record<string, unknown> = r.metadata ? JSON.parse(r.metadata) : {};
  return {
    id: r.id,
    appliedAt: isoTimestamp(r.applied_at)!,
    appliedBy: r.applied_by ?? null,
    author: r.author ?? null,
    commitSha: r.commit_sha ?? null,
    dirty: typeof metadata.dirty === 'boolean' ? metadata.dirty : null,
    branch: r.branch ?? null,
    prNumber: r.pr_number === null || r.pr_number === undefined ? null : Number(r.pr_number),
    repository: r.repository ?? null,
    runUrl: r.run_url ?? null,
    stack: r.stack,
    planHash: r.plan_hash,
    stateHashBefore: r.state_hash_before ?? null,
    stateHashAfter: r.state_hash_after ?? null,
    changes,
    metadata,
  };
}
