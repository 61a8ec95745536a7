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

app.synth();
