import type { Warehouse } from '../../src/warehouse/types.js';

/** A statement as a RecordingWarehouse saw it: its SQL, and whether it ran inside a transaction. */
export interface RecordedStatement {
  sql: string;
  inTransaction: boolean;
}

/**
 * Wraps `wh` to record every statement it runs, for tests of how many statements something costs
 * and where they run. Statements must not overlap (a run, a delivery pass with one emitter).
 */
export function recordingWarehouse(wh: Warehouse): { wh: Warehouse; statements: RecordedStatement[] } {
  const statements: RecordedStatement[] = [];
  let depth = 0;
  const record = (sql: string) => statements.push({ sql, inTransaction: depth > 0 });
  const wrapper: Warehouse = {
    dialect: wh.dialect,
    query: (sql, params, options) => {
      record(sql);
      return wh.query(sql, params, options);
    },
    stream: (sql, params, pageSize, options) => {
      record(sql);
      return wh.stream(sql, params, pageSize, options);
    },
    transaction: (fn) =>
      wh.transaction(async () => {
        depth++;
        try {
          return await fn(wrapper);
        } finally {
          depth--;
        }
      }),
    describeTable: (table) => wh.describeTable(table),
    close: () => wh.close(),
  };
  return { wh: wrapper, statements };
}
