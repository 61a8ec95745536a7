import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { quoteIdent } from '../../src/dialect/identifiers.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';

/*
 * The Northwind sample database, loaded exactly as its CSVs ship: one table per file, column types
 * as DuckDB detects them (integer keys stay integers), no views and no casts. It is the test that
 * the product takes a warehouse it was not designed around.
 */

/*
 * The CSVs sit in examples/northwind/data/ (data/README.md names their source and licence). The
 * caller says where that is: this module also runs bundled into dist/, where a path taken from its
 * own URL would point into dist/.
 */

/** The tables, one per CSV file of `csvDir`, in name order. */
export function northwindTables(csvDir: string): string[] {
  return readdirSync(csvDir)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => basename(f, '.csv'))
    .sort();
}

/** Writes every Northwind table of `csvDir` into `main` of the DuckDB file `out` (created if missing, tables replaced). */
export async function loadNorthwind(out: string, csvDir: string, onTable?: (table: string) => void): Promise<{ counts: Record<string, number> }> {
  const wh = await openDuckDb(out);
  const counts: Record<string, number> = {};
  try {
    for (const table of northwindTables(csvDir)) {
      onTable?.(table);
      const name = `main.${quoteIdent('duckdb', table)}`;
      await wh.query(`CREATE OR REPLACE TABLE ${name} AS SELECT * FROM read_csv(?, header = true)`, [join(csvDir, `${table}.csv`)]);
      const { rows } = await wh.query<{ n: number | bigint }>(`SELECT count(*) AS n FROM ${name}`);
      counts[table] = Number(rows[0]!.n);
    }
  } finally {
    await wh.close();
  }
  return { counts };
}
