import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANK_TABLES, generateBankWarehouse } from '../../examples/bank/data.js';
import { checkCatalog } from '../../src/graph/catalog.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { bank } from '../fixtures/bank.js';
import { columnsOf, fingerprint } from './helpers.js';
import { linkedInProcess } from '../support/linked-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'linked-bank-'));
const NOW = new Date('2026-11-28T00:00:00Z');
const PROFILES = 2000;
const first = join(dir, 'first.duckdb');
let counts: Record<string, number>;
let wh: DuckDbWarehouse;

beforeAll(async () => {
  ({ counts } = await generateBankWarehouse(first, { profiles: PROFILES, seed: 7, now: NOW }));
  wh = await openDuckDb(first);
});
afterAll(async () => {
  await wh?.close();
  rmSync(dir, { recursive: true, force: true });
});

const one = async <T = number>(sql: string, params: unknown[] = []): Promise<T> => Object.values((await wh.query(sql, params)).rows[0])[0] as T;

/** examples/bank/README.md, column by column: names and types exactly. */
const SCHEMA: Record<string, [string, string][]> = {
  profiles: [
    ['user_id', 'VARCHAR'],
    ['email', 'VARCHAR'],
    ['first_name', 'VARCHAR'],
    ['plan', 'VARCHAR'],
    ['country', 'VARCHAR'],
    ['credit_score', 'INTEGER'],
    ['created_at', 'TIMESTAMP'],
    ['is_employee', 'BOOLEAN'],
  ],
  accounts: [
    ['account_id', 'VARCHAR'],
    ['user_id', 'VARCHAR'],
    ['type', 'VARCHAR'],
    ['status', 'VARCHAR'],
    ['balance', 'DOUBLE'],
    ['opened_at', 'DATE'],
  ],
  credit_cards: [
    ['card_id', 'VARCHAR'],
    ['account_id', 'VARCHAR'],
    ['tier', 'VARCHAR'],
    ['credit_limit', 'DOUBLE'],
    ['balance', 'DOUBLE'],
    ['due_date', 'DATE'],
    ['status', 'VARCHAR'],
  ],
  transactions: [
    ['transaction_id', 'VARCHAR'],
    ['card_id', 'VARCHAR'],
    ['amount', 'DOUBLE'],
    ['merchant', 'VARCHAR'],
    ['category', 'VARCHAR'],
    ['ts', 'TIMESTAMP'],
    ['is_international', 'BOOLEAN'],
  ],
  offers: [
    ['offer_id', 'VARCHAR'],
    ['name', 'VARCHAR'],
    ['category', 'VARCHAR'],
    ['expires_at', 'DATE'],
  ],
  card_offers: [
    ['card_offer_id', 'VARCHAR'],
    ['card_id', 'VARCHAR'],
    ['offer_id', 'VARCHAR'],
    ['activated_at', 'TIMESTAMP'],
  ],
  events: [
    ['event_id', 'VARCHAR'],
    ['user_id', 'VARCHAR'],
    ['event', 'VARCHAR'],
    ['ts', 'TIMESTAMP'],
    ['properties', 'JSON'],
  ],
  vip_list: [['user_id', 'VARCHAR']],
};

describe('bank example data generator', () => {
  it('writes every table of examples/bank/README.md with its exact columns and types', async () => {
    expect(Object.keys(counts)).toEqual([...BANK_TABLES]);
    for (const [table, columns] of Object.entries(SCHEMA)) {
      expect(await columnsOf(wh, table), table).toEqual(columns);
      expect(counts[table]).toBe(await one(`SELECT count(*) FROM main.${table}`));
    }
  });

  it('fits the example’s Data Graph: the catalog check finds nothing (keys unique, join keys strings)', async () => {
    expect(await checkCatalog(bank, wh)).toEqual([]);
  });

  it('profiles: value domains, about 2% NULLs, credit scores in range', async () => {
    expect(counts.profiles).toBe(PROFILES);
    expect(await one(`SELECT count(*) FROM main.profiles WHERE plan NOT IN ('basic','premium','private')`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.profiles WHERE country NOT IN ('US','GB','DE','FR','CA','ES','IT','NL','AU')`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.profiles WHERE credit_score NOT BETWEEN 300 AND 850`)).toBe(0);
    for (const col of ['email', 'plan', 'credit_score']) {
      const share = await one(`SELECT avg(CASE WHEN ${col} IS NULL THEN 1 ELSE 0 END) FROM main.profiles`);
      expect(share, col).toBeGreaterThan(0.005);
      expect(share, col).toBeLessThan(0.05);
    }
    expect(await one(`SELECT count(*) FROM main.profiles WHERE created_at > ?::TIMESTAMP`, ['2026-11-28 00:00:00'])).toBe(0);
  });

  it('accounts: 0-4 per profile with a mean near 2; cards only on credit accounts, 1-3 each', async () => {
    expect(await one(`SELECT max(n) FROM (SELECT count(*) AS n FROM main.accounts GROUP BY user_id)`)).toBeLessThanOrEqual(4);
    const mean = counts.accounts / PROFILES;
    expect(mean).toBeGreaterThan(1.8);
    expect(mean).toBeLessThan(2.3);
    expect(await one(`SELECT count(*) FROM main.profiles p WHERE NOT EXISTS (SELECT 1 FROM main.accounts a WHERE a.user_id = p.user_id)`)).toBeGreaterThan(0);
    expect(await one(`SELECT count(*) FROM main.accounts WHERE type NOT IN ('checking','savings','credit') OR status NOT IN ('open','closed','frozen')`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.credit_cards c JOIN main.accounts a USING (account_id) WHERE a.type <> 'credit'`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.credit_cards c WHERE NOT EXISTS (SELECT 1 FROM main.accounts a WHERE a.account_id = c.account_id)`)).toBe(0);
    const perAccount = (await wh.query<{ n: number; k: number }>(`SELECT n, count(*) AS k FROM (SELECT count(*) AS n FROM main.credit_cards GROUP BY account_id) GROUP BY n ORDER BY n`)).rows;
    expect(perAccount.map((r) => r.n)).toEqual([1, 2, 3]);
    expect(await one(`SELECT count(*) FROM main.credit_cards WHERE tier NOT IN ('classic','gold','platinum') OR status NOT IN ('active','blocked','closed')`)).toBe(0);
  });

  it('transactions: about 20 per profile, skewed across cards, categories of examples/bank/README.md, all in the past', async () => {
    expect(counts.transactions / PROFILES).toBeGreaterThan(18);
    expect(counts.transactions / PROFILES).toBeLessThan(22);
    const { rows } = await wh.query<{ mx: number; md: number }>(`SELECT max(n) AS mx, median(n) AS md FROM (SELECT count(*) AS n FROM main.transactions GROUP BY card_id)`);
    expect(rows[0].mx).toBeGreaterThan(3 * rows[0].md);
    expect(await one(`SELECT count(DISTINCT category) FROM main.transactions`)).toBe(6);
    expect(await one(`SELECT count(*) FROM main.transactions WHERE category NOT IN ('travel','groceries','dining','fuel','electronics','other')`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.transactions t WHERE NOT EXISTS (SELECT 1 FROM main.credit_cards c WHERE c.card_id = t.card_id)`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.transactions WHERE ts > ?::TIMESTAMP OR amount <= 0`, ['2026-11-28 00:00:00'])).toBe(0);
  });

  it('offers and the card_offers junction', async () => {
    expect(counts.offers).toBe(300);
    expect(await one(`SELECT count(*) FROM main.card_offers co WHERE NOT EXISTS (SELECT 1 FROM main.offers o WHERE o.offer_id = co.offer_id)`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.card_offers co WHERE NOT EXISTS (SELECT 1 FROM main.credit_cards c WHERE c.card_id = co.card_id)`)).toBe(0);
    expect(await one(`SELECT max(n) FROM (SELECT count(*) AS n FROM main.card_offers GROUP BY card_id)`)).toBeGreaterThan(1);
  });

  it('events: the four names, payment and login properties as examples/bank/README.md says, the last 180 days', async () => {
    const names = (await wh.query<{ event: string }>(`SELECT DISTINCT event FROM main.events ORDER BY event`)).rows.map((r) => r.event);
    expect(names).toEqual(['Card Activated', 'Login', 'Payment Made', 'Statement Viewed']);
    expect(
      await one(`SELECT count(*) FROM main.events WHERE event = 'Payment Made' AND NOT (
        json_type(properties, '$.amount') IN ('DOUBLE', 'UBIGINT', 'BIGINT') AND (properties->>'$.method') IN ('ach','card','check') AND (properties->>'$.card_id') LIKE 'c\\_%' ESCAPE '\\')`),
    ).toBe(0);
    expect(await one(`SELECT count(*) FROM main.events WHERE event = 'Payment Made'`)).toBeGreaterThan(PROFILES / 2);
    expect(await one(`SELECT count(*) FROM main.events WHERE event = 'Login' AND (properties->>'$.device') NOT IN ('ios','android','web')`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.events WHERE ts > ?::TIMESTAMP OR ts < ?::TIMESTAMP - INTERVAL 180 DAY`, ['2026-11-28 00:00:00', '2026-11-28 00:00:00'])).toBe(0);
    expect(await one(`SELECT count(*) FROM main.events e WHERE NOT EXISTS (SELECT 1 FROM main.profiles p WHERE p.user_id = e.user_id)`)).toBe(0);
    // Some profiles did not log in for 60 days (dormant-savers needs them), most did.
    const dormant = await one(
      `SELECT count(*) FROM main.profiles p WHERE NOT EXISTS (SELECT 1 FROM main.events e WHERE e.user_id = p.user_id AND e.event = 'Login' AND e.ts >= ?::TIMESTAMP - INTERVAL 60 DAY)`,
      ['2026-11-28 00:00:00'],
    );
    expect(dormant).toBeGreaterThan(PROFILES * 0.02);
    expect(dormant).toBeLessThan(PROFILES * 0.5);
  });

  it('vip_list holds a few % of profiles, each a real profile', async () => {
    expect(counts.vip_list / PROFILES).toBeGreaterThan(0.01);
    expect(counts.vip_list / PROFILES).toBeLessThan(0.06);
    expect(await one(`SELECT count(*) FROM main.vip_list v WHERE NOT EXISTS (SELECT 1 FROM main.profiles p WHERE p.user_id = v.user_id)`)).toBe(0);
  });

  it('is reproducible for a seed and reference time, and differs for another seed', async () => {
    const again = join(dir, 'again.duckdb');
    const other = join(dir, 'other.duckdb');
    await generateBankWarehouse(again, { profiles: PROFILES, seed: 7, now: NOW });
    await generateBankWarehouse(other, { profiles: PROFILES, seed: 8, now: NOW });
    const a = await openDuckDb(again);
    const b = await openDuckDb(other);
    try {
      for (const table of BANK_TABLES) {
        expect(await fingerprint(a, table), table).toBe(await fingerprint(wh, table));
      }
      expect(await fingerprint(b, 'profiles')).not.toBe(await fingerprint(wh, 'profiles'));
      expect(await fingerprint(b, 'transactions')).not.toBe(await fingerprint(wh, 'transactions'));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('replaces its own tables and leaves others in the file alone', async () => {
    const path = join(dir, 'shared.duckdb');
    const w = await openDuckDb(path);
    await w.query('CREATE SCHEMA "LINKED_AUDIENCES"');
    await w.query('CREATE TABLE "LINKED_AUDIENCES".kept AS SELECT 1 AS x');
    await w.close();
    await generateBankWarehouse(path, { profiles: 50, seed: 1, now: NOW });
    const { counts: second } = await generateBankWarehouse(path, { profiles: 60, seed: 1, now: NOW });
    expect(second.profiles).toBe(60);
    const r = await openDuckDb(path);
    expect((await r.query('SELECT x FROM "LINKED_AUDIENCES".kept')).rows).toEqual([{ x: 1 }]);
    await r.close();
  });

  it('refuses bad options with a clear error', async () => {
    await expect(generateBankWarehouse(join(dir, 'bad.duckdb'), { profiles: 0 })).rejects.toThrow('--profiles must be a whole number from 1 to');
    await expect(generateBankWarehouse(join(dir, 'bad.duckdb'), { profiles: 10, seed: -1 })).rejects.toThrow('--seed must be a whole number');
  });

  it('CLI: linked example bank --profiles N --out FILE --json', async () => {
    const out = join(dir, 'cli.duckdb');
    const { stdout } = await linkedInProcess(['example', 'bank', '--profiles', '100', '--out', out, '--seed', '3', '--now', '2026-11-28', '--json']);
    const result = JSON.parse(stdout);
    expect(result.out).toBe(out);
    expect(result.seed).toBe(3);
    expect(result.counts.profiles).toBe(100);
    expect(Object.keys(result.counts)).toEqual([...BANK_TABLES]);
    const bad = await linkedInProcess(['example', 'bank', '--profiles', 'many', '--out', out]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--profiles must be a whole number, got "many"');
    expect(bad.stderr).not.toContain('    at ');
  });
});
