import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNorthwind, northwindTables } from '../../examples/northwind/data.js';
import { checkCatalog } from '../../src/graph/catalog.js';
import type { Desired } from '../../src/model/desired.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { linked } from '../plan/cli-project.js';
import { audienceMembers, columnsOf, ROOT, synthExample } from './helpers.js';

const NORTHWIND_CSV_DIR = join(ROOT, 'examples', 'northwind', 'data');

/*
 * A public database the product was not designed around, loaded as it ships: integer keys, a
 * composite key on the order lines, dates without a time. Each audience is counted by the compiled
 * query and, independently, by SQL written here over the raw CSVs.
 */

const csv = (table: string) => `read_csv('${join(NORTHWIND_CSV_DIR, `${table}.csv`)}', header = true)`;

/** Hand-written answers, straight from the CSV files (no Data Graph, no compiler). */
const ORACLE: Record<string, string> = {
  'regulars-1997': `SELECT count(*) FROM (SELECT customer_id FROM ${csv('orders')} WHERE order_date BETWEEN DATE '1997-01-01' AND DATE '1997-12-31' GROUP BY customer_id HAVING count(*) >= 5)`,
  'beverage-buyers': `SELECT count(DISTINCT o.customer_id) FROM ${csv('orders')} o JOIN ${csv('order_details')} d USING (order_id) JOIN ${csv('products')} p USING (product_id) JOIN ${csv('categories')} c USING (category_id) WHERE c.category_name = 'Beverages'`,
  'buy-local-germany': `SELECT count(DISTINCT o.customer_id) FROM ${csv('customers')} cu JOIN ${csv('orders')} o USING (customer_id) JOIN ${csv('order_details')} d USING (order_id) JOIN ${csv('products')} p USING (product_id) JOIN ${csv('suppliers')} s USING (supplier_id) WHERE cu.country = 'Germany' AND s.country = 'Germany'`,
  'late-federal-shipments': `SELECT count(DISTINCT o.customer_id) FROM ${csv('orders')} o JOIN ${csv('shippers')} s ON s.shipper_id = o.ship_via WHERE o.shipped_date > o.required_date AND s.company_name = 'Federal Shipping'`,
  'never-ordered': `SELECT count(*) FROM ${csv('customers')} c WHERE NOT EXISTS (SELECT 1 FROM ${csv('orders')} o WHERE o.customer_id = c.customer_id)`,
};

describe('the Northwind example, as its CSVs ship', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linked-northwind-'));
  const dbPath = join(dir, 'northwind.duckdb');
  let desired: Desired;
  let wh: DuckDbWarehouse;
  const one = async (sql: string) => Number(Object.values((await wh.query(sql)).rows[0]!)[0]);

  beforeAll(async () => {
    await loadNorthwind(dbPath, NORTHWIND_CSV_DIR);
    // A project directory of its own: the app's cdktf.json, then its synthesized output.
    copyFileSync(join(ROOT, 'examples', 'northwind', 'cdktf.json'), join(dir, 'cdktf.json'));
    desired = await synthExample('northwind', dir);
    wh = await openDuckDb(dbPath);
  });
  afterAll(async () => {
    await wh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads every CSV as a table, keys as DuckDB reads them: integers stay integers', async () => {
    expect(northwindTables(NORTHWIND_CSV_DIR)).toContain('order_details');
    for (const table of northwindTables(NORTHWIND_CSV_DIR)) expect(await one(`SELECT count(*) FROM main.${table}`), table).toBe(await one(`SELECT count(*) FROM ${csv(table)}`));
    const types = Object.fromEntries((await columnsOf(wh, 'order_details'))!);
    expect(types).toMatchObject({ order_id: 'BIGINT', product_id: 'BIGINT' });
    expect(Object.fromEntries((await columnsOf(wh, 'orders'))!)).toMatchObject({ order_id: 'BIGINT', customer_id: 'VARCHAR', ship_via: 'BIGINT', order_date: 'DATE' });
  });

  it('the catalog check passes with the duplicate-key scan, the order lines keyed by (order_id, product_id)', async () => {
    const diagnostics = await checkCatalog(desired, wh, {});
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(diagnostics.map((d) => d.code)).not.toContain('JOIN_KEY_CAST');
  });

  it('each audience counts what SQL written by hand over the CSVs counts', async () => {
    const members = await audienceMembers(desired, wh, new Date('2026-12-01T00:00:00Z'));
    expect(Object.keys(members).sort()).toEqual(Object.keys(ORACLE).sort());
    for (const [key, sql] of Object.entries(ORACLE)) {
      const expected = await one(sql);
      expect(expected, key).toBeGreaterThan(0);
      expect(members[key], key).toBe(expected);
    }
  });

  it('a repeated order line is reported as a duplicate of the composite key', async () => {
    const copy = join(dir, 'duplicated.duckdb');
    copyFileSync(dbPath, copy);
    const dup = await openDuckDb(copy);
    try {
      await dup.query(`INSERT INTO main.order_details SELECT * FROM main.order_details LIMIT 1`);
      const diagnostics = await checkCatalog(desired, dup, {});
      const found = diagnostics.filter((d) => d.code === 'DUPLICATE_PRIMARY_KEY');
      expect(found).toHaveLength(1);
      expect(found[0]!.message).toContain('(order_id, product_id)');
    } finally {
      await dup.close();
    }
  });

  it('applies and runs through the CLI: the change log holds one row per member entered and per beverage bought', async () => {
    await wh.close();
    const apply = await linked(['apply', '--dir', dir, '--auto-approve', '--no-synth']);
    expect(apply.stderr + apply.stdout).toMatch(/Apply complete: 9 added/);
    const run = await linked(['run', '--once', '--dir', dir]);
    expect(run.status, run.stderr).toBe(0);
    wh = await openDuckDb(dbPath);
    const regulars = await one(ORACLE['regulars-1997']!);
    const pairs = await one(
      `SELECT count(*) FROM (SELECT DISTINCT o.customer_id, d.product_id FROM ${csv('orders')} o JOIN ${csv('order_details')} d USING (order_id) JOIN ${csv('products')} p USING (product_id) JOIN ${csv('categories')} c USING (category_id) WHERE c.category_name = 'Beverages')`,
    );
    const { rows } = await wh.query<{ event: string; n: number | bigint }>(`SELECT event, count(*) AS n FROM main.audience_changes GROUP BY event ORDER BY event`);
    expect(Object.fromEntries(rows.map((r) => [r.event, Number(r.n)]))).toEqual({ 'Audience Entered': regulars, 'Entity Added': pairs });
    // Each Entity Added carries the order lines linking its product to the customer's orders, as the CSV has them.
    const lines = await wh.query<{ customer_id: string; product_id: number | bigint; order_id: number | bigint; quantity: number | bigint; unit_price: number; discount: number }>(
      `SELECT o.customer_id, d.product_id, d.order_id, d.quantity, d.unit_price, d.discount FROM ${csv('orders')} o JOIN ${csv('order_details')} d USING (order_id) ORDER BY d.order_id, d.product_id`,
    );
    const expected = new Map<string, unknown[]>();
    for (const l of lines.rows) {
      const key = `${l.customer_id}:${l.product_id}`;
      expected.set(key, [...(expected.get(key) ?? []), { order_id: Number(l.order_id), product_id: Number(l.product_id), quantity: Number(l.quantity), unit_price: l.unit_price, discount: l.discount }]);
    }
    const added = await wh.query<{ user_id: string; properties: string }>(`SELECT user_id, CAST(properties AS VARCHAR) AS properties FROM main.audience_changes WHERE event = 'Entity Added'`);
    // The example docs/destinations.md shows.
    expect(expected.get('RICSU:2')).toEqual([
      { order_id: 10255, product_id: 2, quantity: 20, unit_price: 15.2, discount: 0 },
      { order_id: 11075, product_id: 2, quantity: 10, unit_price: 19, discount: 0.15 },
    ]);
    expect(added.rows.some((r) => r.user_id === 'RICSU' && JSON.parse(r.properties).products__product_id === 2)).toBe(true);
    let several = 0;
    for (const r of added.rows) {
      const p = JSON.parse(r.properties) as { products__product_id: number; products____junction: unknown[] };
      expect(p.products____junction, `${r.user_id}:${p.products__product_id}`).toEqual(expected.get(`${r.user_id}:${p.products__product_id}`));
      if (p.products____junction.length > 1) several++;
    }
    expect(several).toBeGreaterThan(0);
  }, 120_000);
});
