import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileEntityMatches, compileMembership } from '../../src/sql/index.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { SnowflakeWarehouse } from '../../src/warehouse/snowflake.js';
import { bank } from '../fixtures/bank.js';
import { bankWorld } from '../support/bank-world.js';
import { contextFor } from '../support/context.js';
import { loadWorld } from '../support/load.js';
import { emulatedSnowflake } from '../support/snowflake-emulator/connect.js';
import { loadWorldSnowflake } from '../support/snowflake-emulator/world.js';
import { tableOf } from '../support/world.js';

/*
 * The bank audiences (test/fixtures/bank.ts) compiled for each warehouse on the same bank-shaped
 * data: DuckDB, and Snowflake on the emulation through snowflake-sdk. Same members, same entity
 * matches, with "part of travel-spenders" compiled inline and read from its membership snapshot.
 */
const NOW = new Date('2026-11-28T12:00:00Z');
const PATHS: Record<string, string[][]> = {
  'overdue-cards': [['accounts'], ['accounts', 'cards']],
  'travel-spenders': [['accounts', 'cards', 'transactions']],
  'dormant-savers': [['accounts']],
  'vip-upsell': [['accounts', 'cards'], ['accounts', 'cards', 'offers']],
};
const SNAPSHOT = { kind: 'snapshot', table: { schema: 'LINKED_AUDIENCES', name: 'membership' }, audienceKey: 'travel-spenders' } as const;

describe('bank audiences: DuckDB and emulated Snowflake agree', () => {
  const world = bankWorld(300, 42, NOW);
  const travel = bank.audiences.find((a) => a.key === 'travel-spenders')!;
  let duck: DuckDbWarehouse;
  let env: Awaited<ReturnType<typeof emulatedSnowflake>>;
  let sf: SnowflakeWarehouse;

  beforeAll(async () => {
    // A stale snapshot on purpose (not the inline members), so the two sources differ.
    tableOf(world, 'LINKED_AUDIENCES.membership').rows = ['u1', 'u2', 'u3', 'u5', 'u8', 'u13'].map((id) => ({ audience_key: 'travel-spenders', profile_id: id }));
    world.linked['travel-spenders'] = SNAPSHOT;
    duck = await openDuckDb(':memory:');
    await loadWorld(duck, world);
    env = await emulatedSnowflake();
    sf = env.wh;
    await loadWorldSnowflake(sf, world);
  }, 60_000);
  afterAll(async () => {
    await duck?.close();
    await env?.close();
  });

  const compare = async () => {
    const sizes: Record<string, number> = {};
    for (const a of bank.audiences) {
      const q = compileMembership(a.condition, contextFor(world, 'duckdb'));
      const s = compileMembership(a.condition, contextFor(world, 'snowflake'));
      const want = (await duck.query<{ profile_id: string }>(q.sql, q.params)).rows.map((r) => r.profile_id).sort();
      const got = (await sf.query<{ PROFILE_ID: string }>(s.sql, s.params, { tag: `linked-audiences:compute:${a.key}` })).rows.map((r) => r.PROFILE_ID).sort();
      expect(got, a.key).toEqual(want);
      sizes[a.key] = got.length;
      for (const path of PATHS[a.key]) {
        const m = compileEntityMatches(a.condition, path, contextFor(world, 'duckdb'));
        const n = compileEntityMatches(a.condition, path, contextFor(world, 'snowflake'));
        const duckMatches = (await duck.query<{ profile_id: string; entity_path: string; entity_id: string }>(m.sql, m.params)).rows.map(
          (r) => `${r.profile_id}|${r.entity_path}|${r.entity_id}`,
        );
        const sfMatches = (await sf.query<{ PROFILE_ID: string; ENTITY_PATH: string; ENTITY_ID: string }>(n.sql, n.params)).rows.map(
          (r) => `${r.PROFILE_ID}|${r.ENTITY_PATH}|${r.ENTITY_ID}`,
        );
        expect(sfMatches.sort(), `${a.key} ${path.join('.')}`).toEqual(duckMatches.sort());
      }
    }
    return sizes;
  };

  it('with the linked audience compiled inline', async () => {
    world.linked['travel-spenders'] = { kind: 'inline', condition: travel.condition };
    const sizes = await compare();
    for (const key of Object.keys(PATHS)) expect(sizes[key], key).toBeGreaterThan(0);
  });

  it('with the linked audience read from its membership snapshot', async () => {
    world.linked['travel-spenders'] = SNAPSHOT;
    await compare();
  });
});
