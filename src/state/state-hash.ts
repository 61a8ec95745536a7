import type { Warehouse } from '../warehouse/types.js';
import { canonicalJson, sha256 } from './canonical.js';
import { readAppliedResources, type AppliedResource } from './resources.js';

/**
 * A fingerprint of one stack's applied state: every row it owns (deleted ones too), by identity,
 * spec hash, version and liveness. Any apply that changes the stack changes it, so a plan made
 * against one fingerprint is stale once the state moved on (Terraform's saved-plan check).
 */
export function stateHashOf(resources: readonly AppliedResource[]): string {
  const rows = resources
    .map((r) => [r.kind, r.key, r.specHash, r.version, r.deletedAt === null])
    .sort((x, y) => (`${x[0]}.${x[1]}` < `${y[0]}.${y[1]}` ? -1 : 1));
  return sha256(canonicalJson(rows));
}

/** The state fingerprint of `stack` as stored now (rows without a stack count as its own, as the plan counts them). */
export async function readStateHash(wh: Warehouse, schema: string, stack: string): Promise<string> {
  const rows = await readAppliedResources(wh, schema, { includeDeleted: true });
  return stateHashOf(rows.filter((r) => r.stack === stack || r.stack === null));
}
