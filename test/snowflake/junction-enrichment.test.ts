import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchEnrichment, type EnrichmentData } from '../../src/activation/enrich/fetch.js';
import { valuesKeys } from '../../src/activation/enrich/keys.js';
import { SharedTraitReads } from '../../src/activation/enrich/shared-traits.js';
import { planEnrichment, type EnrichmentPlan } from '../../src/activation/enrich/plan.js';
import { snapshotCatalog, textKeysFromSnapshot } from '../../src/graph/catalog.js';
import { EventEmitter } from '../../src/model/emitter.js';
import type { SourceRow } from '../../src/state/delivery/types.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { BUYERS, ORDER_LINES_GRAPH, orderLinesWorld, PRODUCTS_WITH_LINES } from '../fixtures/order-lines.js';
import { loadWorld } from '../support/load.js';
import { emulatedSnowflake } from '../support/snowflake-emulator/connect.js';
import { loadWorldSnowflake } from '../support/snowflake-emulator/world.js';

/*
 * The enrichment queries that read junction columns, printed for Snowflake and run on the
 * emulation through snowflake-sdk: the same links, chains and entity rows as on DuckDB, and the
 * values the fixture holds.
 */
const plan = (e: Record<string, unknown>, textKeys: string[] = []): EnrichmentPlan =>
  planEnrichment(ORDER_LINES_GRAPH, BUYERS, EventEmitter.parse({ key: 'e', audience: 'buyers', destination: 'hook', ...e }), { textKeys });
const productAdded = plan({ trigger: 'entity_added', entityPath: ['orders', 'products'], enrich: { entities: [PRODUCTS_WITH_LINES] } });
const orderAdded = plan({ trigger: 'entity_added', entityPath: ['orders'], enrich: { entities: [PRODUCTS_WITH_LINES] } });
const entered = plan({ trigger: 'audience_entered', enrich: { entities: [PRODUCTS_WITH_LINES] } });

const row = (profileId: string, entityPath: string | null, entityId: string | null, id: number): SourceRow => ({
  source: 'outbox',
  id,
  audienceKey: 'buyers',
  kind: entityId === null ? 'entered' : 'entity_added',
  profileId,
  entityPath,
  entityId,
  createdAt: '2026-11-28T12:00:00.000Z',
});
const PRODUCT_ROWS = [row('BONAP', 'orders.products', '10', 1), row('ALFKI', 'orders.products', '10', 2), row('ALFKI', 'orders.products', '20', 3)];
const ORDER_ROWS = [row('ALFKI', 'orders', '1', 4), row('BONAP', 'orders', '4', 5)];
const ENTERED_ROWS = [row('BONAP', null, null, 6)];

/** The data in a comparable form: maps as sorted entries, numbers as numbers (the drivers differ in integer types). */
function plain(data: EnrichmentData): unknown {
  const norm = (v: unknown): unknown =>
    typeof v === 'bigint' ? Number(v) : Array.isArray(v) ? v.map(norm) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)])) : v;
  const entries = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, norm(v)]);
  const others = [...data.others].map(([slug, byAnchor]) => [
    slug,
    entries(new Map([...byAnchor].map(([a, items]) => [a, [...items].sort((x, y) => JSON.stringify(norm(x)).localeCompare(JSON.stringify(norm(y))))]))),
  ]);
  return { chains: entries(data.chains), links: entries(data.links), others };
}

describe('junction enrichment: DuckDB and emulated Snowflake agree', () => {
  let duck: DuckDbWarehouse;
  let env: Awaited<ReturnType<typeof emulatedSnowflake>>;
  beforeAll(async () => {
    duck = await openDuckDb(':memory:');
    await loadWorld(duck, orderLinesWorld());
    env = await emulatedSnowflake();
    await loadWorldSnowflake(env.wh, orderLinesWorld());
  }, 60_000);
  afterAll(async () => {
    await duck?.close();
    await env?.close();
  });

  const both = async (p: EnrichmentPlan, rows: SourceRow[]) => {
    const on = (wh: Warehouse) => fetchEnrichment(wh, ORDER_LINES_GRAPH, p, rows);
    const [d, s] = [await on(duck), await on(env.wh)];
    expect(plain(s)).toEqual(plain(d));
    return s;
  };

  it("the trigger product's links and its chain", async () => {
    const before = env.emulator.queries.length;
    const s = await both(productAdded, PRODUCT_ROWS);
    // The junction's columns are read from its alias, quoted as the graph spells them.
    const sql = env.emulator.queries.slice(before).map((q) => q.sqlText).join('\n');
    expect(sql).toMatch(/"J\d+"\."quantity"/);
    expect(sql).toMatch(/"J\d+"\."unit_price"/);
    expect(plain(s)).toMatchObject({
      links: [
        ['ALFKI\u000010', [{ order_id: 1, product_id: 10, quantity: 12, unit_price: 14.4 }]],
        ['ALFKI\u000020', [{ order_id: 1, product_id: 20, quantity: 1, unit_price: 23.25 }]],
        [
          'BONAP\u000010',
          [
            { order_id: 3, product_id: 10, quantity: 2, unit_price: 18 },
            { order_id: 4, product_id: 10, quantity: 5, unit_price: 16.5 },
          ],
        ],
      ],
    });
  });

  it('ids the catalog says are text are compared as they are, on both, with the same answers', async () => {
    const textKeys = textKeysFromSnapshot(ORDER_LINES_GRAPH, await snapshotCatalog(ORDER_LINES_GRAPH, env.wh));
    expect(textKeys).toEqual(textKeysFromSnapshot(ORDER_LINES_GRAPH, await snapshotCatalog(ORDER_LINES_GRAPH, duck)));
    expect(textKeys).toContain(`${ORDER_LINES_GRAPH.profile.table}.${ORDER_LINES_GRAPH.profile.id}`);
    const before = env.emulator.queries.length;
    const withText = plan({ trigger: 'entity_added', entityPath: ['orders', 'products'], enrich: { traits: ['city'], entities: [PRODUCTS_WITH_LINES] } }, textKeys);
    const s = await both(withText, PRODUCT_ROWS);
    // The same as DuckDB with every id cast, traits included.
    const cast = await fetchEnrichment(duck, ORDER_LINES_GRAPH, { ...withText, textKeys: [] }, PRODUCT_ROWS);
    expect(plain(s)).toEqual(plain(cast));
    const traits = (d: EnrichmentData) => [...d.traits].sort(([a], [b]) => a.localeCompare(b));
    expect(traits(s)).toEqual(traits(cast));
    expect(traits(s).map(([id]) => id)).toEqual(['ALFKI', 'BONAP']);
    const sql = env.emulator.queries.slice(before).map((q) => q.sqlText).join('\n');
    expect(sql).not.toMatch(new RegExp(`CAST\\("P"\\."${ORDER_LINES_GRAPH.profile.id}" AS VARCHAR\\)`, 'i'));
    expect(sql).toMatch(/CAST\("\w+"\."product_id" AS VARCHAR\)/i);
  });

  it('the traits of two pages asking together: one read of both, each page its own profiles and traits', async () => {
    const before = env.emulator.queries.length;
    const read = (wh: Warehouse) => {
      const reads = new SharedTraitReads();
      const [a, b] = [[row('ALFKI', null, null, 7)], [row('BONAP', null, null, 8), row('BOTTM', null, null, 9)]];
      return Promise.all([
        reads.read(wh, { profile: ORDER_LINES_GRAPH.profile, traits: ['city'], textKeys: [] }, valuesKeys(a), a),
        reads.read(wh, { profile: ORDER_LINES_GRAPH.profile, traits: ['customer_id', 'city'], textKeys: [] }, valuesKeys(b), b),
      ]);
    };
    const [onSnowflake, onDuckDb] = [await read(env.wh), await read(duck)];
    expect(onSnowflake.map((m) => [...m])).toEqual([
      [['ALFKI', { city: 'Berlin' }]],
      [
        ['BONAP', { customer_id: 'BONAP', city: 'Marseille' }],
        ['BOTTM', { customer_id: 'BOTTM', city: 'Tsawassen' }],
      ],
    ]);
    expect(onDuckDb.map((m) => [...m])).toEqual(onSnowflake.map((m) => [...m]));
    const traitReads = env.emulator.queries.slice(before).filter((q) => /FROM "main"\."customers" AS "P"/.test(q.sqlText));
    expect(traitReads.map((q) => /UNION ALL/.test(q.sqlText))).toEqual([true]);
  });

  it('the products below a trigger order and those of a profile, one item per line', async () => {
    const below = plain(await both(orderAdded, ORDER_ROWS)) as { others: [string, [string, unknown[]][]][] };
    expect(below.others).toEqual([
      [
        'products',
        [
          [
            '1',
            [
              { product_id: 10, name: 'Chai', unit_price: 18, __junction: { order_id: 1, product_id: 10, quantity: 12, unit_price: 14.4 } },
              { product_id: 20, name: 'Tofu', unit_price: 23.25, __junction: { order_id: 1, product_id: 20, quantity: 1, unit_price: 23.25 } },
            ],
          ],
          ['4', [{ product_id: 10, name: 'Chai', unit_price: 18, __junction: { order_id: 4, product_id: 10, quantity: 5, unit_price: 16.5 } }]],
        ],
      ],
    ]);
    const profile = plain(await both(entered, ENTERED_ROWS)) as { others: [string, [string, unknown[]][]][] };
    expect(profile.others[0]![1]).toEqual([['BONAP', [expect.objectContaining({ __junction: expect.objectContaining({ order_id: 3 }) }), expect.objectContaining({ __junction: expect.objectContaining({ order_id: 4 }) })]]]);
  });
});
