import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBConnection, DuckDBDecimalValue, DuckDBInstance, JSDuckDBValueConverter, type DuckDBMaterializedResult, type DuckDBValue, type DuckDBValueConverter, type JS } from '@duckdb/node-api';
import { LinkedError } from '../model/errors.js';
import { classifyDuckDbError } from './errors.js';
import { TransactionGate } from './transactions.js';
import { PreparedStatements } from './duckdb-prepared.js';
import { plainInteger, type CatalogColumn, type CatalogTable, type QueryOptions, type QueryResult, type Row, type Warehouse } from './types.js';
import { and, cast, col, eq, fn, isNotNull, isNull, or, param, select, table, type Expr, type Select } from '../dialect/ast.js';
import { execute } from './execute.js';
import { catalogTable, type InformationSchemaColumn } from './catalog.js';

/** The columns of one table from information_schema, in order; `catalog` null: the current database. */
function columnsQuery(catalog: string | null, schema: string, name: string): Select {
  const c = (column: string) => col('c', column);
  const sameName = (column: string, value: string): Expr => eq(fn('LOWER', c(column)), fn('LOWER', param(value)));
  const noCatalog = isNull(cast(param(catalog), 'VARCHAR'));
  return select(
    { COLUMN_NAME: c('column_name'), DATA_TYPE: c('data_type'), IS_NULLABLE: c('is_nullable') },
    {
      from: table('information_schema.columns', 'c'),
      where: and(
        sameName('table_schema', schema),
        sameName('table_name', name),
        or(noCatalog, eq(fn('LOWER', c('table_catalog')), fn('LOWER', param(catalog)))),
        or(isNotNull(cast(param(catalog), 'VARCHAR')), eq(c('table_catalog'), fn('CURRENT_DATABASE'))),
      ),
      orderBy: [{ expr: c('ordinal_position') }],
    },
  );
}

export interface DuckDbOpenOptions {
  /** How long to wait for another process to release the file (decision D5: one writer per file). */
  busyTimeoutMs?: number;
  /**
   * Open without taking the write lock: several read-only processes (previews, reports) share a
   * file; a writer still excludes them. The file must exist.
   */
  readOnly?: boolean;
}

/**
 * The files this process has open. DuckDB's file lock only excludes other processes: a second
 * instance on the same file in this process would keep its own copy of the state and overwrite
 * the first's writes. So a second open waits here, as a second process would at the lock.
 */
const openInThisProcess = new Set<string>();

function fileKey(path: string): string | undefined {
  if (path === ':memory:') return undefined;
  const full = resolve(path);
  return existsSync(full) ? realpathSync(full) : full;
}

/**
 * Optimistic writes are off: DuckDB would otherwise write a large insert to the file before its
 * transaction commits, even when the same transaction deletes the rows again. A compute run stages
 * its results in the state schema and removes them before its one transaction commits
 * (src/compute/run.ts), so with optimistic writes off the stage stays in memory, which makes a
 * large run several times cheaper (bench/README.md, fleet).
 */
function instanceConfig(path: string, options: DuckDbOpenOptions): Record<string, string> {
  return {
    enable_optimistic_write: 'false',
    ...threadsFromEnv(process.env),
    ...(options.readOnly && path !== ':memory:' ? { access_mode: 'READ_ONLY' } : {}),
  };
}

/**
 * `LINKED_DUCKDB_THREADS`: the threads each DuckDB file may use (DuckDB's `threads`), by default
 * one per core. Fewer leave cores to the other processes of a shared machine. A query over tables
 * that fit one row group (about 120,000 rows) runs on one thread anyway, and more threads only
 * add hand-offs between them: the test suite runs with 1 (vitest.config.ts).
 */
function threadsFromEnv(env: NodeJS.ProcessEnv): { threads?: string } {
  const value = env.LINKED_DUCKDB_THREADS;
  if (value === undefined || value === '') return {};
  if (!/^[1-9]\d{0,3}$/.test(value)) {
    throw new LinkedError('INVALID_OPTION', `LINKED_DUCKDB_THREADS must be a whole number from 1 to 9999 (got "${value}").`);
  }
  return { threads: value };
}

/**
 * A connection whose time zone is UTC, as Snowflake sessions are (TIMEZONE = UTC on every
 * statement). Warehouse timestamps are UTC and the compiler binds UTC wall clocks; DuckDB's
 * session zone is otherwise the machine's, and a TIMESTAMPTZ column compared with a bound
 * TIMESTAMP is read in it: a laptop in Paris would count an event an hour outside a window that
 * the server counts in. (The time zone is ICU's setting: the Node build has ICU.)
 */
async function utcConnection(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  return connection;
}

/** Opens a DuckDB file (or ':memory:'), retrying while another process (or this one) holds it. */
export async function openDuckDb(path: string, options: DuckDbOpenOptions = {}): Promise<DuckDbWarehouse> {
  const deadline = Date.now() + (options.busyTimeoutMs ?? 30_000);
  const config = instanceConfig(path, options);
  for (let attempt = 0; ; attempt++) {
    const key = fileKey(path);
    let busy = key !== undefined && openInThisProcess.has(key);
    if (!busy) {
      try {
        const instance = await DuckDBInstance.create(path, config);
        if (key !== undefined) openInThisProcess.add(key);
        return new DuckDbWarehouse(instance, await utcConnection(instance), key);
      } catch (e) {
        busy = /Could not set lock|Conflicting lock/i.test(String((e as Error).message));
        if (!busy) throw classifyDuckDbError(e);
      }
    }
    if (Date.now() >= deadline) {
      throw new LinkedError(
        'WAREHOUSE_BUSY',
        `The DuckDB file ${path} is in use by another process or connection (DuckDB admits one writer). ` +
          'Wait for it to finish, or stop the controller that holds it, and try again.',
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
  }
}

/** DuckDB values as plain JSON-friendly JS: BIGINT as number when it fits, else as a string. */
function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return plainInteger(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}

/**
 * The driver's JS values, but a DECIMAL without a scale (DECIMAL(38,0), what a Snowflake NUMBER
 * id becomes in an export) as its exact bigint: the driver's double would round an id past 2^53.
 * plainRows then makes it what BIGINT gives, plainInteger's number or text. Every read of rows,
 * query and stream alike, converts with it.
 */
const rowValue: DuckDBValueConverter<JS> = (value, type, converter) =>
  value instanceof DuckDBDecimalValue && value.scale === 0 ? value.value : JSDuckDBValueConverter(value, type, converter);

/**
 * A materialized result's rows, read from its chunks column by column: the chunks are already in
 * memory, so reading them synchronously spares one hand-off to DuckDB's threads per chunk (the
 * driver's own readers fetch each chunk asynchronously).
 */
function rowObjects(result: DuckDBMaterializedResult): Record<string, unknown>[] {
  const names = result.deduplicatedColumnNames();
  const rows: Record<string, unknown>[] = [];
  for (let c = 0, chunks = result.chunkCount; c < chunks; c++) {
    const chunk = result.getChunk(c);
    const columns = chunk.convertColumns(rowValue);
    for (let r = 0, n = chunk.rowCount; r < n; r++) {
      const row: Record<string, unknown> = {};
      for (let k = 0; k < names.length; k++) row[names[k]] = columns[k][r];
      rows.push(row);
    }
  }
  return rows;
}

/** Converted in place: the row objects are fresh and ours alone, so no copy per row. */
function plainRows(rows: Record<string, unknown>[]): Row[] {
  for (const r of rows) {
    for (const k in r) {
      const v = r[k];
      if (typeof v === 'bigint' || (v !== null && typeof v === 'object')) r[k] = toPlain(v);
    }
  }
  return rows;
}

/** Bound values as DuckDB takes them: Dates as ISO strings (the SQL casts them), undefined as NULL. */
function bindable(params: readonly unknown[]): DuckDBValue[] {
  return params.map((p) => (p === undefined ? null : p instanceof Date ? p.toISOString() : p)) as DuckDBValue[];
}

// Anchored at both ends: INTERVAL must not read as INT, nor VARCHAR[] (a list) as a string.
const FAMILIES: [RegExp, CatalogColumn['family']][] = [
  [/^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|UUID)(\(\d+\))?$/i, 'string'],
  [/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|REAL|DOUBLE|DECIMAL|NUMERIC)(\(\d+(,\s*\d+)?\))?$/i, 'number'],
  [/^(BOOLEAN|BOOL)$/i, 'boolean'],
  [/^DATE$/i, 'date'],
  [/^(TIMESTAMP|DATETIME|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ)$/i, 'timestamp'],
  [/^JSON$/i, 'json'],
];

export function duckDbTypeFamily(type: string): CatalogColumn['family'] {
  return FAMILIES.find(([re]) => re.test(type))?.[1] ?? 'other';
}

export class DuckDbWarehouse implements Warehouse {
  readonly dialect = 'duckdb' as const;
  private readonly gate = new TransactionGate((sql, options) => this.query(sql, [], options));
  /** Runs every statement; keeps the prepared ones for their next run (duckdb-prepared.ts). */
  private readonly statements: PreparedStatements;
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** The open file's key in openInThisProcess; undefined in memory. */
    private readonly file?: string,
  ) {
    this.statements = new PreparedStatements(connection);
  }

  async query<T = Row>(sql: string, params: readonly unknown[] = [], _options?: QueryOptions): Promise<QueryResult<T>> {
    try {
      return { rows: plainRows(rowObjects(await this.statements.run(sql, bindable(params)))) as T[] };
    } catch (e) {
      throw classifyDuckDbError(e, sql);
    }
  }

  async *stream<T = Row>(
    sql: string,
    params: readonly unknown[] = [],
    pageSize = 10_000,
    _options?: QueryOptions,
  ): AsyncIterable<T[]> {
    let result;
    try {
      result = await this.connection.stream(sql, bindable(params));
    } catch (e) {
      throw classifyDuckDbError(e, sql);
    }
    let page: Row[] = [];
    try {
      // rowValue, as query reads rows: the driver's own JS rows give a DECIMAL(38,0) as a rounded double.
      for await (const rows of result.yieldConvertedRowObjects(rowValue)) {
        for (const row of plainRows(rows as Record<string, unknown>[])) {
          page.push(row);
          if (page.length >= pageSize) {
            yield page as T[];
            page = [];
          }
        }
      }
    } catch (e) {
      throw classifyDuckDbError(e, sql);
    }
    if (page.length > 0) yield page as T[];
  }

  async transaction<T>(fn: (tx: Warehouse) => Promise<T>, options?: QueryOptions): Promise<T> {
    return this.gate.run(() => fn(this), options);
  }


  /**
   * DuckDB resolves identifiers case-insensitively even when quoted, so the catalog is matched the
   * same way: `Main.Profiles` describes `main.profiles`. One part: schema `main`; two parts: a schema,
   * or an attached database's `main` schema; three parts: database.schema.table.
   */
  async describeTable(table: string): Promise<CatalogTable | undefined> {
    const parts = table.split('.');
    const candidates: [string | null, string, string][] =
      parts.length === 3
        ? [[parts[0], parts[1], parts[2]]]
        : parts.length === 2
          ? [
              [null, parts[0], parts[1]],
              [parts[0], 'main', parts[1]],
            ]
          : [[null, 'main', parts[0]]];
    for (const [catalog, schema, name] of candidates) {
      const { rows } = await execute<InformationSchemaColumn>(this, columnsQuery(catalog, schema, name));
      if (rows.length > 0) return catalogTable(table, rows, duckDbTypeFamily);
    }
    return undefined;
  }

  /** As describeTable resolves them: one part in schema `main`, two a schema or an attached database's `main`, three any. */
  async tableNames(near: string): Promise<string[]> {
    const parts = near.split('.').length;
    const t = (column: string) => col('t', column);
    const { rows } = await execute<{ db: string; schema: string; name: string; current: string }>(
      this,
      select({ db: t('table_catalog'), schema: t('table_schema'), name: t('table_name'), current: fn('CURRENT_DATABASE') }, { from: table('information_schema.tables', 't') }),
    );
    const names = rows.flatMap(({ db, schema, name, current }) => {
      if (parts >= 3) return [`${db}.${schema}.${name}`];
      const inMain = schema === 'main';
      if (parts === 2) return [...(db === current ? [`${schema}.${name}`] : []), ...(inMain ? [`${db}.${name}`] : [])];
      return db === current && inMain ? [name] : [];
    });
    return [...new Set(names)].sort();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.statements.clear();
      this.connection.closeSync();
      this.instance.closeSync();
    } finally {
      if (this.file !== undefined) openInThisProcess.delete(this.file);
    }
  }
}
