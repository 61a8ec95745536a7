import type { StateTableName } from '../dialect/ast.js';

/** Every table (and view) the migrations create in the state schema. */
export const STATE_TABLES = [
  'apply_log',
  'resources',
  'locks',
  'catalog_snapshots',
  'membership',
  'entity_matches',
  'entity_paths',
  'membership_stage',
  'entity_matches_stage',
  'outbox',
  'outbox_sequence',
  'runs',
  'audience_status',
  'leases',
  'compute_requests',
  'controllers',
  'delivery_cursors',
  'delivery_backfill',
  'delivery_runs',
  'delivery_events',
  'delivery_pages',
  'delivery_log',
  'dead_letters',
  'sync_status',
  'delivery_health',
  'resource_versions',
] as const;
export type StateTableKey = (typeof STATE_TABLES)[number];

/** The state tables of one schema, by name: what every store addresses its statements to. */
export type StateTables = Readonly<Record<StateTableKey, StateTableName>>;

export function stateTables(schema: string): StateTables {
  return Object.fromEntries(STATE_TABLES.map((name) => [name, { schema, name }])) as StateTables;
}
