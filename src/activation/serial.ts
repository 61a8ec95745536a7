import type { Warehouse } from '../warehouse/types.js';

/** Serializes use of one warehouse connection: a DuckDB connection runs one statement at a time. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * The warehouse with its statements serialized: emitters deliver concurrently but share one
 * connection, and a DuckDB connection (and its transaction) must not interleave statements.
 */
export function serialized(wh: Warehouse): Warehouse {
  const mutex = new Mutex();
  return {
    dialect: wh.dialect,
    query: (sql, params, options) => mutex.run(() => wh.query(sql, params, options)),
    stream: (sql, params, pageSize, options) => wh.stream(sql, params, pageSize, options),
    transaction: (fn, options) => mutex.run(() => wh.transaction(fn, options)),
    describeTable: (table) => mutex.run(() => wh.describeTable(table)),
    tableNames: (near) => mutex.run(() => wh.tableNames(near)),
    close: () => wh.close(),
    whenFree: (fn) => mutex.run(() => (wh.whenFree ? wh.whenFree(fn) : fn(wh))),
  };
}
