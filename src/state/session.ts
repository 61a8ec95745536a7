import type { WarehouseConfig } from '../model/warehouse.js';
import { openWarehouse } from '../warehouse/index.js';
import type { Warehouse } from '../warehouse/types.js';
import { migrateState } from './migrate.js';

/**
 * Access to the state for work that spans time (waiting for a lock, asking for confirmation).
 * A DuckDB file admits one process (decision D5), so each step opens the warehouse and closes it
 * again: another apply can read the lock, and a controller can tick, while this one waits.
 */
export interface StateSession {
  readonly schema: string;
  withWarehouse<T>(fn: (wh: Warehouse) => Promise<T>): Promise<T>;
}

/**
 * A session that opens the warehouse per step, its statements tagged with `tag` (`commandTag`);
 * the state schema is migrated on first use.
 */
export function openPerStepSession(config: WarehouseConfig, baseDir: string, tag: string): StateSession {
  let migrated = false;
  return {
    schema: config.stateSchema,
    async withWarehouse(fn) {
      const wh = await openWarehouse(config, baseDir, { tag });
      try {
        if (!migrated) {
          await migrateState(wh, config.stateSchema);
          migrated = true;
        }
        return await fn(wh);
      } finally {
        await wh.close();
      }
    },
  };
}

/** A session over a warehouse the caller keeps open (tests, in-process callers, Snowflake). */
export function sharedSession(wh: Warehouse, schema: string): StateSession {
  return { schema, withWarehouse: (fn) => fn(wh) };
}
