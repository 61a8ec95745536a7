import { LinkedError } from '../../src/model/errors.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';

/*
 * The bank example's warehouse (.tmp/BANK.md is the contract with examples/bank/main.ts): profiles →
 * accounts → credit cards → transactions, offers joined to cards through card_offers, events
 * (payments, logins, card activations, statements) and the classic vip_list.
 *
 * Everything is generated set-based inside DuckDB: each random draw is `hash(row key, salt, seed)`
 * scaled to [0, 1), so a row's values depend only on its key and the seed. The same seed and
 * reference time give the same warehouse whatever the thread count or row order, and 1 M profiles
 * (~20 M transactions) generate in about a minute instead of hours of row-by-row JS.
 */

export interface BankGenerationOptions {
  profiles: number;
  /** Same seed and `now`, same warehouse. Default 42. */
  seed?: number;
  /** Reference time: event and transaction times lie before it, due dates around it. Default: today 00:00 UTC. */
  now?: Date;
  /** Called as each table is written (the CLI draws its progress line with it). */
  onProgress?: (step: BankTable, index: number, total: number) => void;
}

export const BANK_TABLES = ['profiles', 'accounts', 'credit_cards', 'transactions', 'offers', 'card_offers', 'events', 'vip_list'] as const;
export type BankTable = (typeof BANK_TABLES)[number];

/** Average transactions per profile at scale (BANK.md: 20 M for 1 M profiles). */
const TRANSACTIONS_PER_PROFILE = 20;
const OFFERS = 300;
const MAX_PROFILES = 50_000_000;

/** Today at 00:00 UTC: the default reference time, so runs on one day reproduce each other. */
export function startOfUtcDay(d = new Date()): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** `YYYY-MM-DD HH:MM:SS` (UTC, no zone) as DuckDB reads a TIMESTAMP literal. */
const tsLiteral = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

/**
 * The statements that build each table. `rnd(k, salt)` is uniform in [0, 1); `gauss(k, salt)`
 * approximately standard normal (Irwin-Hall of 4 draws, enough for realistic spreads).
 */
function statements(profiles: number): Record<BankTable, string[]> {
  return {
    profiles: [
      `CREATE OR REPLACE TABLE main.profiles AS
       WITH base AS (SELECT i, 'u_' || lpad(CAST(i AS VARCHAR), 8, '0') AS user_id FROM range(1, $profiles + 1) t(i))
       SELECT
         user_id,
         CASE WHEN rnd(i, 'email_null') < 0.02 THEN NULL ELSE 'user' || i || '@' || (['example.com','mail.test','bank.test','inbox.test'])[1 + CAST(floor(rnd(i, 'domain') * 4) AS INTEGER)] END AS email,
         (['Ada','Ben','Chloe','David','Emma','Farid','Grace','Hugo','Ines','Jonas','Kai','Lena','Mateo','Nora','Omar','Priya','Quinn','Rosa','Sven','Tara','Umar','Vera','Wei','Yuki','Zoe'])[1 + CAST(floor(rnd(i, 'first') * 25) AS INTEGER)] AS first_name,
         CASE WHEN rnd(i, 'plan_null') < 0.02 THEN NULL
              WHEN rnd(i, 'plan') < 0.70 THEN 'basic' WHEN rnd(i, 'plan') < 0.93 THEN 'premium' ELSE 'private' END AS plan,
         CASE WHEN rnd(i, 'country') < 0.38 THEN 'US' WHEN rnd(i, 'country') < 0.53 THEN 'GB' WHEN rnd(i, 'country') < 0.65 THEN 'DE'
              WHEN rnd(i, 'country') < 0.75 THEN 'FR' WHEN rnd(i, 'country') < 0.85 THEN 'CA' WHEN rnd(i, 'country') < 0.90 THEN 'ES'
              WHEN rnd(i, 'country') < 0.94 THEN 'IT' WHEN rnd(i, 'country') < 0.97 THEN 'NL' ELSE 'AU' END AS country,
         CASE WHEN rnd(i, 'score_null') < 0.02 THEN NULL
              ELSE CAST(least(850, greatest(300, round(690 + 75 * gauss(i, 'score')))) AS INTEGER) END AS credit_score,
         $now - to_seconds(CAST(floor(rnd(i, 'created') * 5 * 365 * 86400) AS BIGINT)) AS created_at,
         rnd(i, 'employee') < 0.01 AS is_employee
       FROM base`,
    ],
    accounts: [
      // 0-4 accounts per profile, mean ~2.05 (10% 0, 25% 1, 30% 2, 20% 3, 15% 4).
      `CREATE OR REPLACE TABLE main.accounts AS
       WITH p AS (
         SELECT CAST(substr(user_id, 3) AS BIGINT) AS i, user_id, created_at,
           CASE WHEN rnd(CAST(substr(user_id, 3) AS BIGINT), 'n_acc') < 0.10 THEN 0 WHEN rnd(CAST(substr(user_id, 3) AS BIGINT), 'n_acc') < 0.35 THEN 1
                WHEN rnd(CAST(substr(user_id, 3) AS BIGINT), 'n_acc') < 0.65 THEN 2 WHEN rnd(CAST(substr(user_id, 3) AS BIGINT), 'n_acc') < 0.85 THEN 3 ELSE 4 END AS n
         FROM main.profiles),
       a AS (SELECT p.*, k, p.i * 10 + k AS ak FROM p, range(4) r(k) WHERE k < p.n),
       t AS (SELECT a.*, CASE WHEN rnd(ak, 'type') < 0.45 THEN 'checking' WHEN rnd(ak, 'type') < 0.75 THEN 'savings' ELSE 'credit' END AS type FROM a)
       SELECT
         'a_' || lpad(CAST(i AS VARCHAR), 8, '0') || '_' || k AS account_id,
         user_id,
         type,
         CASE WHEN rnd(ak, 'status') < 0.85 THEN 'open' WHEN rnd(ak, 'status') < 0.95 THEN 'closed' ELSE 'frozen' END AS status,
         round(CASE type WHEN 'savings' THEN exp(ln(6000) + 1.1 * gauss(ak, 'bal'))
                         WHEN 'checking' THEN exp(ln(1500) + 0.9 * gauss(ak, 'bal')) - 200
                         ELSE -exp(ln(800) + 1.0 * gauss(ak, 'bal')) END, 2) AS balance,
         -- Mostly opened after the profile was created; 10% are older accounts migrated in.
         CAST(CASE WHEN rnd(ak, 'legacy') < 0.10 THEN created_at - to_days(CAST(floor(rnd(ak, 'opened') * 2000) AS INTEGER))
                   ELSE created_at + to_seconds(CAST(floor(rnd(ak, 'opened') * epoch($now - created_at)) AS BIGINT)) END AS DATE) AS opened_at
       FROM t`,
    ],
    credit_cards: [
      // 1-3 cards on each credit account (60% / 30% / 10%).
      `CREATE OR REPLACE TABLE main.credit_cards AS
       WITH a AS (
         SELECT account_id, hash(account_id) AS ak,
           CASE WHEN rnd(hash(account_id), 'n_cards') < 0.60 THEN 1 WHEN rnd(hash(account_id), 'n_cards') < 0.90 THEN 2 ELSE 3 END AS n
         FROM main.accounts WHERE type = 'credit'),
       c AS (SELECT a.*, k, hash(account_id, k) AS ck FROM a, range(3) r(k) WHERE k < a.n),
       t AS (SELECT c.*, CASE WHEN rnd(ck, 'tier') < 0.60 THEN 'classic' WHEN rnd(ck, 'tier') < 0.90 THEN 'gold' ELSE 'platinum' END AS tier FROM c)
       SELECT
         'c_' || substr(account_id, 3) || '_' || k AS card_id,
         account_id,
         tier,
         CAST(CASE tier WHEN 'classic' THEN 1000 + 500 * floor(rnd(ck, 'limit') * 9)
                        WHEN 'gold' THEN 5000 + 1000 * floor(rnd(ck, 'limit') * 11)
                        ELSE 15000 + 5000 * floor(rnd(ck, 'limit') * 8) END AS DOUBLE) AS credit_limit,
         round(pow(rnd(ck, 'util'), 2) * 1.1 * CASE tier WHEN 'classic' THEN 1000 + 500 * floor(rnd(ck, 'limit') * 9)
                        WHEN 'gold' THEN 5000 + 1000 * floor(rnd(ck, 'limit') * 11)
                        ELSE 15000 + 5000 * floor(rnd(ck, 'limit') * 8) END, 2) AS balance,
         CAST($now + to_days(CAST(floor(rnd(ck, 'due') * 90) AS INTEGER) - 45) AS DATE) AS due_date,
         CASE WHEN rnd(ck, 'status') < 0.85 THEN 'active' WHEN rnd(ck, 'status') < 0.90 THEN 'blocked' ELSE 'closed' END AS status
       FROM t`,
    ],
    transactions: [
      // Skewed per card: an exponential count whose mean makes ~20 transactions per profile overall.
      `CREATE OR REPLACE TABLE main.transactions AS
       WITH m AS (SELECT ${TRANSACTIONS_PER_PROFILE} * $profiles / greatest(count(*), 1) + 0.5 AS mean FROM main.credit_cards),
       c AS (SELECT card_id, hash(card_id) AS ck, CAST(floor(-ln(1 - rnd(hash(card_id), 'n_tx')) * m.mean) AS INTEGER) AS n FROM main.credit_cards, m),
       t AS (SELECT card_id, k, hash(card_id, k) AS tk FROM c, LATERAL (SELECT unnest(range(c.n)) AS k)),
       cat AS (SELECT *, CASE WHEN rnd(tk, 'cat') < 0.08 THEN 'travel' WHEN rnd(tk, 'cat') < 0.38 THEN 'groceries' WHEN rnd(tk, 'cat') < 0.58 THEN 'dining'
                              WHEN rnd(tk, 'cat') < 0.73 THEN 'fuel' WHEN rnd(tk, 'cat') < 0.80 THEN 'electronics' ELSE 'other' END AS category FROM t)
       SELECT
         't_' || substr(card_id, 3) || '_' || k AS transaction_id,
         card_id,
         round(exp(ln(CASE category WHEN 'travel' THEN 350 WHEN 'groceries' THEN 60 WHEN 'dining' THEN 40 WHEN 'fuel' THEN 55 WHEN 'electronics' THEN 300 ELSE 80 END)
                   + 0.8 * gauss(tk, 'amount')), 2) AS amount,
         CASE category
           WHEN 'travel' THEN (['Skyways Air','Atlas Hotels','RailEurope','CityCab','Harbor Cruises'])[1 + CAST(floor(rnd(tk, 'merchant') * 5) AS INTEGER)]
           WHEN 'groceries' THEN (['FreshMart','GreenGrocer','SuperSave','Corner Market'])[1 + CAST(floor(rnd(tk, 'merchant') * 4) AS INTEGER)]
           WHEN 'dining' THEN (['Luigi''s','Sushi Bar','Burger Barn','Cafe Noir'])[1 + CAST(floor(rnd(tk, 'merchant') * 4) AS INTEGER)]
           WHEN 'fuel' THEN (['PetroMax','FuelUp','Roadside Gas'])[1 + CAST(floor(rnd(tk, 'merchant') * 3) AS INTEGER)]
           WHEN 'electronics' THEN (['ByteShop','Gadget Hub','Electro World'])[1 + CAST(floor(rnd(tk, 'merchant') * 3) AS INTEGER)]
           ELSE (['Bookworm','PetPals','Pharmacy Plus','Gym Co'])[1 + CAST(floor(rnd(tk, 'merchant') * 4) AS INTEGER)] END AS merchant,
         category,
         $now - to_seconds(CAST(floor(rnd(tk, 'ts') * 365 * 86400) AS BIGINT)) AS ts,
         rnd(tk, 'intl') < CASE category WHEN 'travel' THEN 0.40 ELSE 0.05 END AS is_international
       FROM cat`,
    ],
    offers: [
      `CREATE OR REPLACE TABLE main.offers AS
       WITH o AS (SELECT i, CASE WHEN rnd(i, 'ocat') < 0.25 THEN 'travel' WHEN rnd(i, 'ocat') < 0.40 THEN 'groceries' WHEN rnd(i, 'ocat') < 0.60 THEN 'dining'
                                  WHEN rnd(i, 'ocat') < 0.72 THEN 'fuel' WHEN rnd(i, 'ocat') < 0.87 THEN 'electronics' ELSE 'other' END AS category
                  FROM range(1, ${OFFERS} + 1) t(i))
       SELECT 'o_' || lpad(CAST(i AS VARCHAR), 4, '0') AS offer_id,
         (['5% back','10% back','Double points','Free upgrade','No fees'])[1 + CAST(floor(rnd(i, 'oname') * 5) AS INTEGER)] || ' on ' || category AS name,
         category,
         CAST($now + to_days(CAST(floor(rnd(i, 'oexp') * 210) AS INTEGER) - 30) AS DATE) AS expires_at
       FROM o`,
    ],
    card_offers: [
      // 0-3 offers per card, drawn from the catalogue (a card may hold the same offer twice: each row has its own id).
      `CREATE OR REPLACE TABLE main.card_offers AS
       WITH c AS (SELECT card_id, CAST(floor(rnd(hash(card_id), 'n_off') * 4) AS INTEGER) AS n FROM main.credit_cards),
       co AS (SELECT card_id, k, hash(card_id, k, 'offer') AS ok FROM c, range(3) r(k) WHERE k < c.n)
       SELECT 'co_' || substr(card_id, 3) || '_' || k AS card_offer_id,
         card_id,
         'o_' || lpad(CAST(1 + CAST(floor(rnd(ok, 'which') * ${OFFERS}) AS INTEGER) AS VARCHAR), 4, '0') AS offer_id,
         $now - to_seconds(CAST(floor(rnd(ok, 'activated') * 200 * 86400) AS BIGINT)) AS activated_at
       FROM co`,
    ],
    events: [
      // Over the last 180 days: logins (skewed, some profiles dormant), statements, payments per
      // credit card, and activations of cards activated in the window.
      `CREATE OR REPLACE TABLE main.events AS
       WITH p AS (SELECT user_id, hash(user_id) AS pk FROM main.profiles),
       logins AS (
         SELECT user_id, k, hash(user_id, k, 'login') AS ek FROM (
           SELECT user_id, CAST(floor(-ln(1 - rnd(pk, 'n_login')) * 8) AS INTEGER) AS n FROM p) x,
           LATERAL (SELECT unnest(range(x.n)) AS k)),
       statements AS (
         SELECT user_id, k, hash(user_id, k, 'stmt') AS ek FROM p, range(4) r(k) WHERE k < CAST(floor(rnd(pk, 'n_stmt') * 5) AS INTEGER)),
       cards AS (
         SELECT c.card_id, a.user_id, hash(c.card_id) AS ck FROM main.credit_cards c JOIN main.accounts a USING (account_id)),
       payments AS (
         SELECT user_id, card_id, k, hash(card_id, k, 'pay') AS ek FROM cards, range(6) r(k) WHERE k < CAST(floor(rnd(ck, 'n_pay') * 7) AS INTEGER))
       SELECT 'e_l_' || substr(user_id, 3) || '_' || k AS event_id, user_id, 'Login' AS event,
         $now - to_seconds(CAST(floor(rnd(ek, 'ts') * 180 * 86400) AS BIGINT)) AS ts,
         json_object('device', (['ios','android','web'])[1 + CAST(floor(rnd(ek, 'device') * 3) AS INTEGER)]) AS properties
       FROM logins
       UNION ALL
       SELECT 'e_s_' || substr(user_id, 3) || '_' || k, user_id, 'Statement Viewed',
         $now - to_seconds(CAST(floor(rnd(ek, 'ts') * 180 * 86400) AS BIGINT)),
         json_object('statement_month', strftime($now - to_days(30 * (k + 1)), '%Y-%m'))
       FROM statements
       UNION ALL
       SELECT 'e_p_' || substr(card_id, 3) || '_' || k, user_id, 'Payment Made',
         $now - to_seconds(CAST(floor(rnd(ek, 'ts') * 180 * 86400) AS BIGINT)),
         json_object('amount', round(exp(ln(250) + 1.0 * gauss(ek, 'amount')), 2),
                     'method', CASE WHEN rnd(ek, 'method') < 0.6 THEN 'ach' WHEN rnd(ek, 'method') < 0.9 THEN 'card' ELSE 'check' END,
                     'card_id', card_id)
       FROM payments
       UNION ALL
       SELECT 'e_a_' || substr(card_id, 3), user_id, 'Card Activated',
         $now - to_seconds(CAST(floor(rnd(ck, 'act_ts') * 180 * 86400) AS BIGINT)),
         json_object('card_id', card_id)
       FROM cards WHERE rnd(ck, 'activated_recently') < 0.3`,
    ],
    vip_list: [`CREATE OR REPLACE TABLE main.vip_list AS SELECT user_id FROM main.profiles WHERE rnd(hash(user_id), 'vip') < 0.03`],
  };
}

/** Validates the options a user typed: a LinkedError names the bad flag. */
function checkOptions(opts: BankGenerationOptions): { seed: number; now: Date } {
  if (!Number.isSafeInteger(opts.profiles) || opts.profiles < 1 || opts.profiles > MAX_PROFILES) {
    throw new LinkedError('INVALID_ARGUMENT', `--profiles must be a whole number from 1 to ${MAX_PROFILES}, got ${opts.profiles}`);
  }
  const seed = opts.seed ?? 42;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new LinkedError('INVALID_ARGUMENT', `--seed must be a whole number of 0 or more, got ${opts.seed}`);
  const now = opts.now ?? startOfUtcDay();
  if (Number.isNaN(now.getTime())) throw new LinkedError('INVALID_ARGUMENT', 'the reference time is not a valid date');
  return { seed, now };
}

/**
 * Writes the bank tables into the DuckDB at `path` (created when missing; other tables, such as
 * the state schema, are left alone; the bank tables are replaced). Returns the row count per table.
 */
export async function generateBankWarehouse(path: string, opts: BankGenerationOptions): Promise<{ counts: Record<string, number> }> {
  const { seed, now } = checkOptions(opts);
  const wh = await openDuckDb(path);
  try {
    return await generateInto(wh, opts.profiles, seed, now, opts.onProgress);
  } finally {
    await wh.close();
  }
}

/** The same generation into an open warehouse (tests use ':memory:'). */
export async function generateInto(
  wh: Warehouse,
  profiles: number,
  seed: number,
  now: Date,
  onProgress?: BankGenerationOptions['onProgress'],
): Promise<{ counts: Record<string, number> }> {
  // Macros cannot take bound parameters, so the seed is printed into them: it is a checked
  // non-negative safe integer, never text from a user.
  if (!Number.isSafeInteger(seed) || seed < 0) throw new LinkedError('INVALID_ARGUMENT', `invalid seed ${seed}`);
  await wh.query(`CREATE OR REPLACE TEMP MACRO rnd(k, salt) AS CAST(hash(k, salt, ${seed}::UBIGINT) AS DOUBLE) / 18446744073709551616.0`);
  await wh.query(`CREATE OR REPLACE TEMP MACRO gauss(k, salt) AS (rnd(k, salt || '1') + rnd(k, salt || '2') + rnd(k, salt || '3') + rnd(k, salt || '4') - 2.0) * sqrt(3.0)`);
  // Row order carries no meaning here; letting DuckDB write in any order is much faster.
  await wh.query('SET preserve_insertion_order = false');
  const nowTs = tsLiteral(now);
  const steps = statements(profiles);
  const counts: Record<string, number> = {};
  for (const [index, table] of BANK_TABLES.entries()) {
    onProgress?.(table, index, BANK_TABLES.length);
    for (const sql of steps[table]) {
      // $profiles and $now become bound parameters, in order of appearance.
      const params: unknown[] = [];
      const text = sql.replace(/\$(profiles|now)\b/g, (_, name: string) => {
        params.push(name === 'profiles' ? profiles : nowTs);
        return name === 'profiles' ? 'CAST(? AS BIGINT)' : 'CAST(? AS TIMESTAMP)';
      });
      await wh.query(text, params);
    }
    const { rows } = await wh.query<{ n: number }>(`SELECT count(*) AS n FROM main.${table}`);
    counts[table] = Number(rows[0].n);
  }
  onProgress?.('vip_list', BANK_TABLES.length, BANK_TABLES.length);
  return { counts };
}
