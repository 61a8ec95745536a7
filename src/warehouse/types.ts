/**
 * The warehouse seam. Adapters know nothing of audiences: they run SQL text with
 * positional `?` parameters, stream results, run transactions and describe the catalog.
 */
import type { Dialect } from '../dialect/dialect.js';

export type Row = Record<string, unknown>;

/**
 * A warehouse integer as rows carry it: a number while a double holds it exactly, else its digits
 * as text. An id past 2^53 (a hashed surrogate key) as a number would be another id.
 */
export function plainInteger(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
}

export interface QueryOptions {
  /** Snowflake's QUERY_TAG for the statement: what runs it (src/warehouse/tagged.ts); ignored by DuckDB. */
  tag?: string;
}

export interface QueryResult<T = Row> {
  rows: T[];
  /** The warehouse's id for the statement, when it has one (Snowflake query id). */
  queryId?: string;
}

export interface CatalogColumn {
  name: string;
  /** Normalised type family used by validation. `type` keeps the warehouse's own spelling. */
  family: 'string' | 'number' | 'boolean' | 'date' | 'timestamp' | 'json' | 'other';
  type: string;
  nullable: boolean;
}

export interface CatalogTable {
  /** As the user would reference it: `schema.table` (DuckDB) or `database.schema.table`. */
  name: string;
  columns: CatalogColumn[];
}

export interface Warehouse {
  readonly dialect: Dialect;
  /** Runs one statement with `?` placeholders bound to `params`, in order. */
  query<T = Row>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
  /** Runs one statement and yields its rows in pages, never holding the whole result. */
  stream<T = Row>(sql: string, params?: readonly unknown[], pageSize?: number, options?: QueryOptions): AsyncIterable<T[]>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. `options`
   * go to the statements that begin and end it.
   */
  transaction<T>(fn: (tx: Warehouse) => Promise<T>, options?: QueryOptions): Promise<T>;
  /** Describes one table as referenced by the user (`t`, `s.t`, `db.s.t`); undefined when it does not exist. */
  describeTable(table: string): Promise<CatalogTable | undefined>;
  /**
   * The tables and views a reference written like `near` (`t`, `s.t`, `db.s.t`) can name, each
   * written with as many parts: the candidates of a "did you mean" for a table that does not exist.
   */
  tableNames(near: string): Promise<string[]>;
  close(): Promise<void>;
  /**
   * Runs `fn` when the statements queued before it have run, on the connection they ran on. Only
   * a warehouse whose statements wait in a queue has it (a connection shared by concurrent work):
   * work that is the same for several waiters is decided when its turn comes, so that the waiters
   * that joined meanwhile share it (enrich/shared-traits.ts).
   */
  whenFree?<T>(fn: (wh: Warehouse) => Promise<T>): Promise<T>;
}
