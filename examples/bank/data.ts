import type { Warehouse } from '../../src/warehouse/types.js';
import {
  checkGenerationOptions,
  generateExampleWarehouse,
  generateInto as generateDatasetInto,
  type ExampleDataset,
  type GenerationOptions,
  type GenerationResult,
} from '../shared/generate.js';

export { startOfUtcDay } from '../shared/generate.js';

/*
 * The bank example's warehouse (examples/bank/README.md is the contract with main.ts): profiles →
 * accounts → credit cards → transactions, offers joined to cards through card_offers, events
 * (payments, logins, card activations, statements) and the classic vip_list.
 *
 * Generated set-based inside DuckDB with seeded hash draws (examples/shared/generate.ts): the same
 * seed and reference time give the same warehouse, and 1 M profiles (~20 M transactions) generate
 * in about a minute instead of hours of row-by-row JS.
 */

/** Reference time (`now`): event and transaction times lie before it, due dates around it. */
export type BankGenerationOptions = GenerationOptions<BankTable>;

export const BANK_TABLES = ['profiles', 'accounts', 'credit_cards', 'transactions', 'offers', 'card_offers', 'events', 'vip_list'] as const;
export type BankTable = (typeof BANK_TABLES)[number];

/** Average transactions per profile at scale (README.md: 20 M for 1 M profiles). */
const TRANSACTIONS_PER_PROFILE = 20;
const OFFERS = 300;
const MAX_PROFILES = 50_000_000;

/**
 * The statements that build each table. `rnd(k, salt)` is uniform in [0, 1); `gauss(k, salt)`
 * standard normal. Each draw has its own integer salt (unique within a table's statement).
 */
function statements(): Record<BankTable, string[]> {
  // Draws are taken once per row in an inner query and reused by the CASEs above it: DuckDB does not
  // share repeated calls, and hashing dominates the cost at 20 M rows.
  return {
    profiles: [
      `CREATE OR REPLACE TABLE main.profiles AS
       WITH d AS (
         SELECT i, rnd(i, 13) AS r_email_null, rnd(i, 11) AS r_domain, rnd(i, 15) AS r_first,
           rnd(i, 31) AS r_plan_null, rnd(i, 30) AS r_plan, rnd(i, 8) AS r_country,
           rnd(i, 33) AS r_score_null, gauss(i, 32) AS g_score, rnd(i, 9) AS r_created, rnd(i, 14) AS r_employee
         FROM range(1, $profiles + 1) t(i))
       SELECT
         'u_' || lpad(CAST(i AS VARCHAR), 8, '0') AS user_id,
         CASE WHEN r_email_null < 0.02 THEN NULL ELSE 'user' || i || '@' || (['example.com','mail.test','bank.test','inbox.test'])[1 + CAST(floor(r_domain * 4) AS INTEGER)] END AS email,
         (['Ada','Ben','Chloe','David','Emma','Farid','Grace','Hugo','Ines','Jonas','Kai','Lena','Mateo','Nora','Omar','Priya','Quinn','Rosa','Sven','Tara','Umar','Vera','Wei','Yuki','Zoe'])[1 + CAST(floor(r_first * 25) AS INTEGER)] AS first_name,
         CASE WHEN r_plan_null < 0.02 THEN NULL WHEN r_plan < 0.70 THEN 'basic' WHEN r_plan < 0.93 THEN 'premium' ELSE 'private' END AS plan,
         CASE WHEN r_country < 0.38 THEN 'US' WHEN r_country < 0.53 THEN 'GB' WHEN r_country < 0.65 THEN 'DE' WHEN r_country < 0.75 THEN 'FR'
              WHEN r_country < 0.85 THEN 'CA' WHEN r_country < 0.90 THEN 'ES' WHEN r_country < 0.94 THEN 'IT' WHEN r_country < 0.97 THEN 'NL' ELSE 'AU' END AS country,
         CASE WHEN r_score_null < 0.02 THEN NULL ELSE CAST(least(850, greatest(300, round(690 + 75 * g_score))) AS INTEGER) END AS credit_score,
         $now - to_seconds(CAST(floor(r_created * 5 * 365 * 86400) AS BIGINT)) AS created_at,
         r_employee < 0.01 AS is_employee
       FROM d`,
    ],
    accounts: [
      // 0-4 accounts per profile, mean ~2.05 (10% 0, 25% 1, 30% 2, 20% 3, 15% 4).
      `CREATE OR REPLACE TABLE main.accounts AS
       WITH p AS (SELECT i, user_id, created_at, rnd(i, 22) AS r_n FROM (SELECT CAST(substr(user_id, 3) AS BIGINT) AS i, user_id, created_at FROM main.profiles)),
       n AS (SELECT *, CASE WHEN r_n < 0.10 THEN 0 WHEN r_n < 0.35 THEN 1 WHEN r_n < 0.65 THEN 2 WHEN r_n < 0.85 THEN 3 ELSE 4 END AS n FROM p),
       a AS (SELECT i, user_id, created_at, k, rnd(i * 10 + k, 38) AS r_type, rnd(i * 10 + k, 34) AS r_status, gauss(i * 10 + k, 5) AS g_bal,
               rnd(i * 10 + k, 17) AS r_legacy, rnd(i * 10 + k, 29) AS r_opened
             FROM n, range(4) r(k) WHERE k < n.n),
       t AS (SELECT *, CASE WHEN r_type < 0.45 THEN 'checking' WHEN r_type < 0.75 THEN 'savings' ELSE 'credit' END AS type FROM a)
       SELECT
         'a_' || lpad(CAST(i AS VARCHAR), 8, '0') || '_' || k AS account_id,
         user_id,
         type,
         CASE WHEN r_status < 0.85 THEN 'open' WHEN r_status < 0.95 THEN 'closed' ELSE 'frozen' END AS status,
         round(CASE type WHEN 'savings' THEN exp(ln(6000) + 1.1 * g_bal) WHEN 'checking' THEN exp(ln(1500) + 0.9 * g_bal) - 200 ELSE -exp(ln(800) + g_bal) END, 2) AS balance,
         -- Mostly opened after the profile was created; 10% are older accounts migrated in.
         CAST(CASE WHEN r_legacy < 0.10 THEN created_at - to_days(CAST(floor(r_opened * 2000) AS INTEGER))
                   ELSE created_at + to_seconds(CAST(floor(r_opened * epoch($now - created_at)) AS BIGINT)) END AS DATE) AS opened_at
       FROM t`,
    ],
    credit_cards: [
      // 1-3 cards on each credit account (60% / 30% / 10%).
      `CREATE OR REPLACE TABLE main.credit_cards AS
       WITH a AS (SELECT account_id, rnd(account_id, 23) AS r_n FROM main.accounts WHERE type = 'credit'),
       c AS (SELECT account_id, k, hash(account_id, k) AS ck FROM a, range(3) r(k) WHERE k < CASE WHEN r_n < 0.60 THEN 1 WHEN r_n < 0.90 THEN 2 ELSE 3 END),
       d AS (SELECT account_id, k, rnd(ck, 35) AS r_tier, rnd(ck, 18) AS r_limit, rnd(ck, 39) AS r_util, rnd(ck, 12) AS r_due, rnd(ck, 34) AS r_status FROM c),
       t AS (SELECT *, CASE WHEN r_tier < 0.60 THEN 'classic' WHEN r_tier < 0.90 THEN 'gold' ELSE 'platinum' END AS tier FROM d),
       l AS (SELECT *, CAST(CASE tier WHEN 'classic' THEN 1000 + 500 * floor(r_limit * 9) WHEN 'gold' THEN 5000 + 1000 * floor(r_limit * 11)
                                 ELSE 15000 + 5000 * floor(r_limit * 8) END AS DOUBLE) AS credit_limit FROM t)
       SELECT
         'c_' || substr(account_id, 3) || '_' || k AS card_id,
         account_id,
         tier,
         credit_limit,
         round(r_util * r_util * 1.1 * credit_limit, 2) AS balance,
         CAST($now + to_days(CAST(floor(r_due * 90) AS INTEGER) - 45) AS DATE) AS due_date,
         CASE WHEN r_status < 0.85 THEN 'active' WHEN r_status < 0.90 THEN 'blocked' ELSE 'closed' END AS status
       FROM l`,
    ],
    transactions: [
      // ~20 per profile overall. Each transaction picks its card with a skewed draw (u^1.6 favours
      // low card numbers), so a few cards carry many transactions and some none: a flat range joined
      // to the numbered cards, far faster than expanding per-card counts.
      `CREATE OR REPLACE TABLE main.transactions AS
       WITH cards AS (SELECT card_id, row_number() OVER (ORDER BY hash(card_id, 1002)) - 1 AS ci, count(*) OVER () AS cards FROM main.credit_cards),
       n AS (SELECT max(cards) AS cards FROM cards),
       t AS (SELECT j, CAST(floor(pow(rnd(j, 6), 1.6) * n.cards) AS BIGINT) AS ci, rnd(j, 7) AS r_cat, rnd(j, 19) AS r_merchant,
               gauss(j, 4) AS g_amount, rnd(j, 36) AS r_ts, rnd(j, 16) AS r_intl
             FROM range(0, ${TRANSACTIONS_PER_PROFILE} * $profiles) r(j), n WHERE n.cards > 0),
       cat AS (SELECT *, CASE WHEN r_cat < 0.08 THEN 'travel' WHEN r_cat < 0.38 THEN 'groceries' WHEN r_cat < 0.58 THEN 'dining'
                              WHEN r_cat < 0.73 THEN 'fuel' WHEN r_cat < 0.80 THEN 'electronics' ELSE 'other' END AS category FROM t)
       SELECT
         't_' || lpad(CAST(j AS VARCHAR), 10, '0') AS transaction_id,
         cards.card_id,
         round(exp(ln(CASE category WHEN 'travel' THEN 350 WHEN 'groceries' THEN 60 WHEN 'dining' THEN 40 WHEN 'fuel' THEN 55 WHEN 'electronics' THEN 300 ELSE 80 END)
                   + 0.8 * g_amount), 2) AS amount,
         CASE category
           WHEN 'travel' THEN (['Skyways Air','Atlas Hotels','RailEurope','CityCab','Harbor Cruises'])[1 + CAST(floor(r_merchant * 5) AS INTEGER)]
           WHEN 'groceries' THEN (['FreshMart','GreenGrocer','SuperSave','Corner Market'])[1 + CAST(floor(r_merchant * 4) AS INTEGER)]
           WHEN 'dining' THEN (['Luigi''s','Sushi Bar','Burger Barn','Cafe Noir'])[1 + CAST(floor(r_merchant * 4) AS INTEGER)]
           WHEN 'fuel' THEN (['PetroMax','FuelUp','Roadside Gas'])[1 + CAST(floor(r_merchant * 3) AS INTEGER)]
           WHEN 'electronics' THEN (['ByteShop','Gadget Hub','Electro World'])[1 + CAST(floor(r_merchant * 3) AS INTEGER)]
           ELSE (['Bookworm','PetPals','Pharmacy Plus','Gym Co'])[1 + CAST(floor(r_merchant * 4) AS INTEGER)] END AS merchant,
         category,
         $now - to_seconds(CAST(floor(r_ts * 365 * 86400) AS BIGINT)) AS ts,
         r_intl < CASE category WHEN 'travel' THEN 0.40 ELSE 0.05 END AS is_international
       FROM cat JOIN cards USING (ci)`,
    ],
    offers: [
      `CREATE OR REPLACE TABLE main.offers AS
       WITH o AS (SELECT i, rnd(i, 26) AS r_cat, rnd(i, 28) AS r_name, rnd(i, 27) AS r_exp FROM range(1, ${OFFERS} + 1) t(i)),
       c AS (SELECT *, CASE WHEN r_cat < 0.25 THEN 'travel' WHEN r_cat < 0.40 THEN 'groceries' WHEN r_cat < 0.60 THEN 'dining'
                            WHEN r_cat < 0.72 THEN 'fuel' WHEN r_cat < 0.87 THEN 'electronics' ELSE 'other' END AS category FROM o)
       SELECT 'o_' || lpad(CAST(i AS VARCHAR), 4, '0') AS offer_id,
         (['5% back','10% back','Double points','Free upgrade','No fees'])[1 + CAST(floor(r_name * 5) AS INTEGER)] || ' on ' || category AS name,
         category,
         CAST($now + to_days(CAST(floor(r_exp * 210) AS INTEGER) - 30) AS DATE) AS expires_at
       FROM c`,
    ],
    card_offers: [
      // 0-3 offers per card, drawn from the catalogue (a card may hold the same offer twice: each row has its own id).
      `CREATE OR REPLACE TABLE main.card_offers AS
       WITH c AS (SELECT card_id, CAST(floor(rnd(card_id, 24) * 4) AS INTEGER) AS n FROM main.credit_cards),
       co AS (SELECT card_id, k, hash(card_id, k, 1001) AS ok FROM c, range(3) r(k) WHERE k < c.n)
       SELECT 'co_' || substr(card_id, 3) || '_' || k AS card_offer_id,
         card_id,
         'o_' || lpad(CAST(1 + CAST(floor(rnd(ok, 41) * ${OFFERS}) AS INTEGER) AS VARCHAR), 4, '0') AS offer_id,
         $now - to_seconds(CAST(floor(rnd(ok, 2) * 200 * 86400) AS BIGINT)) AS activated_at
       FROM co`,
    ],
    events: [
      // Over the last 180 days. Logins: 8 per profile on average, each assigned to a profile by a
      // skewed draw (some log in often, ~7% not at all in 60 days); statements; 0-6 payments per
      // credit card; activations of the cards activated in the window.
      `CREATE OR REPLACE TABLE main.events AS
       WITH logins AS (
         SELECT j, 1 + CAST(floor(pow(rnd(j, 42), 1.3) * $profiles) AS BIGINT) AS i, rnd(j, 36) AS r_ts, rnd(j, 10) AS r_device
         FROM range(0, 8 * $profiles) r(j)),
       statements AS (
         SELECT j, 1 + CAST(floor(rnd(j, 43) * $profiles) AS BIGINT) AS i, rnd(j, 37) AS r_ts, CAST(floor(rnd(j, 21) * 6) AS INTEGER) AS m
         FROM range(0, 2 * $profiles) r(j)),
       cards AS (SELECT c.card_id, a.user_id, rnd(c.card_id, 25) AS r_pay, rnd(c.card_id, 3) AS r_act, rnd(c.card_id, 1) AS r_act_ts
                 FROM main.credit_cards c JOIN main.accounts a USING (account_id)),
       payments AS (
         SELECT user_id, card_id, k, rnd(hash(card_id, k), 36) AS r_ts, gauss(hash(card_id, k), 4) AS g_amount, rnd(hash(card_id, k), 20) AS r_method
         FROM cards, range(6) r(k) WHERE k < CAST(floor(r_pay * 7) AS INTEGER))
       SELECT 'e_l_' || j AS event_id, 'u_' || lpad(CAST(i AS VARCHAR), 8, '0') AS user_id, 'Login' AS event,
         $now - to_seconds(CAST(floor(r_ts * 180 * 86400) AS BIGINT)) AS ts,
         json_object('device', (['ios','android','web'])[1 + CAST(floor(r_device * 3) AS INTEGER)]) AS properties
       FROM logins
       UNION ALL
       SELECT 'e_s_' || j, 'u_' || lpad(CAST(i AS VARCHAR), 8, '0'), 'Statement Viewed',
         $now - to_seconds(CAST(floor(r_ts * 180 * 86400) AS BIGINT)),
         json_object('statement_month', strftime($now - to_days(30 * (m + 1)), '%Y-%m'))
       FROM statements
       UNION ALL
       SELECT 'e_p_' || substr(card_id, 3) || '_' || k, user_id, 'Payment Made',
         $now - to_seconds(CAST(floor(r_ts * 180 * 86400) AS BIGINT)),
         json_object('amount', round(exp(ln(250) + g_amount), 2),
                     'method', CASE WHEN r_method < 0.6 THEN 'ach' WHEN r_method < 0.9 THEN 'card' ELSE 'check' END,
                     'card_id', card_id)
       FROM payments
       UNION ALL
       SELECT 'e_a_' || substr(card_id, 3), user_id, 'Card Activated',
         $now - to_seconds(CAST(floor(r_act_ts * 180 * 86400) AS BIGINT)),
         json_object('card_id', card_id)
       FROM cards WHERE r_act < 0.3`,
    ],
    vip_list: [`CREATE OR REPLACE TABLE main.vip_list AS SELECT user_id FROM main.profiles WHERE rnd(user_id, 40) < 0.03`],
  };
}

export const BANK_DATA: ExampleDataset<BankTable> = {
  name: 'bank',
  description: 'write a seeded, realistically distributed DuckDB warehouse for the bank example',
  profilesHelp: 'number of profiles (about 20 transactions each)',
  tables: BANK_TABLES,
  statements: statements(),
  maxProfiles: MAX_PROFILES,
};

/**
 * Writes the bank tables into the DuckDB at `path` (created when missing; other tables, such as
 * the state schema, are left alone; the bank tables are replaced). Returns the row count per table.
 */
export function generateBankWarehouse(path: string, opts: BankGenerationOptions): Promise<GenerationResult> {
  return generateExampleWarehouse(path, BANK_DATA, opts);
}

/** The same generation into an open warehouse (tests use ':memory:'). */
export async function generateInto(
  wh: Warehouse,
  profiles: number,
  seed: number,
  now: Date,
  onProgress?: BankGenerationOptions['onProgress'],
): Promise<GenerationResult> {
  checkGenerationOptions({ profiles, seed, now }, MAX_PROFILES);
  return generateDatasetInto(wh, BANK_DATA, profiles, seed, now, onProgress);
}
