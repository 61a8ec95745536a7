import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { planEnrichment } from '../../src/activation/enrich/plan.js';
import { readActivationModel } from '../../src/activation/emitter-context.js';
import { testEvent } from '../../src/activation/preview.js';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import { runAudience } from '../../src/compute/run.js';
import { checkCatalog } from '../../src/graph/catalog.js';
import { checkDesired } from '../../src/model/checks.js';
import { Desired } from '../../src/model/desired.js';
import { EventEmitter } from '../../src/model/emitter.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { BUYERS, ORDER_LINES_GRAPH, orderLinesWorld, PRODUCTS_WITH_LINES } from '../fixtures/order-lines.js';
import { loadWorld } from '../support/load.js';
import { applyResources, openState, SCHEMA, startServer, type TestServer } from './helpers.js';

/*
 * Enrichment with the columns of a many-to-many relationship's junction rows: order lines link
 * orders to products, and an event about a product carries the lines (quantity, price paid) that
 * link it to the customer's orders. Applied, computed and delivered to a webhook on 127.0.0.1.
 */
const emitter = (e: Record<string, unknown>) => EventEmitter.parse({ key: 'e', audience: 'buyers', destination: 'hook', ...e });

describe('enrichment with junction columns', () => {
  it('refuses junction columns on a relationship without a junction, and one the junction does not expose, naming the fix', () => {
    const onOrders = emitter({ trigger: 'audience_entered', enrich: { entities: [{ relationship: 'orders', junctionColumns: ['quantity'] }] } });
    expect(() => planEnrichment(ORDER_LINES_GRAPH, BUYERS, onOrders)).toThrow('the relationship "orders" has no junction table');
    const typo = emitter({ trigger: 'audience_entered', enrich: { entities: [{ relationship: 'products', junctionColumns: ['quantiy'] }] } });
    expect(() => planEnrichment(ORDER_LINES_GRAPH, BUYERS, typo)).toThrow(
      'the column "quantiy" is not a column of the junction main.order_lines of the relationship "products". Did you mean "quantity"?',
    );
    expect(() => EventEmitter.parse({ key: 'e', audience: 'buyers', destination: 'hook', trigger: 'audience_entered', enrich: { entities: [{ relationship: 'products' }] } })).toThrow(
      /list the entity columns \(columns\) or the junction columns \(junctionColumns\)/,
    );
  });

  it('plans the link columns: the junction key first, then the selected ones', () => {
    const plan = planEnrichment(ORDER_LINES_GRAPH, BUYERS, emitter({ trigger: 'entity_added', entityPath: ['orders', 'products'], enrich: { entities: [PRODUCTS_WITH_LINES] } }));
    expect(plan.chain!.map((c) => c.junction)).toEqual([undefined, { key: ['order_id', 'product_id'], columns: ['order_id', 'product_id', 'quantity', 'unit_price'] }]);
  });

  const desired = (entities: unknown[], graph: unknown = ORDER_LINES_GRAPH) =>
    Desired.parse({
      stack: 'shop',
      warehouse: { type: 'duckdb', path: ':memory:' },
      graph,
      audiences: [BUYERS],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:1/x' } }],
      emitters: [{ key: 'e', audience: 'buyers', destination: 'hook', trigger: 'audience_entered', enrich: { entities } }],
    });

  it('the static checks of synth and validate name the junction column, with a did-you-mean', () => {
    const found = checkDesired(desired([{ relationship: 'products', junctionColumns: ['quantity', 'unit_prise'] }, { relationship: 'orders', junctionColumns: ['x'] }]));
    expect(found.map((d) => [d.code, d.attribute, d.message, d.hint])).toEqual([
      [
        'JUNCTION_COLUMN_MISSING',
        'enrich.entities[0].junctionColumns[1]',
        'Junction column missing from Data Graph for relationship products and Column: unit_prise (junction table main.order_lines exposes order_id, product_id, quantity, unit_price)',
        'Did you mean "unit_price"?',
      ],
      ['JUNCTION_MISSING', 'enrich.entities[1].junctionColumns', expect.stringContaining('Junction columns x enrich relationship orders, which has no junction table'), undefined],
    ]);
    expect(checkDesired(desired([PRODUCTS_WITH_LINES]))).toEqual([]);
  });

  it('the catalog check finds a junction column the warehouse table lacks, when the graph lists none', async () => {
    const wh = await openState();
    try {
      await loadWorld(wh, orderLinesWorld());
      const graph = structuredClone(ORDER_LINES_GRAPH) as any;
      delete graph.relationships[1].join.columns;
      const found = await checkCatalog(desired([{ relationship: 'products', junctionColumns: ['quantity', 'qty'] }], graph), wh, { duplicateKeys: false });
      expect(found.map((d) => [d.code, d.attribute, d.message])).toEqual([
        ['WAREHOUSE_COLUMN_MISSING', 'enrich.entities[0].junctionColumns[1]', 'Column qty (enrichment junction main.order_lines column) does not exist in warehouse table main.order_lines'],
      ]);
    } finally {
      await wh.close();
    }
  });

  describe('applied, computed and delivered', () => {
    let wh: Warehouse;
    let server: TestServer;
    let events: any[];
    beforeAll(async () => {
      wh = await openState();
      await loadWorld(wh, orderLinesWorld());
      server = await startServer();
      await applyResources(
        wh,
        {
          graph: ORDER_LINES_GRAPH,
          audiences: [BUYERS],
          destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/h`, batch: true } }],
          emitters: [
            { key: 'product-added', audience: 'buyers', destination: 'hook', trigger: 'entity_added', entityPath: ['orders', 'products'], sendForCurrent: true, enrich: { traits: ['city'], entities: [PRODUCTS_WITH_LINES] } },
            { key: 'order-added', audience: 'buyers', destination: 'hook', trigger: 'entity_added', entityPath: ['orders'], sendForCurrent: true, enrich: { entities: [PRODUCTS_WITH_LINES] } },
            { key: 'buyer-entered', audience: 'buyers', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true, enrich: { entities: [{ relationship: 'products', columns: [], junctionColumns: ['quantity'] }] } },
          ],
        },
        new Date(Date.now() - 60_000),
      );
      const model = (await readAppliedModel(wh, SCHEMA))!;
      const compiled = compileAudience(model, 'buyers', { dialect: 'duckdb', stateSchema: SCHEMA, now: new Date() });
      expect(await runAudience(wh, { schema: SCHEMA, audienceKey: 'buyers', trigger: 'manual', compile: () => compiled })).toMatchObject({ members: 2 });
      const s = await deliverAll(wh, SCHEMA);
      events = server.requests.flatMap((r) => r.body as any[]);
      expect(s.sent).toBe(events.length);
    });
    afterAll(async () => {
      await server?.close();
      await wh?.close();
    });

    const productAdded = (userId: string, productId: number) =>
      events.find((e) => e.context.personas.event_emitter_id === 'product-added' && e.userId === userId && e.properties.products__product_id === productId);

    it("a trigger product carries every line that links it to the customer's orders, in the junction key's order, apart from its own columns", () => {
      expect(events.filter((e) => e.context.personas.event_emitter_id === 'product-added')).toHaveLength(3);
      const chai = productAdded('BONAP', 10);
      expect(chai.properties).toMatchObject({ city: 'Marseille', products__product_id: 10, products__name: 'Chai', products__unit_price: 18, products____entity: 'product' });
      // Chai is on both of BONAP's orders: one event (one entity), two links; the price paid is the line's.
      expect(chai.properties.products____junction).toEqual([
        { order_id: 3, product_id: 10, quantity: 2, unit_price: 18 },
        { order_id: 4, product_id: 10, quantity: 5, unit_price: 16.5 },
      ]);
      expect(productAdded('ALFKI', 10).properties.products____junction).toEqual([{ order_id: 1, product_id: 10, quantity: 12, unit_price: 14.4 }]);
      expect(productAdded('ALFKI', 20).properties.products____junction).toEqual([{ order_id: 1, product_id: 20, quantity: 1, unit_price: 23.25 }]);
      // The matched chain stays the entities' own columns.
      expect(chai.properties._entity_context.orders.products).toEqual({ product_id: 10, name: 'Chai', unit_price: 18, __entity: 'product' });
    });

    it('below a trigger order, each product item is one line and carries that link', () => {
      const added = events.filter((e) => e.context.personas.event_emitter_id === 'order-added');
      expect(added.map((e) => `${e.userId}:${e.properties.orders__order_id}`).sort()).toEqual(['ALFKI:1', 'BONAP:3', 'BONAP:4']);
      const order1 = added.find((e) => e.properties.orders__order_id === 1);
      const items = [...order1.properties.orders__products].sort((a: any, b: any) => a.product_id - b.product_id);
      expect(items).toEqual([
        { product_id: 10, name: 'Chai', unit_price: 18, __junction: { order_id: 1, product_id: 10, quantity: 12, unit_price: 14.4 }, __entity: 'product' },
        { product_id: 20, name: 'Tofu', unit_price: 23.25, __junction: { order_id: 1, product_id: 20, quantity: 1, unit_price: 23.25 }, __entity: 'product' },
      ]);
    });

    it('a test event carries the links too: from the warehouse for a member, example values for an unknown user', async () => {
      const model = await readActivationModel(wh, SCHEMA);
      const real = await testEvent(wh, SCHEMA, model, 'product-added', { userId: 'ALFKI', send: false });
      expect(real.source).toBe('warehouse');
      const id = real.event.properties!.products__product_id as number;
      expect(real.event.properties!.products____junction).toEqual([
        id === 10 ? { order_id: 1, product_id: 10, quantity: 12, unit_price: 14.4 } : { order_id: 1, product_id: 20, quantity: 1, unit_price: 23.25 },
      ]);
      const example = await testEvent(wh, SCHEMA, model, 'order-added', { userId: 'nobody', send: false });
      expect(example.source).toBe('example');
      expect(example.event.properties!.orders__products).toEqual([
        {
          product_id: 'example product_id',
          name: 'example name',
          unit_price: 'example unit_price',
          __junction: { order_id: 'example order_id', product_id: 'example product_id', quantity: 'example quantity', unit_price: 'example unit_price' },
          __entity: 'product',
        },
      ]);
    });

    it("the profile's products array has one item per line, with junction columns only", () => {
      const entered = events.filter((e) => e.context.personas.event_emitter_id === 'buyer-entered');
      expect(entered.map((e) => e.userId).sort()).toEqual(['ALFKI', 'BONAP']);
      const bonap = entered.find((e) => e.userId === 'BONAP');
      const items = [...bonap.properties.products].sort((a: any, b: any) => a.__junction.order_id - b.__junction.order_id);
      expect(items).toEqual([
        { product_id: 10, __junction: { order_id: 3, product_id: 10, quantity: 2 }, __entity: 'product' },
        { product_id: 10, __junction: { order_id: 4, product_id: 10, quantity: 5 }, __entity: 'product' },
      ]);
    });
  });
});
