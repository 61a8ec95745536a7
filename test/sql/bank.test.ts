import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileEntityMatches, compileMembership } from '../../src/sql/index.js';
import { quoteTable } from '../../src/dialect/identifiers.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { bank } from '../fixtures/bank.js';
import { bankWorld } from '../support/bank-world.js';
import { contextFor } from '../support/context.js';
import { loadWorld } from '../support/load.js';
import { Reference } from '../support/reference.js';
import { tableOf } from '../support/world.js';

/*
 * The bank audiences (test/fixtures/bank.ts) on a seeded bank-shaped warehouse, against the
 * reference evaluator: first with "part of travel-spenders" compiled inline (no snapshot yet),
 * then from the compute layer's membership snapshot table.
 */
const NOW = new Date('2026-11-28T12:00:00Z');
const PATHS: Record<string, string[][]> = {
  'overdue-cards': [['accounts'], ['accounts', 'cards']],
  'travel-spenders': [['accounts', 'cards', 'transactions']],
  'dormant-savers': [['accounts']],
  'vip-upsell': [['accounts', 'cards'], ['accounts', 'cards', 'offers']],
};

describe('bank audiences on a bank-shaped warehouse equal the reference', () => {
  let wh: DuckDbWarehouse;
  const world = bankWorld(400, 42, NOW);
  const travel = bank.audiences.find((a) => a.key === 'travel-spenders')!;
  world.linked['travel-spenders'] = { kind: 'inline', condition: travel.condition };

  beforeAll(async () => {
    wh = await openDuckDb(':memory:');
    await loadWorld(wh, world);
  });
  afterAll(async () => {
    await wh.close();
  });

  const check = async () => {
    const ctx = contextFor(world);
    const ref = new Reference(world);
    const sizes: Record<string, number> = {};
    for (const a of bank.audiences) {
      const q = compileMembership(a.condition, ctx);
      const got = (await wh.query<{ profile_id: string }>(q.sql, q.params)).rows.map((r) => r.profile_id).sort();
      expect(got, a.key).toEqual([...ref.membership(a.condition)].sort());
      sizes[a.key] = got.length;
      for (const path of PATHS[a.key]) {
        const m = compileEntityMatches(a.condition, path, ctx);
        const rows = (await wh.query<{ profile_id: string; entity_path: string; entity_id: string }>(m.sql, m.params)).rows;
        expect(rows.map((r) => `${r.profile_id}|${r.entity_path}|${r.entity_id}`).sort(), `${a.key} ${path.join('.')}`).toEqual(
          [...ref.entityMatches(a.condition, path)].sort(),
        );
      }
    }
    return sizes;
  };

  it('with the linked audience compiled inline', async () => {
    const sizes = await check();
    // every audience selects someone but not everyone, or the comparison proves little
    for (const key of ['overdue-cards', 'travel-spenders', 'dormant-savers', 'vip-upsell']) {
      expect(sizes[key], key).toBeGreaterThan(0);
      expect(sizes[key], key).toBeLessThan(400);
    }
  });

  it('with the linked audience read from its membership snapshot', async () => {
    const members = [...new Reference(world).membership(travel.condition)];
    const snapshot = tableOf(world, 'LINKED_AUDIENCES.membership');
    // a stale snapshot on purpose (drop one member, add an outsider), plus another audience's rows
    snapshot.rows = [
      ...members.slice(1).map((id) => ({ audience_key: 'travel-spenders', profile_id: id })),
      { audience_key: 'travel-spenders', profile_id: 'u399' },
      { audience_key: 'other', profile_id: members[0] },
    ];
    for (const row of snapshot.rows) {
      await wh.query(`INSERT INTO ${quoteTable('duckdb', snapshot.ref)} VALUES (?, ?)`, [row.audience_key, row.profile_id]);
    }
    world.linked['travel-spenders'] = { kind: 'snapshot', table: { schema: 'LINKED_AUDIENCES', name: 'membership' }, audienceKey: 'travel-spenders' };
    await check();
  });
});
