import type { ResourceKind } from '../model/desired.js';
import type { Warehouse } from '../warehouse/types.js';
import { isoTimestamp } from './canonical.js';
import { stateTable } from './migrate.js';

/** One change as the apply log keeps it (the plan's change without the full specs). */
export interface LoggedChange {
  address: string;
  kind: ResourceKind;
  key: string;
  action: 'create' | 'update' | 'replace' | 'delete';
  attributes: { path: string; action: 'add' | 'remove' | 'change'; before?: unknown; after?: unknown; sensitive: boolean; forcesReplacement: boolean }[];
  replaces?: string;
}

export interface ApplyLogEntry {
  id: string;
  appliedAt: string;
  appliedBy: string | null;
  author: string | null;
  commitSha: string | null;
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

export interface ApplyLogQuery {
  stack?: string;
  /** Entries applied at or after this instant. */
  since?: Date;
  /** An address (`audience.vip`) or a bare key: entries that changed it, with only its changes. */
  resource?: string;
  limit?: number;
}

/** The apply log, newest first. */
export async function readApplyLog(wh: Warehouse, schema: string, q: ApplyLogQuery = {}): Promise<ApplyLogEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.stack) {
    where.push('stack = ?');
    params.push(q.stack);
  }
  if (q.since) {
    where.push('applied_at >= CAST(? AS TIMESTAMP)');
    params.push(q.since.toISOString());
  }
  const { rows } = await wh.query<Record<string, any>>(
    `SELECT id, applied_at, applied_by, author, commit_sha, branch, pr_number, repository, run_url, stack, plan_hash,
            state_hash_before, state_hash_after, changes, metadata
       FROM ${stateTable(wh, schema, 'apply_log')}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY applied_at DESC, id`,
    params,
  );
  const matches = (c: LoggedChange) => !q.resource || c.address === q.resource || c.key === q.resource || c.replaces === q.resource;
  const entries: ApplyLogEntry[] = [];
  for (const r of rows) {
    const changes = (JSON.parse(r.changes) as LoggedChange[]).filter(matches);
    if (q.resource && changes.length === 0) continue;
    entries.push({
      id: r.id,
      appliedAt: isoTimestamp(r.applied_at)!,
      appliedBy: r.applied_by ?? null,
      author: r.author ?? null,
      commitSha: r.commit_sha ?? null,
      branch: r.branch ?? null,
      prNumber: r.pr_number === null || r.pr_number === undefined ? null : Number(r.pr_number),
      repository: r.repository ?? null,
      runUrl: r.run_url ?? null,
      stack: r.stack,
      planHash: r.plan_hash,
      stateHashBefore: r.state_hash_before ?? null,
      stateHashAfter: r.state_hash_after ?? null,
      changes,
      metadata: r.metadata ? JSON.parse(r.metadata) : {},
    });
    if (q.limit && entries.length >= q.limit) break;
  }
  return entries;
}
