import { join } from 'node:path';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { desired, rawDesired, tempDir, writeManifest } from '../plan/fixtures.js';

export interface StackSpec {
  name: string;
  /** The DuckDB file, relative to the project. */
  db: string;
  /** Prefix of every key but the Data Graph's; the Data Graph's key is `graphKey`. */
  prefix: string;
  graphKey: string;
  /** The webhook the stack's emitter delivers to. */
  url?: string;
}

/** A project whose cdktf.out holds several stacks, as one app with several LinkedAudiencesStacks synthesizes it. */
export async function multiStackProject(stacks: StackSpec[]): Promise<string> {
  const dir = tempDir('linked-multistack-');
  for (const db of new Set(stacks.map((s) => s.db))) await seedWarehouse(join(dir, db));
  for (const s of stacks) writeManifest(dir, desired(stackRaw(s)));
  return dir;
}

function stackRaw(s: StackSpec): Record<string, any> {
  const raw = rawDesired(s.db, 1);
  raw.stack = s.name;
  raw.graph.key = s.graphKey;
  raw.audiences[0].key = `${s.prefix}-aud`;
  raw.audiences[0].enabled = true;
  raw.destinations = [{ key: `${s.prefix}-hook`, type: 'webhook', settings: { url: s.url ?? 'http://127.0.0.1:9/unused' } }];
  raw.emitters = [{ key: `${s.prefix}-entered`, audience: `${s.prefix}-aud`, destination: `${s.prefix}-hook`, trigger: 'audience_entered', sendForCurrent: true }];
  return raw;
}

async function seedWarehouse(path: string): Promise<void> {
  const wh = await openDuckDb(path);
  try {
    await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, email VARCHAR, plan VARCHAR, account_id VARCHAR)`);
    await wh.query(`CREATE TABLE main.accounts (id VARCHAR, balance DOUBLE)`);
    await wh.query(`CREATE TABLE main.cards (id VARCHAR, account_id VARCHAR)`);
    await wh.query(`INSERT INTO main.profiles VALUES ('u1', 'a@x', 'premium', 'a1'), ('u2', 'b@x', 'premium', 'a2'), ('u3', 'c@x', 'gold', 'a3')`);
  } finally {
    await wh.close();
  }
}
