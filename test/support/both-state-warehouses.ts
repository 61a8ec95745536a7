import { join } from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { migrateState } from '../../src/state/migrate.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { tempDir } from '../activation/helpers.js';
import { openMigratedDuckDb } from './migrated-file.js';
import { emulatedSnowflake } from './snowflake-emulator/connect.js';

/**
 * The same test on a migrated DuckDB file and on the Snowflake emulation (through snowflake-sdk),
 * each with a state schema of its own: `it` twice, named `<title> (DuckDB)` and
 * `<title> (Snowflake emulation)`. Call it inside a `describe`.
 */
export function itOnBothWarehouses(title: string, schema: string, test: (wh: Warehouse) => Promise<void>): void {
  it(`${title} (DuckDB)`, async () => {
    const wh = await openMigratedDuckDb(join(tempDir(), 'w.duckdb'), schema);
    try {
      await test(wh);
    } finally {
      await wh.close();
    }
  });

  let env: Awaited<ReturnType<typeof emulatedSnowflake>> | undefined;
  beforeAll(async () => {
    env = await emulatedSnowflake();
    await migrateState(env.wh, schema);
  });
  afterAll(async () => env?.close());
  it(`${title} (Snowflake emulation)`, async () => test(env!.wh));
}
