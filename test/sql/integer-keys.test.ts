import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAudience } from '../../src/compute/compile.js';
import { runAudience } from '../../src/compute/run.js';
import { castJoinsFromSnapshot, checkCatalog, snapshotCatalog } from '../../src/graph/catalog.js';
import { Desired } from '../../src/model/desired.js';
import { previewAudience } from '../../src/preview/preview.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { SCHEMA, computeTables, freshWarehouse } from '../compute/helpers.js';

/*
 * An orders schema loaded as it ships (Northwind-like): customers keyed by text, orders, products
 * and order lines by integers, and reviews whose order reference is text — an integer joined to a
 * string, which the compiler joins on a cast.
 */
const ordersSchema = (audiences: unknown[], emitters: unknown[] = []) =>
  Desired.parse({
    stack: 'shop',
    warehouse: { type: 'duckdb', path: ':memory:' },
    graph: {
      profile: { table: 'main.customers', id: 'customer_id', traits: ['city'], identifiers: ['customer_id'] },
      entities: [
        { slug: 'order', name: 'Order', table: 'main.orders', primaryKey: 'order_id', columns: ['freight'] },
        { slug: 'product', name: 'Product', table: 'main.products', primaryKey: 'product_id', columns: ['name'] },
        { slug: 'review', name: 'Review', table: 'main.reviews', primaryKey: 'review_id', columns: ['stars'] },
      ],
      relationships: [
        { slug: 'orders', name: 'Orders', entity: 'order', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'customer_id', entityColumn: 'customer_id' } },
        {
          slug: 'products',
          name: 'Products',
          entity: 'product',
          parent: 'orders',
          join: { type: 'junction', table: 'main.order_lines', primaryKey: 'line_id', parentColumn: 'order_id', junctionParentColumn: 'order_id', junctionEntityColumn: 'product_id', entityColumn: 'product_id' },
        },
        { slug: 'reviews', name: 'Reviews', entity: 'review', parent: 'orders', join: { type: 'entity', parentColumn: 'order_id', entityColumn: 'order_ref' } },
      ],
    },
    audiences,
    destinations: [{ key: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:1/x' } }],
    emitters,
  });

const chai = {
  kind: 'entity',
  relationship: 'orders',
  count: { op: 'at_least', value: 1 },
  where: { kind: 'entity', relationship: 'products', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'name', operator: 'equals', value: { literal: 'Chai' } } },
};
const badlyReviewed = {
  kind: 'entity',
  relationship: 'orders',
  count: { op: 'at_least', value: 1 },
  where: { kind: 'entity', relationship: 'reviews', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'stars', operator: 'lte', value: { literal: 2 } } },
};
const audience = (key: string, condition: unknown) => ({ key, name: key, enabled: true, schedule: { type: 'interval', every: '1h' }, condition });

let wh: Warehouse;
beforeAll(async () => {
  wh = (await freshWarehouse()).wh;
  await wh.query(`CREATE TABLE main.customers AS SELECT * FROM (VALUES ('ALFKI', 'Berlin'), ('ANATR', 'México'), ('BONAP', 'Marseille')) t(customer_id, city)`);
  await wh.query(`CREATE TABLE main.orders (order_id INTEGER, customer_id VARCHAR, freight DOUBLE)`);
  await wh.query(`INSERT INTO main.orders VALUES (10248, 'ALFKI', 32.38), (10249, 'ANATR', 11.61), (10250, 'BONAP', 65.83)`);
  await wh.query(`CREATE TABLE main.products (product_id BIGINT, name VARCHAR)`);
  await wh.query(`INSERT INTO main.products VALUES (1, 'Chai'), (11, 'Queso Cabrales')`);
  await wh.query(`CREATE TABLE main.order_lines (line_id INTEGER, order_id INTEGER, product_id BIGINT, quantity INTEGER)`);
  await wh.query(`INSERT INTO main.order_lines VALUES (1, 10248, 1, 12), (2, 10248, 11, 10), (3, 10249, 11, 5), (4, 10250, 1, 40)`);
  await wh.query(`CREATE TABLE main.reviews (review_id INTEGER, order_ref VARCHAR, stars INTEGER)`);
  // A reference that is no number: compared as numbers, the warehouse would fail the whole query on it.
  await wh.query(`INSERT INTO main.reviews VALUES (7, '10249', 1), (8, '10250', 5), (9, 'legacy-77', 1)`);
});
afterAll(async () => {
  await wh.close();
});

describe('integer keys, as real warehouses key their tables', () => {
  it('are accepted; only the integer-to-string join is joined on a cast, with a warning', async () => {
    const d = ordersSchema([audience('chai', chai)]);
    const ds = await checkCatalog(d, wh);
    expect(ds.map((x) => [x.severity, x.code, x.attribute])).toEqual([['warning', 'JOIN_KEY_CAST', 'relationships[2].join']]);
    expect(castJoinsFromSnapshot(d.graph, await snapshotCatalog(d.graph, wh))).toEqual(['reviews']);
  });

  it('preview: members and entity matches through integer keys and the cast join; ids as text', async () => {
    const emitter = (key: string, aud: string, path: string[]) => ({ key, audience: aud, destination: 'hook', trigger: 'entity_added', entityPath: path });
    const d = ordersSchema([audience('chai', chai), audience('unhappy', badlyReviewed)], [emitter('chai-products', 'chai', ['orders', 'products']), emitter('unhappy-reviews', 'unhappy', ['orders', 'reviews'])]);
    const chaiPreview = await previewAudience(d, wh, 'chai', { traits: ['city'] });
    expect(chaiPreview.members).toBe(2);
    expect(chaiPreview.sample.rows.map((r) => r.customer_id).sort()).toEqual(['ALFKI', 'BONAP']);
    expect(chaiPreview.entityTriggers).toEqual([expect.objectContaining({ path: 'orders.products', entities: 2 })]);
    const unhappy = await previewAudience(d, wh, 'unhappy');
    expect(unhappy.members).toBe(1);
    expect(unhappy.entityTriggers).toEqual([expect.objectContaining({ path: 'orders.reviews', entities: 1 })]);
  });

  it('compute: a run stages members and entity ids as text, the cast join included', async () => {
    const d = ordersSchema([audience('unhappy', badlyReviewed)], [{ key: 'e', audience: 'unhappy', destination: 'hook', trigger: 'entity_added', entityPath: ['orders', 'reviews'] }]);
    const castJoins = castJoinsFromSnapshot(d.graph, await snapshotCatalog(d.graph, wh));
    const compiled = compileAudience({ ...d, castJoins }, 'unhappy', { dialect: 'duckdb', stateSchema: SCHEMA, now: new Date() });
    const run = await runAudience(wh, { schema: SCHEMA, audienceKey: 'unhappy', trigger: 'manual', compile: () => compiled });
    expect(run).toMatchObject({ status: 'Live', members: 1, entered: 1, entitiesAdded: 1 });
    const t = computeTables(wh);
    const { rows } = await wh.query<{ profile_id: string; entity_id: string }>(`SELECT profile_id, entity_id FROM ${t.entity_matches} WHERE audience_key = 'unhappy'`);
    expect(rows).toEqual([{ profile_id: 'ANATR', entity_id: '7' }]);
  });
});
