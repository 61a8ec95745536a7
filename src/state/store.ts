import type { Statement } from '../dialect/ast.js';
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

  protected run<T = Row>(statement: Statement, options?: QueryOptions): Promise<QueryResult<T>> {
    return execute<T>(this.wh, statement, options);
  }

  protected stream<T = Row>(statement: Statement, pageSize?: number, options?: QueryOptions): AsyncIterable<T[]> {
    return executeStream<T>(this.wh, statement, pageSize, options);
  }
}
