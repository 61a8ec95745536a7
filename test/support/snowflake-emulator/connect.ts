import type { SnowflakeWarehouseConfig } from '../../../src/model/warehouse.js';
import { openSnowflake, type SnowflakeWarehouse } from '../../../src/warehouse/snowflake.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from './index.js';

export const EMULATED_PASSWORD = 'emulated-password';

/** A stack's Snowflake config pointing at the emulator (password auth from `SF_EMULATED_PASSWORD`). */
export function emulatedConfig(url: string, overrides: Partial<SnowflakeWarehouseConfig> = {}): SnowflakeWarehouseConfig {
  return {
    type: 'snowflake',
    account: 'emulated',
    username: 'LINKED_SVC',
    database: 'ANALYTICS',
    warehouse: 'COMPUTE_WH',
    role: 'LINKED_ROLE',
    schema: 'MAIN',
    auth: { type: 'password', password: { secret: 'SF_EMULATED_PASSWORD' } },
    accessUrl: url,
    stateSchema: 'LINKED_AUDIENCES',
    ...overrides,
  };
}

/** Starts an emulator and opens the project's Snowflake adapter on it, through snowflake-sdk. */
export async function emulatedSnowflake(): Promise<{ emulator: SnowflakeEmulator; wh: SnowflakeWarehouse; close(): Promise<void> }> {
  const emulator = await startSnowflakeEmulator({ password: EMULATED_PASSWORD });
  const wh = await openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: EMULATED_PASSWORD } });
  return {
    emulator,
    wh,
    close: async () => {
      await wh.close();
      await emulator.close();
    },
  };
}
