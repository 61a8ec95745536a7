import type { WarehouseConfig } from '../model/warehouse.js';
import { openDuckDb } from './duckdb.js';
import type { Warehouse } from './types.js';
import { resolve } from 'node:path';

export * from './types.js';
export * from './errors.js';
export { openDuckDb, DuckDbWarehouse, duckDbTypeFamily } from './duckdb.js';

/**
 * Opens the warehouse a stack declares. A relative DuckDB path is taken from `baseDir`
 * (the project directory), so a plan run from CI and one run locally use the same file.
 */
export async function openWarehouse(config: WarehouseConfig, baseDir = process.cwd()): Promise<Warehouse> {
  if (config.type === 'duckdb') {
    return openDuckDb(config.path === ':memory:' ? config.path : resolve(baseDir, config.path));
  }
  // Loaded on demand: snowflake-sdk is heavy and DuckDB users never need it.
  const { openSnowflake } = await import('./snowflake.js');
  return openSnowflake(config);
}
