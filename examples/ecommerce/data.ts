import { seconds, type ExampleDataset } from '../shared/generate.js';

/*
 * The e-commerce example's warehouse (the tables and columns examples/ecommerce/main.ts declares):
 * customers -> wishlist items -> products.
 *
 * Times are relative to the reference time `now`: about 7% of the products were restocked in the
 * 24 hours before it (a few of them already sold out again), so "back-in-stock" (a wishlisted
 * product in stock and restocked within a day) holds roughly a tenth of the customers. The others
 * are in stock since an older restock or their first delivery, or sold out.
 */

export const ECOMMERCE_TABLES = ['customers', 'products', 'wishlist_items'] as const;
export type EcommerceTable = (typeof ECOMMERCE_TABLES)[number];

const MAX_PROFILES = 50_000_000;
/** Customers per product in the catalogue. */
const CUSTOMERS_PER_PRODUCT = 5;
const MIN_PRODUCTS = 50;

const customerId = (i: string) => `'c_' || lpad(CAST(${i} AS VARCHAR), 8, '0')`;
const productId = (j: string) => `'p_' || lpad(CAST(${j} AS VARCHAR), 8, '0')`;

/** Draws are taken once per row in an inner query and reused above it (see examples/bank/data.ts). */
const statements: Record<EcommerceTable, string[]> = {
  customers: [
    `CREATE OR REPLACE TABLE main.customers AS
     WITH d AS (
       SELECT i, rnd(i, 1) AS r_email_null, rnd(i, 2) AS r_domain, rnd(i, 3) AS r_first, rnd(i, 4) AS r_country
       FROM range(1, $profiles + 1) t(i))
     SELECT
       ${customerId('i')} AS customer_id,
       -- Guest checkouts leave no email: the audience requires one.
       CASE WHEN r_email_null < 0.06 THEN NULL ELSE 'shopper' || i || '@' || (['example.com','mail.test','shop.test'])[1 + CAST(floor(r_domain * 3) AS INTEGER)] END AS email,
       (['Ada','Ben','Chloe','David','Emma','Farid','Grace','Hugo','Ines','Jonas','Kai','Lena','Mateo','Nora','Omar','Priya','Quinn','Rosa','Sven','Tara'])[1 + CAST(floor(r_first * 20) AS INTEGER)] AS first_name,
       CASE WHEN r_country < 0.40 THEN 'US' WHEN r_country < 0.55 THEN 'GB' WHEN r_country < 0.70 THEN 'DE' WHEN r_country < 0.80 THEN 'FR'
            WHEN r_country < 0.90 THEN 'CA' ELSE 'AU' END AS country
     FROM d`,
  ],
  products: [
    // Stock states: 7% restocked in the last 24 hours (1 in 10 of them sold out again), 13% sold
    // out, 70% in stock since a restock 1-180 days ago, 10% in stock and never restocked (NULL).
    // Recent restocks lean towards the reference time (24 h x u^2): the data is as of 00:00 by
    // default, and the audience's one-day window, computed later that day, still finds some.
    `CREATE OR REPLACE TABLE main.products AS
     WITH d AS (
       SELECT j, rnd(j, 11) AS r_category, rnd(j, 12) AS r_adjective, gauss(j, 13) AS g_price, rnd(j, 14) AS r_state,
         rnd(j, 15) AS r_quantity, rnd(j, 16) AS r_restocked, rnd(j, 17) AS r_sold_out
       FROM range(1, $products + 1) t(j)),
     c AS (
       SELECT *, (['apparel','shoes','electronics','home','beauty','sports','toys','books'])[1 + CAST(floor(r_category * 8) AS INTEGER)] AS category,
         CASE WHEN r_state < 0.07 THEN 'restocked' WHEN r_state < 0.20 THEN 'sold_out' WHEN r_state < 0.90 THEN 'in_stock' ELSE 'original' END AS state
       FROM d)
     SELECT
       ${productId('j')} AS product_id,
       (['Classic','Everyday','Premium','Compact','Eco','Deluxe','Urban','Studio'])[1 + CAST(floor(r_adjective * 8) AS INTEGER)] || ' ' ||
         CASE category WHEN 'apparel' THEN 'Jacket' WHEN 'shoes' THEN 'Sneakers' WHEN 'electronics' THEN 'Headphones' WHEN 'home' THEN 'Lamp'
                       WHEN 'beauty' THEN 'Serum' WHEN 'sports' THEN 'Yoga Mat' WHEN 'toys' THEN 'Building Set' ELSE 'Notebook' END || ' ' || j AS name,
       category,
       round(exp(ln(CASE category WHEN 'electronics' THEN 120 WHEN 'shoes' THEN 90 WHEN 'apparel' THEN 60 WHEN 'home' THEN 45
                                  WHEN 'sports' THEN 40 WHEN 'toys' THEN 30 WHEN 'beauty' THEN 25 ELSE 15 END) + 0.5 * g_price), 2) AS price,
       CAST(CASE WHEN state = 'sold_out' OR (state = 'restocked' AND r_sold_out < 0.10) THEN 0
                 ELSE 1 + floor(pow(r_quantity, 2) * 300) END AS INTEGER) AS stock_quantity,
       CASE state WHEN 'restocked' THEN $now - ${seconds('r_restocked * r_restocked * 86400')}
                  WHEN 'original' THEN NULL
                  ELSE $now - ${seconds('(1 + r_restocked * 179) * 86400')} END AS restocked_at
     FROM c`,
  ],
  wishlist_items: [
    // 0-8 items per customer (35% none, mean ~1.9), popular products more often; a product is on a
    // customer's wishlist once.
    `CREATE OR REPLACE TABLE main.wishlist_items AS
     WITH t AS (SELECT i, rnd(i, 21) AS r_n FROM range(1, $profiles + 1) r(i)),
     n AS (SELECT i, CASE WHEN r_n < 0.35 THEN 0 WHEN r_n < 0.55 THEN 1 WHEN r_n < 0.70 THEN 2 WHEN r_n < 0.80 THEN 3 WHEN r_n < 0.87 THEN 4
                          WHEN r_n < 0.92 THEN 5 WHEN r_n < 0.96 THEN 6 WHEN r_n < 0.98 THEN 7 ELSE 8 END AS n FROM t),
     w AS (
       SELECT i, k, 1 + CAST(floor(pow(rnd(i * 10 + k, 22), 1.5) * $products) AS BIGINT) AS j, rnd(i * 10 + k, 23) AS r_added
       FROM n, range(8) r(k) WHERE k < n.n
       QUALIFY row_number() OVER (PARTITION BY i, j ORDER BY k) = 1)
     SELECT
       'w_' || lpad(CAST(i AS VARCHAR), 8, '0') || '_' || k AS wishlist_item_id,
       ${customerId('i')} AS customer_id,
       ${productId('j')} AS product_id,
       $now - ${seconds('r_added * 365 * 86400')} AS added_at
     FROM w`,
  ],
};

export const ECOMMERCE_DATA: ExampleDataset<EcommerceTable> = {
  name: 'ecommerce',
  description: 'write a seeded, realistically distributed DuckDB warehouse for the e-commerce example',
  profilesHelp: 'number of customers (about 2 wishlist items each)',
  tables: ECOMMERCE_TABLES,
  statements,
  sizes: (profiles) => ({ products: Math.max(MIN_PRODUCTS, Math.ceil(profiles / CUSTOMERS_PER_PRODUCT)) }),
  maxProfiles: MAX_PROFILES,
};
