import { findColumn, type FixtureTable, type FixtureType, type FixtureValue } from '../model/audience-test.js';
import { LinkedError } from '../model/errors.js';
import { insert, param, values } from '../dialect/ast.js';
import { quoteIdent, quoteTable } from '../dialect/identifiers.js';
import { utcTimestampLiteral } from '../sql/time.js';
import { execute } from '../warehouse/execute.js';
import { openDuckDb, type DuckDbWarehouse } from '../warehouse/duckdb.js';
import type { Warehouse } from '../warehouse/types.js';

/*
 * A test's warehouse: an in-memory DuckDB holding every table of the Data Graph with the columns
 * the graph names, filled with the test's fixture rows. Tables a fixture leaves out exist empty,
 * as they would in production, so an audience reading them selects what it would from no rows.
 */

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

type Kind = FixtureType | 'NULL';

function kindOf(v: FixtureValue | undefined): Kind {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return 'BOOLEAN';
  if (typeof v === 'number') return Number.isInteger(v) ? 'BIGINT' : 'DOUBLE';
  if (typeof v === 'object') return 'JSON';
  if (DATE.test(v)) return 'DATE';
  if (TIMESTAMP.test(v)) return 'TIMESTAMP';
  return 'VARCHAR';
}

/** Kinds that share a column: whole and fractional numbers are numbers; a date among timestamps is a midnight. */
function widen(a: Kind, b: Kind): Kind | undefined {
  if (a === b || b === 'NULL') return a;
  if (a === 'NULL') return b;
  const pair = new Set([a, b]);
  if (pair.has('BIGINT') && pair.has('DOUBLE')) return 'DOUBLE';
  if (pair.has('DATE') && pair.has('TIMESTAMP')) return 'TIMESTAMP';
  return undefined;
}

/**
 * Each column's type: declared by the test, implied by the graph (events' timestamp and
 * properties), read from the rows, else as the audience's conditions compare it, else VARCHAR.
 */
export function columnTypes(t: FixtureTable, declared: Record<string, FixtureType> = {}, compared: ReadonlyMap<string, FixtureType> = new Map()): Map<string, FixtureType> {
  const names = new Map<string, string>();
  for (const c of t.columns.keys()) names.set(c.toLowerCase(), c);
  for (const { row } of t.rows) for (const c of Object.keys(row)) if (!names.has(c.toLowerCase())) names.set(c.toLowerCase(), findColumn(t, c) ?? c);
  const out = new Map<string, FixtureType>();
  for (const column of names.values()) {
    const fixed = Object.entries(declared).find(([c]) => c.toLowerCase() === column.toLowerCase())?.[1] ?? t.columns.get(column);
    if (fixed) {
      out.set(column, fixed);
      continue;
    }
    let kind: Kind = 'NULL';
    for (const { slot, index, row } of t.rows) {
      const key = Object.keys(row).find((c) => c.toLowerCase() === column.toLowerCase());
      const next = widen(kind, kindOf(key === undefined ? undefined : row[key]));
      if (next === undefined) {
        throw new LinkedError(
          'FIXTURE_TYPE_MIXED',
          `${slot}[${index}].${column}: column ${column} of ${t.table} holds ${describe(kind)} in earlier rows and ${describe(kindOf(row[key!]))} here; use one type per column, or declare it in the test's types`,
        );
      }
      kind = next;
    }
    out.set(column, kind === 'NULL' ? (compared.get(column) ?? 'VARCHAR') : kind);
  }
  return out;
}

const describe = (k: Kind) =>
  ({ NULL: 'nulls', VARCHAR: 'text', BIGINT: 'whole numbers', DOUBLE: 'numbers', BOOLEAN: 'booleans', DATE: 'dates', TIMESTAMP: 'timestamps', JSON: 'objects' })[k];

/** A fixture value as DuckDB should receive it for a column of `type`. */
function bindValue(v: FixtureValue | undefined, type: FixtureType): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'JSON' || typeof v === 'object') return JSON.stringify(v);
  if (type === 'TIMESTAMP' && typeof v === 'string') return utcTimestampLiteral(v);
  if (type === 'VARCHAR') return String(v);
  return v;
}

/**
 * One in-memory DuckDB for a run of tests: each test gets a fresh in-memory catalog of its own,
 * made the default one (`USE`) so the graph's `schema.table` names resolve into it, and dropped
 * when the test ends. A DuckDB instance costs far more to open than a catalog to attach.
 */
export class FixtureDuckDb {
  private tests = 0;

  private constructor(private readonly wh: DuckDbWarehouse) {}

  static async open(): Promise<FixtureDuckDb> {
    const wh = await openDuckDb(':memory:');
    // A few rows per table: threads only add hand-offs (and, on a busy CI runner, waits).
    await wh.query('SET threads = 1');
    return new FixtureDuckDb(wh);
  }

  /** Builds the fixture tables in a catalog of their own, runs `fn` on them, and drops them. */
  async with<T>(typed: readonly { t: FixtureTable; types: Map<string, FixtureType> }[], fn: (wh: Warehouse) => Promise<T>): Promise<T> {
    const own = `linked_test_${++this.tests}`;
    const attached = [own];
    // The catalog, its schemas and tables in one statement: each round trip costs more than the DDL.
    const ddl = [`ATTACH ':memory:' AS ${quoteIdent('duckdb', own)}`, `USE ${quoteIdent('duckdb', own)}`, ...fixtureDdl(typed, attached)];
    try {
      await this.wh.query(ddl.join(';\n'));
      for (const { t, types } of typed) {
        if (t.rows.length === 0) continue;
        const columns = [...types.keys()];
        const rows = t.rows.map(({ row }) => columns.map((c) => param(bindValue(valueOf(row, c), types.get(c)!))));
        await execute(this.wh, insert(t.table, columns, values(...rows)));
      }
      return await fn(this.wh);
    } finally {
      const detach = attached.reverse().map((name) => `DETACH DATABASE IF EXISTS ${quoteIdent('duckdb', name)}`);
      await this.wh.query([`USE ${quoteIdent('duckdb', DEFAULT_CATALOG)}`, ...detach].join(';\n'));
    }
  }

  close(): Promise<void> {
    return this.wh.close();
  }
}

/** The name DuckDB gives the catalog of an in-memory database. */
const DEFAULT_CATALOG = 'memory';

function valueOf(row: Record<string, FixtureValue>, column: string): FixtureValue | undefined {
  if (column in row) return row[column];
  const key = Object.keys(row).find((c) => c.toLowerCase() === column.toLowerCase());
  return key === undefined ? undefined : row[key];
}

/**
 * The users' tables, their schemas and (for `db.schema.table`) their databases: fixture DDL, not
 * state, so not a migration; every identifier quoted by the dialect's one quoting function.
 * Databases attached here are added to `attached`, for the caller to detach.
 */
function fixtureDdl(typed: readonly { t: FixtureTable; types: Map<string, FixtureType> }[], attached: string[]): string[] {
  const out: string[] = [];
  const schemas = new Set<string>();
  for (const { t, types } of typed) {
    const parts = t.table.split('.');
    if (parts.length === 3 && !attached.some((a) => a.toLowerCase() === parts[0].toLowerCase())) {
      out.push(`ATTACH ':memory:' AS ${quoteIdent('duckdb', parts[0])}`);
      attached.push(parts[0]);
    }
    const schema = parts.slice(0, -1).join('.');
    if (parts.length >= 2 && !schemas.has(schema.toLowerCase())) {
      out.push(`CREATE SCHEMA IF NOT EXISTS ${quoteTable('duckdb', schema)}`);
      schemas.add(schema.toLowerCase());
    }
    const columns = [...types].map(([name, type]) => `${quoteIdent('duckdb', name)} ${type}`);
    out.push(`CREATE TABLE ${quoteTable('duckdb', t.table)} (${columns.join(', ')})`);
  }
  return out;
}
