import type { Warehouse } from './types.js';

/**
 * A handle on `wh` that runs its statements, and whose `close()` runs `onClose` instead of closing
 * it, once: later calls do nothing (a pool or a meter around the connection decides what closing
 * means, and a caller closing twice must not count twice).
 */
export function handleOn(wh: Warehouse, onClose: () => Promise<void>): Warehouse {
  let open = true;
  return {
    dialect: wh.dialect,
    query: (sql, params, options) => wh.query(sql, params, options),
    stream: (sql, params, pageSize, options) => wh.stream(sql, params, pageSize, options),
    transaction: (fn, options) => wh.transaction(fn, options),
    describeTable: (table) => wh.describeTable(table),
    tableNames: (near) => wh.tableNames(near),
    close: async () => {
      if (!open) return;
      open = false;
      await onClose();
    },
  };
}
