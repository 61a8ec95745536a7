import type { StateTableName } from '../../src/dialect/ast.js';
import type { ClassicAudience } from '../../src/model/audience.js';
import type { Condition } from '../../src/model/condition.js';
import type { DataGraph } from '../../src/model/graph.js';

/** Column types the generator and the reference evaluator know. */
export type ColumnType = 'VARCHAR' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'DATE' | 'TIMESTAMP' | 'JSON';

/**
 * A cell as stored: VARCHAR / JSON as text, DATE as 'YYYY-MM-DD', TIMESTAMP as 'YYYY-MM-DD HH:MM:SS'
 * (UTC, no zone), numbers and booleans as such.
 */
export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface TableData {
  /** As the graph references it: `schema.table`. */
  ref: string;
  columns: { name: string; type: ColumnType }[];
  rows: Row[];
}

/** A linked audience referenced by "part of": its members as a snapshot table, or its condition. */
export type LinkedSource = { kind: 'snapshot'; table: StateTableName; audienceKey: string } | { kind: 'inline'; condition: Condition };

/** Everything one differential case runs on: data, graph and the other audiences. */
export interface World {
  graph: DataGraph;
  tables: TableData[];
  classicAudiences: ClassicAudience[];
  /** By audience key. Snapshot tables are in `tables` (columns audience_key, profile_id). */
  linked: Record<string, LinkedSource>;
  now: Date;
}

export function tableOf(world: World, ref: string): TableData {
  const t = world.tables.find((x) => x.ref === ref);
  if (!t) throw new Error(`no table ${ref}`);
  return t;
}

export function columnType(world: World, ref: string, column: string): ColumnType {
  const c = tableOf(world, ref).columns.find((x) => x.name === column);
  if (!c) throw new Error(`no column ${ref}.${column}`);
  return c.type;
}
