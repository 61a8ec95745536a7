import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quoteIdent } from '../../src/dialect/identifiers.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';

/*
 * The Northwind sample database, loaded exactly as its CSVs ship: one table per file, column types
 * as DuckDB detects them (integer keys stay integers), no views and no casts. It is the test that
 * the product takes a warehouse it was not designed around.
 */

/** The folder holding the CSVs (data/README.md names their source and licence). */
export const NORTHWIND_CSV_DIR = fileURLToPath(new URL('./data/', import.meta.url));

/** The tables, one per CSV file, in name order. */
export function northwindTables(): string[] {
  return readdirSync(NORTHWIND_CSV_DIR)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => basename(f, '.csv'))
    .sort();
}

/** Writes every Northwind table into `main` of the DuckDB file `out` (created if missing, tables replaced). */
export async function loadNorthwind(out: string, onTable?: (table: string) => void): Promise<{ counts: Record<string, number> }> {
  const wh = await openDuckDb(out);
  const counts: Record<string, number> = {};
  try {
    for (const table of northwindTables()) {
      onTable?.(table);
      const name = `main.${quoteIdent('duckdb', table)}`;
      await wh.query(`CREATE OR REPLACE TABLE ${name} AS SELECT * FROM read_csv(?, header = true)`, [join(NORTHWIND_CSV_DIR, `${table}.csv`)]);
      const { rows } = await wh.query<{ n: number | bigint }>(`SELECT count(*) AS n FROM ${name}`);
      counts[table] = Number(rows[0]!.n);
    }
  } finally {
    await wh.close();
  }
  return { counts };
}
