import type { ResourceKind } from '../model/desired.js';
import type { Warehouse } from '../warehouse/types.js';
import { canonicalJson, specHash } from './canonical.js';
import { stateTable } from './migrate.js';

/** Who and what an applied change is attributed to (copied onto each touched row). */
export interface WriteContext {
  applyId: string;
  appliedAt: Date;
  appliedBy: string | null;
  commitSha: string | null;
  stack: string;
}

/**
 * Writes the active spec of one resource: a new row, or the next version of an existing row
 * (including one deleted earlier, which becomes active again). `newIncarnation` resets
 * `created_at` (create, re-create, replace). DML only: callers run it inside their transaction.
 */
export async function writeResource(
  tx: Warehouse,
  schema: string,
  kind: ResourceKind,
  key: string,
  spec: unknown,
  ctx: WriteContext,
  newIncarnation: boolean,
): Promise<void> {
  const table = stateTable(tx, schema, 'resources');
  const specText = canonicalJson(spec);
  const hash = specHash(spec);
  const at = ctx.appliedAt.toISOString();
  const { rows } = await tx.query<{ version: number }>(`SELECT version FROM ${table} WHERE kind = ? AND key = ?`, [kind, key]);
  if (rows.length === 0) {
    await tx.query(
      `INSERT INTO ${table} (kind, key, spec, spec_hash, version, applied_at, applied_by, commit_sha, deleted_at, stack, created_at, apply_id)
       VALUES (?, ?, ?, ?, 1, CAST(? AS TIMESTAMP), ?, ?, NULL, ?, CAST(? AS TIMESTAMP), ?)`,
      [kind, key, specText, hash, at, ctx.appliedBy, ctx.commitSha, ctx.stack, at, ctx.applyId],
    );
    return;
  }
  await tx.query(
    `UPDATE ${table} SET spec = ?, spec_hash = ?, version = version + 1, applied_at = CAST(? AS TIMESTAMP), applied_by = ?,
            commit_sha = ?, deleted_at = NULL, stack = ?, apply_id = ?,
            created_at = CASE WHEN ? THEN CAST(? AS TIMESTAMP) ELSE created_at END
      WHERE kind = ? AND key = ?`,
    [specText, hash, at, ctx.appliedBy, ctx.commitSha, ctx.stack, ctx.applyId, newIncarnation, at, kind, key],
  );
}

/** Marks a resource deleted: the row and its last spec stay for the audit trail. */
export async function markResourceDeleted(tx: Warehouse, schema: string, kind: ResourceKind, key: string, ctx: WriteContext): Promise<void> {
  await tx.query(
    `UPDATE ${stateTable(tx, schema, 'resources')}
        SET deleted_at = CAST(? AS TIMESTAMP), version = version + 1, applied_at = CAST(? AS TIMESTAMP), applied_by = ?,
            commit_sha = ?, apply_id = ?
      WHERE kind = ? AND key = ? AND deleted_at IS NULL`,
    [ctx.appliedAt.toISOString(), ctx.appliedAt.toISOString(), ctx.appliedBy, ctx.commitSha, ctx.applyId, kind, key],
  );
}
