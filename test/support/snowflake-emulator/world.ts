/*
 * Loads a generated differential world (test/support/world.ts) into a Snowflake warehouse through
 * the adapter, as a user's tables would be there: Snowflake types, names exactly as the generator
 * spells them (quoted), every value bound. The linked snapshot table is a state table, whose
 * columns the migrations create unquoted: upper case on Snowflake.
 */
import { quoteIdent, quoteTable } from '../../../src/dialect/identifiers.js';
import type { Warehouse } from '../../../src/warehouse/types.js';
import type { ColumnType, World } from '../world.js';

const SNOWFLAKE_TYPES: Record<ColumnType, string> = {
  VARCHAR: 'VARCHAR',
  INTEGER: 'NUMBER(38,0)',
  DOUBLE: 'FLOAT',
  BOOLEAN: 'BOOLEAN',
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP_NTZ',
  JSON: 'VARIANT',
};

const ROWS_PER_INSERT = 100;

function snapshotRefs(world: World): Set<string> {
  return new Set(Object.values(world.linked).flatMap((s) => (s.kind === 'snapshot' ? [`${s.table.schema}.${s.table.name}`] : [])));
}

export async function loadWorldSnowflake(wh: Warehouse, world: World): Promise<void> {
  const schemas = new Set(world.tables.map((t) => t.ref.split('.')[0]));
  for (const s of schemas) await wh.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent('snowflake', s)}`);
  const snapshots = snapshotRefs(world);
  for (const t of world.tables) {
    const name = quoteTable('snowflake', t.ref);
    const columnName = (c: string) => (snapshots.has(t.ref) ? c.toUpperCase() : c);
    const columns = t.columns.map((c) => quoteIdent('snowflake', columnName(c.name)));
    await wh.query(`CREATE TABLE ${name} (${t.columns.map((c, i) => `${columns[i]} ${SNOWFLAKE_TYPES[c.type]}`).join(', ')})`);
    // VARIANT values cannot be bound in VALUES: each row is a SELECT that parses its JSON.
    const rowSelect = `SELECT ${t.columns.map((c) => (c.type === 'JSON' ? 'PARSE_JSON(?)' : `CAST(? AS ${SNOWFLAKE_TYPES[c.type]})`)).join(', ')}`;
    for (let i = 0; i < t.rows.length; i += ROWS_PER_INSERT) {
      const chunk = t.rows.slice(i, i + ROWS_PER_INSERT);
      await wh.query(
        `INSERT INTO ${name} (${columns.join(', ')})\n${chunk.map(() => rowSelect).join('\nUNION ALL ')}`,
        chunk.flatMap((row) => t.columns.map((c) => row[c.name] ?? null)),
      );
    }
  }
}

export async function dropWorldSnowflake(wh: Warehouse, world: World): Promise<void> {
  const schemas = new Set(world.tables.map((t) => t.ref.split('.')[0]));
  for (const s of schemas) await wh.query(`DROP SCHEMA IF EXISTS ${quoteIdent('snowflake', s)} CASCADE`);
}
