import { it, expect } from 'vitest';
import { ECOMMERCE_DATA } from '../../examples/ecommerce/data.js';
import { describeExampleData } from './helpers.js';

const NOW_SQL = '2026-11-28 00:00:00';

/** The columns examples/ecommerce/main.ts declares (ids, traits, entity columns), with their types. */
const SCHEMA: Record<string, [string, string][]> = {
  customers: [
    ['customer_id', 'VARCHAR'],
    ['email', 'VARCHAR'],
    ['first_name', 'VARCHAR'],
    ['country', 'VARCHAR'],
  ],
  products: [
    ['product_id', 'VARCHAR'],
    ['name', 'VARCHAR'],
    ['category', 'VARCHAR'],
    ['price', 'DOUBLE'],
    ['stock_quantity', 'INTEGER'],
    ['restocked_at', 'TIMESTAMP'],
  ],
  wishlist_items: [
    ['wishlist_item_id', 'VARCHAR'],
    ['customer_id', 'VARCHAR'],
    ['product_id', 'VARCHAR'],
    ['added_at', 'TIMESTAMP'],
  ],
};

describeExampleData({ dataset: ECOMMERCE_DATA, profileTable: 'customers', schema: SCHEMA, audiences: ['back-in-stock'], model: { audiences: 1, destinations: 1, emitters: 1, classicAudiences: 0 } }, (ex) => {
  it('keeps stock and times consistent: restocks and wishlist additions in the past, each item on a real customer and product, once', async () => {
    expect(await ex.one(`SELECT count(*) FROM main.products WHERE restocked_at > ?::TIMESTAMP OR stock_quantity < 0 OR price <= 0`, [NOW_SQL])).toBe(0);
    expect(await ex.one(`SELECT count(*) FROM main.products WHERE stock_quantity = 0`)).toBeGreaterThan(0);
    expect(await ex.one(`SELECT count(*) FROM main.wishlist_items WHERE added_at > ?::TIMESTAMP`, [NOW_SQL])).toBe(0);
    expect(await ex.one(`SELECT count(*) FROM main.wishlist_items w WHERE NOT EXISTS (SELECT 1 FROM main.products p WHERE p.product_id = w.product_id)`)).toBe(0);
    expect(await ex.one(`SELECT count(*) FROM main.wishlist_items w WHERE NOT EXISTS (SELECT 1 FROM main.customers c WHERE c.customer_id = w.customer_id)`)).toBe(0);
    expect(await ex.one(`SELECT count(*) FROM (SELECT customer_id, product_id FROM main.wishlist_items GROUP BY ALL HAVING count(*) > 1)`)).toBe(0);
  });
});
