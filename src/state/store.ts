import { ref, update, type Expr, type StateTableName, type Statement } from '../dialect/ast.js';
import { execute, executeStream } from '../warehouse/execute.js';
import type { QueryOptions, QueryResult, Row, Warehouse } from '../warehouse/types.js';
import { stateTables, type StateTables } from './tables.js';

/**
 * The base of the typed state stores: each owns the statements of one area of the state schema,
 * built as AST and printed for the warehouse's dialect. Callers hold no SQL.
 */
export abstract class StateStore {
  protected readonly t: StateTables;

  constructor(
    protected readonly wh: Warehouse,
    readonly schema: string,
  ) {
    this.t = stateTables(schema);
  }

  /** The same store on `tx`: its statements join that transaction. */
  in(tx: Warehouse): this {
    return new (this.constructor as new (wh: Warehouse, schema: string) => this)(tx, this.schema);
  }

  protected async run<T = Row>(statement: Statement, options?: QueryOptions): Promise<QueryResult<T>> {
    const result = await execute<T>(this.wh, statement, options);
    return this.wh.dialect === 'snowflake' ? { ...result, rows: result.rows.map(lowerKeys) } : result;
  }

  /**
   * Takes `table`'s write lock for the rest of the transaction this store runs in, before an
   * insert-unless-present: Snowflake enforces no primary key, so two writers that both check
   * "absent" and insert leave two rows. An UPDATE (one that changes nothing, matching `where`)
   * locks a Snowflake table until commit even when it matches no row, and INSERT takes no such
   * lock; so the second writer waits here until the first commits and then sees its row (Snowflake
   * reads committed data at each statement). On DuckDB there is nothing to queue behind: one
   * process holds the file and runs one transaction at a time on its one connection, so the
   * statement is skipped. Call it inside `wh.transaction`.
   */
  protected async lockTable(table: StateTableName, column: string, where: Expr): Promise<void> {
    if (this.wh.dialect === 'duckdb') return;
    await this.run(update(table, { [column]: ref(column) }, where));
  }

  protected async *stream<T = Row>(statement: Statement, pageSize?: number, options?: QueryOptions): AsyncIterable<T[]> {
    for await (const page of executeStream<T>(this.wh, statement, pageSize, options)) {
      yield this.wh.dialect === 'snowflake' ? page.map(lowerKeys) : page;
    }
  }
}

/**
 * Snowflake names our output columns in upper case (an unquoted name resolves so); the state's
 * columns are lower-case snake_case, so rows are read back under those names in both dialects.
 */
function lowerKeys<T>(row: T): T {
  return Object.fromEntries(Object.entries(row as Row).map(([k, v]) => [k.toLowerCase(), v])) as T;
}
