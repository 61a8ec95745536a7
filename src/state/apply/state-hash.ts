import { canonicalJson, sha256 } from '../canonical.js';

/**
 * A fingerprint of one stack's applied state: every row it owns (deleted ones too), by identity,
 * spec hash, version and liveness. Any apply that changes the stack changes it, so a plan made
 * against one fingerprint is stale once the state moved on (Terraform's saved-plan check).
 */
export function stateHashOf(
  resources: readonly { kind: string; key: string; specHash: string; version: number; deletedAt: unknown }[],
): string {
  const rows = resources
    .map((r) => [r.kind, r.key, r.specHash, r.version, r.deletedAt === null])
    .sort((x, y) => (`${x[0]}.${x[1]}` < `${y[0]}.${y[1]}` ? -1 : 1));
  return sha256(canonicalJson(rows));
}
