import type { Statement } from '../dialect/ast.js';
import { printSql } from '../dialect/printer.js';
import type { QueryOptions, QueryResult, Row, Warehouse } from './types.js';

/** Prints `statement` in the warehouse's dialect and runs it: how every layer above sends SQL. */
export function execute<T = Row>(wh: Warehouse, statement: Statement, options?: QueryOptions): Promise<QueryResult<T>> {
  const { sql, params } = printSql(wh.dialect, statement);
  return wh.query<T>(sql, params, options);
}

/** As execute, yielding the rows in pages. */
export function executeStream<T = Row>(wh: Warehouse, statement: Statement, pageSize?: number, options?: QueryOptions): AsyncIterable<T[]> {
  const { sql, params } = printSql(wh.dialect, statement);
  return wh.stream<T>(sql, params, pageSize, options);
}
