/*
 * The bank example as a user would point it at Snowflake: its own project directory with
 * linked-audiences installed (a symlink to this checkout), examples/bank/main.ts with only its
 * warehouse changed to `Warehouse.snowflake` (the endpoint from `SF_ACCESS_URL`, the password by
 * secret reference), and the example's tables loaded into the emulated account, as quoted
 * lower-case names (the example spells them so).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSnowflake } from '../../src/warehouse/snowflake.js';
import type { World } from '../support/world.js';
import { emulatedConfig, EMULATED_PASSWORD } from '../support/snowflake-emulator/connect.js';
import { loadWorldSnowflake } from '../support/snowflake-emulator/world.js';
import { writeUserProject } from '../support/installed-package.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const DUCKDB_WAREHOUSE = "warehouse: Warehouse.duckdb({ path: 'bank.duckdb' }),";
const SNOWFLAKE_WAREHOUSE = `warehouse: Warehouse.snowflake({
    account: 'emulated',
    username: 'LINKED_SVC',
    role: 'LINKED_ROLE',
    warehouse: 'COMPUTE_WH',
    database: 'ANALYTICS',
    schema: 'MAIN',
    auth: SnowflakeAuth.password(secret('SF_PASSWORD')),
    accessUrl: process.env.SF_ACCESS_URL,
    queryTag: 'team=crm',
  }),`;

/** examples/bank/main.ts on Snowflake; fails loudly if the example's warehouse line moved. */
export function bankMainOnSnowflake(): string {
  const main = readFileSync(join(ROOT, 'examples', 'bank', 'main.ts'), 'utf8');
  if (!main.includes(DUCKDB_WAREHOUSE) || !main.includes('  Warehouse,\n')) throw new Error('examples/bank/main.ts changed: update test/snowflake/cli-project.ts');
  return main.replace(DUCKDB_WAREHOUSE, SNOWFLAKE_WAREHOUSE).replace('  Warehouse,\n', '  Warehouse,\n  SnowflakeAuth,\n');
}

export interface SnowflakeProject {
  dir: string;
  remove(): void;
}

/** A user's project directory holding `main`, with cdktf.json and linked-audiences installed. */
export function userProject(main: string): SnowflakeProject {
  const dir = mkdtempSync(join(tmpdir(), 'la-sf-cli-'));
  writeUserProject(dir, main, { name: 'bank-on-snowflake', output: 'cdktf.out' });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The world's tables (state tables excluded: the migrations make those) in the emulated ANALYTICS database. */
export async function loadBankIntoEmulator(url: string, world: World, password = EMULATED_PASSWORD): Promise<void> {
  const wh = await openSnowflake(emulatedConfig(url), { env: { SF_EMULATED_PASSWORD: password } });
  try {
    await loadWorldSnowflake(wh, { ...world, tables: world.tables.filter((t) => !t.ref.startsWith('LINKED_AUDIENCES.')) });
  } finally {
    await wh.close();
  }
}
