import { cast, countStar, eq, insert, param, ref, select, stateTable, update, values } from '../../dialect/ast.js';
import { isoTimestamp } from '../canonical.js';
import { columns } from '../columns.js';
import { StateStore } from '../store.js';

/** Column types by table, then by column (the graph layer's CatalogSnapshot). */
export type ColumnTypesByTable = Record<string, Record<string, string>>;

export interface StoredCatalogSnapshot {
  graphKey: string;
  snapshot: ColumnTypesByTable;
  takenAt: string;
  applyId: string | null;
}

/** `catalog_snapshots`: per stack, the column types its graph used at its last apply (what drift compares against). */
export class CatalogSnapshotStore extends StateStore {
  /** Replaces the stack's snapshot (no primary key: DuckDB rejects delete + insert of one key in a transaction). */
  async write(stack: string, graphKey: string, snapshot: ColumnTypesByTable, at: Date, applyId: string): Promise<void> {
    const row = {
      graph_key: param(graphKey),
      snapshot: param(JSON.stringify(snapshot)),
      taken_at: cast(param(at.toISOString()), 'TIMESTAMP'),
      apply_id: param(applyId),
    };
    const ofStack = eq(ref('stack'), param(stack));
    const { rows } = await this.run<{ n: number }>(select({ n: countStar }, { from: stateTable(this.t.catalog_snapshots), where: ofStack }));
    if (Number(rows[0].n) > 0) await this.run(update(this.t.catalog_snapshots, row, ofStack));
    else await this.run(insert(this.t.catalog_snapshots, [...Object.keys(row), 'stack'], values([...Object.values(row), param(stack)])));
  }

  /** The newest snapshot taken for a Data Graph, whichever stack applied it. */
  async ofGraph(graphKey: string): Promise<ColumnTypesByTable | undefined> {
    const { rows } = await this.run<{ snapshot: string }>(
      select(columns(['snapshot']), {
        from: stateTable(this.t.catalog_snapshots),
        where: eq(ref('graph_key'), param(graphKey)),
        orderBy: [{ expr: ref('taken_at'), desc: true }],
        limit: 1,
      }),
    );
    return rows[0] ? JSON.parse(rows[0].snapshot) : undefined;
  }

  async read(stack: string): Promise<StoredCatalogSnapshot | undefined> {
    const { rows } = await this.run<{ graph_key: string; snapshot: string; taken_at: unknown; apply_id: string | null }>(
      select(columns(['graph_key', 'snapshot', 'taken_at', 'apply_id']), { from: stateTable(this.t.catalog_snapshots), where: eq(ref('stack'), param(stack)) }),
    );
    const r = rows[0];
    return r ? { graphKey: r.graph_key, snapshot: JSON.parse(r.snapshot), takenAt: isoTimestamp(r.taken_at)!, applyId: r.apply_id } : undefined;
  }
}
