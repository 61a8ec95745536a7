import { quoteIdent, quoteTable } from '../../src/dialect/identifiers.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import type { World } from './world.js';

/** Creates the world's schemas and tables in DuckDB and inserts its rows, every value bound. */
export async function loadWorld(wh: Warehouse, world: World): Promise<void> {
  const schemas = new Set(world.tables.map((t) => t.ref.split('.')[0]));
  for (const s of schemas) await wh.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent('duckdb', s)}`);
  for (const t of world.tables) {
    const name = quoteTable('duckdb', t.ref);
    await wh.query(`CREATE TABLE ${name} (${t.columns.map((c) => `${quoteIdent('duckdb', c.name)} ${c.type}`).join(', ')})`);
    for (let i = 0; i < t.rows.length; i += 200) {
      const chunk = t.rows.slice(i, i + 200);
      const tuple = `(${t.columns.map(() => '?').join(', ')})`;
      await wh.query(
        `INSERT INTO ${name} VALUES ${chunk.map(() => tuple).join(', ')}`,
        chunk.flatMap((row) => t.columns.map((c) => row[c.name] ?? null)),
      );
    }
  }
}

export async function dropWorld(wh: Warehouse, world: World): Promise<void> {
  const schemas = new Set(world.tables.map((t) => t.ref.split('.')[0]));
  for (const s of schemas) await wh.query(`DROP SCHEMA IF EXISTS ${quoteIdent('duckdb', s)} CASCADE`);
}
