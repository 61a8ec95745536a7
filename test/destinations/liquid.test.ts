import { Liquid } from 'liquidjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, insertOutbox, openState, SCHEMA, startServer, type TestServer } from '../activation/helpers.js';

/*
 * A Braze template written against the payload example of Segment's Linked Audiences docs (an
 * abandoned cart: `first_name`, `shopping_cart__id`, `shopping_cart__products[]`) must render the
 * same fields from this project's event: what Braze gets as `event_properties`.
 */

const TEMPLATE = [
  'Hi {{event_properties.first_name}},',
  'Cart {{event_properties.shopping_cart__id}} holds:',
  '{% for products in event_properties.shopping_cart__products %}- {{products.product_name}}: {{products.product_price}} USD',
  '{% endfor %}First: {{event_properties.shopping_cart__products[0].product_name}}',
].join('\n');

/** Segment's documented example payload, reduced to its properties. */
const SEGMENT_EXAMPLE = {
  first_name: 'Andrew',
  last_name: 'Shopper',
  shopping_cart__id: '123',
  shopping_cart__products: [
    { id: '324', product_name: 'Premium Tennis Shoes', product_price: '$140', __entity: 'product' },
    { id: '489', product_name: 'Premium Jacket', product_price: '$200', __entity: 'product' },
  ],
  __entity: 'cart',
};

const GRAPH = {
  profile: { table: 'main.shoppers', id: 'user_id', traits: ['email', 'first_name'], identifiers: ['user_id'] },
  entities: [
    { slug: 'cart', name: 'Cart', table: 'main.carts', primaryKey: 'id' },
    { slug: 'product', name: 'Product', table: 'main.cart_products', primaryKey: 'id' },
  ],
  relationships: [
    { slug: 'shopping_cart', name: 'Shopping cart', entity: 'cart', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'user_id', entityColumn: 'user_id' } },
    { slug: 'products', name: 'Products', entity: 'product', parent: 'shopping_cart', join: { type: 'entity', parentColumn: 'id', entityColumn: 'cart_id' } },
  ],
};

const AUDIENCE = {
  key: 'abandoned-carts',
  name: 'Abandoned carts',
  enabled: true,
  condition: { kind: 'entity', relationship: 'shopping_cart', count: { op: 'at_least', value: 1 }, where: { kind: 'entity', relationship: 'products', count: { op: 'at_least', value: 1 } } },
};

describe('a Liquid template ported from Segment\'s docs', () => {
  let wh: Warehouse;
  let server: TestServer;
  beforeEach(async () => {
    wh = await openState();
    server = await startServer();
    await wh.query(`CREATE TABLE main.shoppers (user_id VARCHAR, email VARCHAR, first_name VARCHAR)`);
    await wh.query(`CREATE TABLE main.carts (id VARCHAR, user_id VARCHAR)`);
    await wh.query(`CREATE TABLE main.cart_products (id VARCHAR, cart_id VARCHAR, product_name VARCHAR, product_price VARCHAR)`);
    await wh.query(`INSERT INTO main.shoppers VALUES ('u1', 'ana@example.com', 'Ana')`);
    await wh.query(`INSERT INTO main.carts VALUES ('cart-9', 'u1')`);
    await wh.query(`INSERT INTO main.cart_products VALUES ('p1', 'cart-9', 'Trail Shoes', '$120'), ('p2', 'cart-9', 'Rain Jacket', '$90')`);
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  it('renders the same fields from the Braze event of an entity-added emitter', async () => {
    await applyResources(
      wh,
      {
        graph: GRAPH,
        audiences: [AUDIENCE],
        destinations: [{ key: 'braze', type: 'braze', settings: { apiKey: { secret: 'BRAZE_KEY' }, appId: 'shop', endpoint: server.url } }],
        emitters: [
          {
            key: 'cart-added',
            audience: 'abandoned-carts',
            destination: 'braze',
            trigger: 'entity_added',
            entityPath: ['shopping_cart'],
            enrich: { traits: ['first_name'], entities: [{ relationship: 'products', columns: ['product_name', 'product_price'] }] },
          },
        ],
      },
      new Date(Date.now() - 60_000),
    );
    await insertOutbox(wh, [{ kind: 'entity_added', profileId: 'u1', entityPath: 'shopping_cart', entityId: 'cart-9', audienceKey: 'abandoned-carts' }]);
    const summary = await deliverAll(wh, SCHEMA, { env: { BRAZE_KEY: 'braze-key-1' } });
    expect(summary.sent).toBe(1);
    const properties = (server.requests[0].body as any).events[0].properties;

    // strictVariables: a field the template names that the event lacks is an error, not an empty string.
    const liquid = new Liquid({ strictVariables: true });
    const fromSegment = await liquid.parseAndRender(TEMPLATE, { event_properties: SEGMENT_EXAMPLE });
    expect(fromSegment).toBe('Hi Andrew,\nCart 123 holds:\n- Premium Tennis Shoes: $140 USD\n- Premium Jacket: $200 USD\nFirst: Premium Tennis Shoes');

    const ours = await liquid.parseAndRender(TEMPLATE, { event_properties: properties });
    const lines = ours.split('\n');
    expect(lines[0]).toBe('Hi Ana,');
    expect(lines[1]).toBe('Cart cart-9 holds:');
    expect(lines.slice(2, 4).sort()).toEqual(['- Rain Jacket: $90 USD', '- Trail Shoes: $120 USD']);
    expect(lines[4]).toBe(`First: ${properties.shopping_cart__products[0].product_name}`);
    // The same keys as Segment's items, each row tagged with its entity.
    for (const item of properties.shopping_cart__products) expect(Object.keys(item).sort()).toEqual(['__entity', 'id', 'product_name', 'product_price']);
  });
});
