import type { CatalogSnapshot } from '../graph/catalog.js';
import type { Warehouse } from '../warehouse/types.js';
import { isoTimestamp } from './canonical.js';
import { stateTable } from './migrate.js';

export interface StoredCatalogSnapshot {
  graphKey: string;
  snapshot: CatalogSnapshot;
  takenAt: string;
  applyId: string | null;
}

/** Replaces the stack's snapshot (no primary key: DuckDB rejects delete + insert of one key in a transaction). */
export async function writeCatalogSnapshot(
  tx: Warehouse,
  schema: string,
  stack: string,
  graphKey: string,
  snapshot: CatalogSnapshot,
  at: Date,
  applyId: string,
): Promise<void> {
  const table = stateTable(tx, schema, 'catalog_snapshots');
  const params = [graphKey, JSON.stringify(snapshot), at.toISOString(), applyId, stack];
  const { rows } = await tx.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE stack = ?`, [stack]);
  if (Number(rows[0].n) > 0) {
    await tx.query(`UPDATE ${table} SET graph_key = ?, snapshot = ?, taken_at = CAST(? AS TIMESTAMP), apply_id = ? WHERE stack = ?`, params);
  } else {
    await tx.query(`INSERT INTO ${table} (graph_key, snapshot, taken_at, apply_id, stack) VALUES (?, ?, CAST(? AS TIMESTAMP), ?, ?)`, params);
  }
}

export async function readCatalogSnapshot(wh: Warehouse, schema: string, stack: string): Promise<StoredCatalogSnapshot | undefined> {
  const { rows } = await wh.query<{ graph_key: string; snapshot: string; taken_at: unknown; apply_id: string | null }>(
    `SELECT graph_key, snapshot, taken_at, apply_id FROM ${stateTable(wh, schema, 'catalog_snapshots')} WHERE stack = ?`,
    [stack],
  );
  const r = rows[0];
  return r ? { graphKey: r.graph_key, snapshot: JSON.parse(r.snapshot), takenAt: isoTimestamp(r.taken_at)!, applyId: r.apply_id } : undefined;
}
