import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCatalog } from '../../src/graph/catalog.js';
import type { Condition, Count, EntityPredicate } from '../../src/model/condition.js';
import { Desired } from '../../src/model/desired.js';
import { previewAudience } from '../../src/preview/preview.js';
import { compileContext, compileEntityMatches, compileMembership } from '../../src/sql/index.js';
import { LinkedError } from '../../src/model/errors.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { freshWarehouse } from '../compute/helpers.js';

/*
 * Filters on the junction row of a many-to-many relationship: order lines link orders to products
 * and carry the quantity of the product on that order. The rows are chosen so that a filter on the
 * link gives another answer than one on the entity, and a line's quantity belongs to its product:
 * - ALFKI: one order, Chai × 12 and Tofu × 1;
 * - ANATR: one order, Chai × 1 and Tofu × 20 (much Tofu, little Chai);
 * - BONAP: two orders, Chai × 2 each (never 10 on one line);
 * - BOTTM: no order.
 */
const graph = (junctionColumns?: string[]) => ({
  profile: { table: 'main.customers', id: 'customer_id', traits: ['city'], identifiers: ['customer_id'] },
  entities: [
    { slug: 'order', name: 'Order', table: 'main.orders', primaryKey: 'order_id', columns: ['customer_id'] },
    { slug: 'product', name: 'Product', table: 'main.products', primaryKey: 'product_id', columns: ['name'] },
  ],
  relationships: [
    { slug: 'orders', name: 'Orders', entity: 'order', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'customer_id', entityColumn: 'customer_id' } },
    {
      slug: 'products',
      name: 'Products',
      entity: 'product',
      parent: 'orders',
      join: {
        type: 'junction',
        table: 'main.order_lines',
        primaryKey: 'line_id',
        parentColumn: 'order_id',
        junctionParentColumn: 'order_id',
        junctionEntityColumn: 'product_id',
        entityColumn: 'product_id',
        ...(junctionColumns ? { columns: junctionColumns } : {}),
      },
    },
  ],
});

const productsOfAnOrder = (where: EntityPredicate, count: Count = { op: 'at_least', value: 1 }): Condition => ({
  kind: 'entity',
  relationship: 'orders',
  count: { op: 'at_least', value: 1 },
  where: { kind: 'entity', relationship: 'products', count, where },
});
const quantity = (op: 'gte' | 'lt', n: number): EntityPredicate => ({ kind: 'column', column: 'quantity', junction: true, operator: op, value: { literal: n } });
const named = (name: string): EntityPredicate => ({ kind: 'column', column: 'name', operator: 'equals', value: { literal: name } });

const model = (condition: Condition, junctionColumns?: string[]) =>
  Desired.parse({
    stack: 'shop',
    warehouse: { type: 'duckdb', path: ':memory:' },
    graph: graph(junctionColumns),
    audiences: [{ key: 'bulk', name: 'Bulk', condition }],
    emitters: [{ key: 'bulk-products', audience: 'bulk', destination: 'hook', trigger: 'entity_added', entityPath: ['orders', 'products'] }],
    destinations: [{ key: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:1/x' } }],
  });

let wh: Warehouse;
beforeAll(async () => {
  wh = (await freshWarehouse()).wh;
  await wh.query(`CREATE TABLE main.customers AS SELECT * FROM (VALUES ('ALFKI', 'Berlin'), ('ANATR', 'México'), ('BONAP', 'Marseille'), ('BOTTM', 'Tsawassen')) t(customer_id, city)`);
  await wh.query(`CREATE TABLE main.orders (order_id INTEGER, customer_id VARCHAR)`);
  await wh.query(`INSERT INTO main.orders VALUES (1, 'ALFKI'), (2, 'ANATR'), (3, 'BONAP'), (4, 'BONAP')`);
  await wh.query(`CREATE TABLE main.products (product_id INTEGER, name VARCHAR)`);
  await wh.query(`INSERT INTO main.products VALUES (10, 'Chai'), (20, 'Tofu')`);
  await wh.query(`CREATE TABLE main.order_lines (line_id INTEGER, order_id INTEGER, product_id INTEGER, quantity INTEGER)`);
  await wh.query(`INSERT INTO main.order_lines VALUES (100, 1, 10, 12), (101, 1, 20, 1), (102, 2, 10, 1), (103, 2, 20, 20), (104, 3, 10, 2), (105, 4, 10, 2)`);
});
afterAll(async () => {
  await wh.close();
});

async function members(condition: Condition): Promise<string[]> {
  const d = model(condition);
  const ctx = compileContext({ dialect: 'duckdb', graph: d.graph, classicAudiences: [], now: new Date(), audience: () => undefined, unknownAudience: (k) => new Error(k) });
  const q = compileMembership(condition, ctx);
  return (await wh.query<{ profile_id: string }>(q.sql, q.params)).rows.map((r) => r.profile_id).sort();
}

async function matches(condition: Condition): Promise<string[]> {
  const d = model(condition);
  const ctx = compileContext({ dialect: 'duckdb', graph: d.graph, classicAudiences: [], now: new Date(), audience: () => undefined, unknownAudience: (k) => new Error(k) });
  const q = compileEntityMatches(condition, ['orders', 'products'], ctx);
  return (await wh.query<{ profile_id: string; entity_id: string }>(q.sql, q.params)).rows.map((r) => `${r.profile_id}:${r.entity_id}`).sort();
}

describe('filters on junction columns', () => {
  it('filter the link, not the entity: a quantity of 10 or more on one order line', async () => {
    expect(await members(productsOfAnOrder(quantity('gte', 10)))).toEqual(['ALFKI', 'ANATR']);
    // BONAP bought 4 Chai, but on two lines of 2: the filter is per line.
    expect(await members(productsOfAnOrder(quantity('lt', 10)))).toEqual(['ALFKI', 'ANATR', 'BONAP']);
  });

  it("hold together with the entity's own columns on the same line", async () => {
    const bulkChai = productsOfAnOrder({ kind: 'and', conditions: [quantity('gte', 10), named('Chai')] });
    // ANATR has much Tofu and little Chai: the quantity belongs to the line of its product.
    expect(await members(bulkChai)).toEqual(['ALFKI']);
    // An order without any bulk line: only BONAP's.
    expect(await members(productsOfAnOrder(quantity('gte', 10), { op: 'exactly', value: 0 }))).toEqual(['BONAP']);
  });

  it('decide the entities that matched', async () => {
    expect(await matches(productsOfAnOrder(quantity('gte', 10)))).toEqual(['ALFKI:10', 'ANATR:20']);
    expect(await matches(productsOfAnOrder({ kind: 'and', conditions: [quantity('gte', 10), named('Chai')] }))).toEqual(['ALFKI:10']);
  });

  it('preview counts members and matched entities through the link', async () => {
    const preview = await previewAudience(model(productsOfAnOrder(quantity('gte', 10)), ['quantity']), wh, 'bulk');
    expect(preview.members).toBe(2);
    expect(preview.entityTriggers).toEqual([expect.objectContaining({ path: 'orders.products', entities: 2 })]);
  });

  it('the catalog check finds a junction column the table lacks, and a literal of the wrong type', async () => {
    const typo: EntityPredicate = { kind: 'column', column: 'quantiy', junction: true, operator: 'gte', value: { literal: 10 } };
    const wrongType: EntityPredicate = { kind: 'column', column: 'quantity', junction: true, operator: 'equals', value: { literal: 'many' } };
    const found = await checkCatalog(model({ kind: 'or', conditions: [productsOfAnOrder(typo), productsOfAnOrder(wrongType)] }), wh, { duplicateKeys: false });
    expect(found.map((x) => [x.code, x.message, x.hint])).toEqual([
      ['WAREHOUSE_COLUMN_MISSING', 'Column quantiy (junction main.order_lines column) does not exist in warehouse table main.order_lines', 'Did you mean "quantity"?'],
      ['LITERAL_TYPE_MISMATCH', "Value 'many' does not match the type of column main.order_lines.quantity (INTEGER)", undefined],
    ]);
    expect(await checkCatalog(model(productsOfAnOrder(quantity('gte', 10)), ['quantity']), wh, { duplicateKeys: false })).toEqual([]);
  });

  it('the compiler refuses a junction column on a relationship without a junction', () => {
    const onOrders: Condition = { kind: 'entity', relationship: 'orders', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'customer_id', junction: true, operator: 'exists' } };
    const d = model(onOrders);
    const ctx = compileContext({ dialect: 'snowflake', graph: d.graph, classicAudiences: [], now: new Date(), audience: () => undefined, unknownAudience: (k) => new Error(k) });
    expect(() => compileMembership(onOrders, ctx)).toThrow(LinkedError);
    expect(() => compileMembership(onOrders, ctx)).toThrow('Junction column customer_id filters relationship orders, which has no junction table');
    // Snowflake prints the same junction filter: the quantity is read from the junction's alias.
    const q = compileMembership(productsOfAnOrder(quantity('gte', 10)), ctx);
    expect(q.sql).toMatch(/"J\d+"\."quantity" >= \?/);
  });
});
