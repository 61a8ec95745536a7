/**
 * The e-commerce example: customers -> wishlist items -> products. "Back in stock": when a
 * wishlisted product is restocked, the customer gets an Entity Added event for it.
 *
 * Try it from the repository root: generate the warehouse the stack declares (ecommerce.duckdb,
 * next to this file; data.ts writes it), then synthesize, plan and apply, and compute:
 *
 *   linked example ecommerce --profiles 10000 --out examples/ecommerce/ecommerce.duckdb
 *   linked synth --dir examples/ecommerce && linked validate --dir examples/ecommerce
 *   linked plan --dir examples/ecommerce && linked apply --dir examples/ecommerce
 *   linked preview back-in-stock --dir examples/ecommerce && linked run --once --dir examples/ecommerce
 *
 * Restocks are placed relative to the reference time (--now, default today 00:00 UTC) and the
 * audience looks one day back: generate again on another day.
 */
import {
  App,
  Audience,
  AudienceTest,
  DataGraph,
  Destination,
  EventEmitter,
  LinkedAudiencesStack,
  Schedule,
  Trigger,
  Warehouse,
  all,
  col,
  days,
  secret,
  trait,
} from 'linked-audiences';

const app = new App();
const stack = new LinkedAudiencesStack(app, 'ecommerce', { warehouse: Warehouse.duckdb({ path: 'ecommerce.duckdb' }) });

const graph = new DataGraph(stack, 'graph', {
  profile: { table: 'main.customers', id: 'customer_id', traits: ['email', 'first_name', 'country'], identifiers: ['customer_id', 'email'] },
});
const wishlistItem = graph.entity('wishlist_item', {
  table: 'main.wishlist_items',
  primaryKey: 'wishlist_item_id',
  columns: ['customer_id', 'product_id', 'added_at'],
});
const product = graph.entity('product', {
  table: 'main.products',
  primaryKey: 'product_id',
  columns: ['name', 'category', 'price', 'stock_quantity', 'restocked_at'],
});
const wishlist = graph.profile.relate('wishlist', wishlistItem, { identifier: 'customer_id', column: 'customer_id' });
const products = wishlist.relate('products', product, { on: ['product_id', 'product_id'] });

/** Customers with a wishlisted product that came back in stock in the last day. */
const backInStock = new Audience(stack, 'back-in-stock', {
  name: 'Wishlisted product back in stock',
  enabled: true,
  schedule: Schedule.every('30m'),
  where: all(
    trait('email').exists(),
    wishlist.where(products.where(col('stock_quantity').gt(0), col('restocked_at').withinLast(days(1)))),
  ),
});

const iterable = Destination.iterable(stack, 'iterable', { apiKey: secret('ITERABLE_API_KEY') });

new EventEmitter(stack, 'back-in-stock-alert', {
  audience: backInStock,
  destination: iterable,
  trigger: Trigger.entityAdded(products),
  eventName: 'Back In Stock',
  enrich: { traits: ['email', 'first_name'], entities: [products.columns('name', 'price')] },
});

// ---- Audience tests: `linked test` (docs/testing.md) ---------------------------------------

const TEST_NOW = '2026-06-01T12:00:00Z';

new AudienceTest(stack, 'restocked-yesterday', {
  audience: backInStock,
  now: TEST_NOW,
  profiles: [
    { customer_id: 'c1', email: 'c1@shop.test' },
    { customer_id: 'c2', email: 'c2@shop.test' },
    { customer_id: 'c3', email: null },
    { customer_id: 'c4', email: 'c4@shop.test' },
  ],
  entities: {
    wishlist_item: [
      { wishlist_item_id: 'w1', customer_id: 'c1', product_id: 'p1' },
      { wishlist_item_id: 'w2', customer_id: 'c1', product_id: 'p2' },
      { wishlist_item_id: 'w3', customer_id: 'c2', product_id: 'p3' },
      { wishlist_item_id: 'w4', customer_id: 'c3', product_id: 'p1' },
      { wishlist_item_id: 'w5', customer_id: 'c4', product_id: 'p4' },
    ],
    product: [
      { product_id: 'p1', stock_quantity: 5, restocked_at: '2026-06-01T02:00:00Z' },
      // Restocked last week: old news.
      { product_id: 'p2', stock_quantity: 5, restocked_at: '2026-05-25T02:00:00Z' },
      { product_id: 'p3', stock_quantity: 3, restocked_at: '2026-05-20T02:00:00Z' },
      // Restocked today and sold out again.
      { product_id: 'p4', stock_quantity: 0, restocked_at: '2026-06-01T02:00:00Z' },
    ],
  },
  expect: { members: ['c1'], entityMatches: [{ relationship: products, matches: { c1: ['p1'] } }] },
});

new AudienceTest(stack, 'no-email-no-alert', {
  audience: backInStock,
  now: TEST_NOW,
  profiles: [{ customer_id: 'c1', email: null }],
  entities: {
    wishlist_item: [{ wishlist_item_id: 'w1', customer_id: 'c1', product_id: 'p1' }],
    product: [{ product_id: 'p1', stock_quantity: 5, restocked_at: '2026-06-01T02:00:00Z' }],
  },
  expect: { excludes: ['c1'] },
});

app.synth();
