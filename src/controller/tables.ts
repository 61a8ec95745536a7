import { stateTable } from '../state/migrate.js';
import type { Warehouse } from '../warehouse/types.js';

const NAMES = [
  'membership',
  'entity_matches',
  'entity_paths',
  'outbox',
  'outbox_sequence',
  'runs',
  'audience_status',
  'leases',
  'compute_requests',
  'controllers',
  'membership_stage',
  'entity_matches_stage',
] as const;
export type ComputeTableName = (typeof NAMES)[number];
export type ComputeTables = Record<ComputeTableName, string> & { readonly schema: string };

/** The quoted names of the compute state tables (migration 002) in `schema`, for the controller's statements. */
export function computeTables(wh: Warehouse, schema: string): ComputeTables {
  return { ...(Object.fromEntries(NAMES.map((n) => [n, stateTable(wh, schema, n)])) as Record<ComputeTableName, string>), schema };
}
