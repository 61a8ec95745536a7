import type { WarehouseConfig } from '../model/warehouse.js';
import type { Warehouse } from './types.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { LinkedError } from '../model/errors.js';
import { withQueryTag } from './tagged.js';

export interface OpenWarehouseOptions {
  /** Reads only (preview, reports): a DuckDB file is opened without its write lock. Snowflake ignores it. */
  readOnly?: boolean;
  /**
   * The QUERY_TAG of every statement that names none of its own (`commandTag`): what opened the
   * warehouse, so that no statement of the product runs unattributed in Snowflake's QUERY_HISTORY.
   */
  tag: string;
}

export * from './types.js';
export * from './errors.js';

/**
 * Opens the warehouse a stack declares. A relative DuckDB path is taken from `baseDir`
 * (the project directory), so a plan run from CI and one run locally use the same file.
 */
export async function openWarehouse(config: WarehouseConfig, baseDir: string, options: OpenWarehouseOptions): Promise<Warehouse> {
  return withQueryTag(await openUntagged(config, baseDir, options), options.tag);
}

async function openUntagged(config: WarehouseConfig, baseDir: string, options: OpenWarehouseOptions): Promise<Warehouse> {
  if (config.type === 'duckdb') {
    const path = config.path === ':memory:' ? config.path : resolve(baseDir, config.path);
    // DuckDB creates a missing file on open: a typo in the path would become an empty warehouse
    // and every table would be reported missing. The warehouse holds the user's data, so it must exist.
    if (path !== ':memory:' && !existsSync(path)) {
      throw new LinkedError(
        'WAREHOUSE_MISSING',
        `The DuckDB file ${path} does not exist: create it (an example's data: "linked example bank|airline|ecommerce --profiles 2000 --out ${config.path}" or "linked example northwind --out ${config.path}") or fix the stack's warehouse path.`,
      );
    }
    // Loaded on demand too: the native bindings take a noticeable share of a command's start-up,
    // and commands that never open a warehouse (synth, validate, check) should not pay for them.
    const { openDuckDb } = await import('./duckdb.js');
    return openDuckDb(path, { readOnly: options.readOnly });
  }
  // snowflake-sdk brings the AWS SDK (for stages, which we never use); its notice about future
  // Node versions is not the user's business and would be the only line on stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Loaded on demand: snowflake-sdk is heavy and DuckDB users never need it.
  const { openSnowflake } = await import('./snowflake.js');
  return openSnowflake(config);
}
