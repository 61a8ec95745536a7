import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECOMMERCE_TABLES, generateEcommerceWarehouse } from '../../examples/ecommerce/data.js';
import { checkCatalog } from '../../src/graph/catalog.js';
import type { Desired } from '../../src/model/desired.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { linked } from '../plan/cli-project.js';
import { audienceMembers, columnsOf, fingerprint, synthExample } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'linked-ecommerce-'));
const NOW = new Date('2026-11-28T00:00:00Z');
const NOW_SQL = '2026-11-28 00:00:00';
const PROFILES = 2000;
let counts: Record<string, number>;
let desired: Desired;
let wh: DuckDbWarehouse;

beforeAll(async () => {
  ({ counts } = await generateEcommerceWarehouse(join(dir, 'first.duckdb'), { profiles: PROFILES, seed: 7, now: NOW }));
  desired = await synthExample('ecommerce', dir);
  wh = await openDuckDb(join(dir, 'first.duckdb'));
});
afterAll(async () => {
  await wh?.close();
  rmSync(dir, { recursive: true, force: true });
});

const one = async (sql: string, params: unknown[] = []): Promise<number> => Number(Object.values((await wh.query(sql, params)).rows[0])[0]);

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

describe('e-commerce example data generator', () => {
  it('writes the tables examples/ecommerce/main.ts declares, with their columns and types', async () => {
    expect(Object.keys(counts)).toEqual([...ECOMMERCE_TABLES]);
    for (const [table, columns] of Object.entries(SCHEMA)) {
      expect(await columnsOf(wh, table), table).toEqual(columns);
      expect(counts[table], table).toBe(await one(`SELECT count(*) FROM main.${table}`));
    }
    expect(counts.customers).toBe(PROFILES);
  });

  it('fits the example’s Data Graph: the catalog check finds no error', async () => {
    const diagnostics = await checkCatalog(desired, wh);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('every audience has members, and not every customer is one', async () => {
    const members = await audienceMembers(desired, wh, NOW);
    expect(Object.keys(members)).toEqual(['back-in-stock']);
    for (const [key, n] of Object.entries(members)) {
      expect(n, key).toBeGreaterThanOrEqual(1);
      expect(n, key).toBeLessThanOrEqual(PROFILES - 1);
    }
  });

  it('keeps stock and times consistent: restocks and wishlist additions in the past, each item on a real customer and product, once', async () => {
    expect(await one(`SELECT count(*) FROM main.products WHERE restocked_at > ?::TIMESTAMP OR stock_quantity < 0 OR price <= 0`, [NOW_SQL])).toBe(0);
    expect(await one(`SELECT count(*) FROM main.products WHERE stock_quantity = 0`)).toBeGreaterThan(0);
    expect(await one(`SELECT count(*) FROM main.wishlist_items WHERE added_at > ?::TIMESTAMP`, [NOW_SQL])).toBe(0);
    expect(await one(`SELECT count(*) FROM main.wishlist_items w WHERE NOT EXISTS (SELECT 1 FROM main.products p WHERE p.product_id = w.product_id)`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.wishlist_items w WHERE NOT EXISTS (SELECT 1 FROM main.customers c WHERE c.customer_id = w.customer_id)`)).toBe(0);
    expect(await one(`SELECT count(*) FROM (SELECT customer_id, product_id FROM main.wishlist_items GROUP BY ALL HAVING count(*) > 1)`)).toBe(0);
  });

  it('is reproducible for a seed and reference time, and differs for another seed', async () => {
    await generateEcommerceWarehouse(join(dir, 'again.duckdb'), { profiles: PROFILES, seed: 7, now: NOW });
    await generateEcommerceWarehouse(join(dir, 'other.duckdb'), { profiles: PROFILES, seed: 8, now: NOW });
    const again = await openDuckDb(join(dir, 'again.duckdb'));
    const other = await openDuckDb(join(dir, 'other.duckdb'));
    try {
      for (const table of ECOMMERCE_TABLES) {
        expect(await fingerprint(again, table), table).toBe(await fingerprint(wh, table));
        expect(await fingerprint(other, table), table).not.toBe(await fingerprint(wh, table));
      }
    } finally {
      await again.close();
      await other.close();
    }
  });

  it('CLI: linked example ecommerce --profiles N --out FILE --json', () => {
    const out = join(dir, 'cli.duckdb');
    const r = linked(['example', 'ecommerce', '--profiles', '500', '--out', out, '--seed', '3', '--now', '2026-11-28', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ out, seed: 3, now: '2026-11-28T00:00:00.000Z' });
    expect(Object.keys(result.counts)).toEqual([...ECOMMERCE_TABLES]);
    expect(result.counts.customers).toBe(500);
  });
});
