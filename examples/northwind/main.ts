/**
 * The Northwind example: a public sample database the product was not designed around, loaded as
 * its CSVs ship (integer keys, a composite key on order lines, dates without a time), with
 * customers as profiles and orders -> order lines -> products -> categories / suppliers.
 *
 * Try it from the repository root:
 *
 *   linked example northwind --out examples/northwind/northwind.duckdb
 *   linked plan --dir examples/northwind && linked apply --dir examples/northwind --auto-approve
 *   linked preview beverage-buyers --dir examples/northwind
 *   linked run --once --dir examples/northwind
 *
 * The emitters write to a change-log table in the same warehouse (`main.audience_changes`), so
 * the whole life cycle runs without a network.
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
  trait,
} from 'linked-audiences';

const app = new App();
const stack = new LinkedAudiencesStack(app, 'northwind', { warehouse: Warehouse.duckdb({ path: 'northwind.duckdb' }) });

// ---- Data Graph: the tables as they ship ----------------------------------------------------

const graph = new DataGraph(stack, 'graph', {
  profile: {
    table: 'main.customers',
    id: 'customer_id',
    traits: ['company_name', 'contact_name', 'city', 'country'],
    identifiers: ['customer_id'],
  },
});
const order = graph.entity('order', {
  table: 'main.orders',
  primaryKey: 'order_id',
  columns: ['customer_id', 'employee_id', 'order_date', 'required_date', 'shipped_date', 'ship_via', 'freight', 'ship_country'],
});
const product = graph.entity('product', {
  table: 'main.products',
  primaryKey: 'product_id',
  columns: ['product_name', 'supplier_id', 'category_id', 'unit_price', 'units_in_stock', 'discontinued'],
});
const category = graph.entity('category', { table: 'main.categories', primaryKey: 'category_id', columns: ['category_name'] });
const supplier = graph.entity('supplier', { table: 'main.suppliers', primaryKey: 'supplier_id', columns: ['company_name', 'country'] });
const shipper = graph.entity('shipper', { table: 'main.shippers', primaryKey: 'shipper_id', columns: ['company_name'] });

const orders = graph.profile.relate('orders', order, { identifier: 'customer_id', column: 'customer_id' });
// Order lines are the junction of orders and products, keyed by both.
const products = orders.relateThrough('products', product, {
  junction: { table: 'main.order_details', primaryKey: ['order_id', 'product_id'] },
  parent: ['order_id', 'order_id'],
  entity: ['product_id', 'product_id'],
});
const categories = products.relate('category', category, { on: ['category_id', 'category_id'] });
const suppliers = products.relate('supplier', supplier, { on: ['supplier_id', 'supplier_id'] });
const shippers = orders.relate('shipper', shipper, { on: ['ship_via', 'shipper_id'] });

// ---- Audiences ------------------------------------------------------------------------------

/** Regulars of 1997: five orders or more placed that year (the upper bound covers 31 December). */
const regulars1997 = new Audience(stack, 'regulars-1997', {
  name: 'Regulars of 1997',
  enabled: true,
  schedule: Schedule.cron('0 6 * * *'),
  where: orders.where(col('order_date').gte('1997-01-01'), col('order_date').lte('1997-12-31')).atLeast(5),
});

/** Customers who ordered a beverage: orders -> order lines -> products -> their category. */
const beverageBuyers = new Audience(stack, 'beverage-buyers', {
  name: 'Beverage buyers',
  enabled: true,
  schedule: Schedule.cron('0 6 * * *'),
  where: orders.where(products.where(categories.where(col('category_name').equals('Beverages')))),
});

/** German customers who bought from a German supplier. */
new Audience(stack, 'buy-local-germany', {
  name: 'Buying local in Germany',
  enabled: true,
  schedule: Schedule.cron('0 6 * * *'),
  where: all(trait('country').equals('Germany'), orders.where(products.where(suppliers.where(col('country').equals('Germany'))))),
});

/** Customers with an order shipped after its required date by Federal Shipping. */
new Audience(stack, 'late-federal-shipments', {
  name: 'Late Federal Shipping deliveries',
  enabled: true,
  schedule: Schedule.cron('0 6 * * *'),
  where: orders.where(col('shipped_date').gt(col('required_date')), shippers.where(col('company_name').equals('Federal Shipping'))),
});

/** Customers who never ordered. */
new Audience(stack, 'never-ordered', {
  name: 'Never ordered',
  enabled: true,
  schedule: Schedule.cron('0 6 * * *'),
  where: orders.none(),
});

// ---- Destination and emitters: a change log in the warehouse ---------------------------------

const changes = Destination.warehouse(stack, 'changes', { name: 'Change log', table: 'main.audience_changes' });

new EventEmitter(stack, 'regular-entered', {
  audience: regulars1997,
  destination: changes,
  trigger: Trigger.audienceEntered(),
  sendForCurrent: true,
  enrich: { traits: ['company_name', 'country'] },
});

new EventEmitter(stack, 'beverage-added', {
  audience: beverageBuyers,
  destination: changes,
  trigger: Trigger.entityAdded(products),
  sendForCurrent: true,
  // Each event is one product; the order lines that link it to the customer's orders (how many,
  // at what price and discount) go with it in `products____junction`.
  enrich: {
    traits: ['company_name'],
    entities: [products.columns('product_name', 'unit_price'), products.junctionColumns('quantity', 'unit_price', 'discount')],
  },
});

// ---- Tests: `linked test --dir examples/northwind` ----------------------------------------------

new AudienceTest(stack, 'regulars-need-five-orders-in-1997', {
  audience: regulars1997,
  profiles: [{ customer_id: 'A' }, { customer_id: 'B' }],
  entities: {
    // A's fifth order is on 31 December: the date-only upper bound covers the whole day.
    order: [
      ...[1, 2, 3, 4].map((i) => ({ order_id: i, customer_id: 'A', order_date: `1997-0${i}-15` })),
      { order_id: 5, customer_id: 'A', order_date: '1997-12-31' },
      ...[6, 7, 8, 9].map((i) => ({ order_id: i, customer_id: 'B', order_date: '1997-06-01' })),
      { order_id: 10, customer_id: 'B', order_date: '1998-01-01' },
    ],
  },
  expect: { members: ['A'] },
});

app.synth();
