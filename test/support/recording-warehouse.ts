import type { Warehouse } from '../../src/warehouse/types.js';

/** A statement as a RecordingWarehouse saw it: its SQL, and whether it ran inside a transaction. */
export interface RecordedStatement {
  sql: string;
  inTransaction: boolean;
  /** When it was sent (performance.now()), to order statements of several connections. */
  at: number;
  /** How long the warehouse took to answer it (a stream: until its first page). */
  ms?: number;
}

/**
 * Wraps `wh` to record every statement it runs, for tests of how many statements something costs
 * and where they run. Statements must not overlap (a run, a delivery pass with one emitter).
 */
export function recordingWarehouse(wh: Warehouse): { wh: Warehouse; statements: RecordedStatement[]; transactionCount: () => number } {
  const statements: RecordedStatement[] = [];
  let depth = 0;
  let transactions = 0;
  const record = (sql: string) => statements[statements.push({ sql, inTransaction: depth > 0, at: performance.now() }) - 1];
  const wrapper: Warehouse = {
    dialect: wh.dialect,
    query: async (sql, params, options) => {
      const statement = record(sql);
      const started = performance.now();
      try {
        return await wh.query(sql, params, options);
      } finally {
        statement.ms = performance.now() - started;
      }
    },
    stream: (sql, params, pageSize, options) => {
      record(sql);
      return wh.stream(sql, params, pageSize, options);
    },
    transaction: (fn) =>
      wh.transaction(async () => {
        if (depth++ === 0) transactions++;
        try {
          return await fn(wrapper);
        } finally {
          depth--;
        }
      }),
    describeTable: (table) => wh.describeTable(table),
    tableNames: (near) => wh.tableNames(near),
    close: () => wh.close(),
  };
  return { wh: wrapper, statements, transactionCount: () => transactions };
}
