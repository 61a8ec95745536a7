/*
 * Expert hand-written DuckDB SQL for the bank example's audiences (test/fixtures/bank.ts,
 * examples/bank/main.ts): the baseline the compiled SQL is timed against, and an independent
 * answer its counts must equal. Written the way a data engineer would: aggregate the big tables
 * once, then semi / anti joins. Same semantics as the model: windows are [now - N, now], NULLs
 * never match, profile ids are distinct.
 */

export interface HandQuery {
  sql: string;
  params: unknown[];
}

/** `now` as the compiler binds it: UTC, no zone. */
const ts = (d: Date) => d.toISOString().slice(0, 23).replace('T', ' ');

function travelSpenderIds(): string {
  return `SELECT DISTINCT a.user_id
      FROM (SELECT card_id FROM main.transactions
             WHERE category = 'travel' AND amount > 500 AND ts >= CAST(? AS TIMESTAMP) - INTERVAL 90 DAY AND ts <= CAST(? AS TIMESTAMP)
             GROUP BY card_id HAVING count(*) >= 3) t
      JOIN main.credit_cards c ON c.card_id = t.card_id
      JOIN main.accounts a ON a.account_id = c.account_id`;
}

/** Member counts per audience key. */
export function handwrittenCounts(now: Date): Record<string, HandQuery> {
  const n = ts(now);
  return {
    'overdue-cards': {
      sql: `SELECT count(*) AS n FROM main.profiles p
        WHERE p.user_id IS NOT NULL AND p.plan IN ('premium', 'private')
          AND p.user_id IN (SELECT a.user_id FROM main.accounts a JOIN main.credit_cards c ON c.account_id = a.account_id
                             WHERE c.balance > 1000 AND c.due_date < DATE '2026-12-01')
          AND p.user_id NOT IN (SELECT user_id FROM main.events
                                 WHERE event = 'Payment Made' AND ts >= CAST(? AS TIMESTAMP) - INTERVAL 30 DAY AND ts <= CAST(? AS TIMESTAMP)
                                   AND TRY_CAST(properties->>'$.amount' AS DOUBLE) >= 25 AND user_id IS NOT NULL)`,
      params: [n, n],
    },
    'travel-spenders': {
      sql: `SELECT count(*) AS n FROM main.profiles p
        WHERE p.country IN ('US', 'GB', 'CA') AND p.user_id IN (${travelSpenderIds()})`,
      params: [n, n],
    },
    'dormant-savers': {
      sql: `SELECT count(*) AS n FROM main.profiles p
        WHERE p.user_id IS NOT NULL
          AND p.user_id IN (SELECT user_id FROM main.accounts WHERE type = 'savings' AND balance >= 10000)
          AND p.user_id NOT IN (SELECT user_id FROM main.events
                                 WHERE event = 'Login' AND ts >= CAST(? AS TIMESTAMP) - INTERVAL 60 DAY AND ts <= CAST(? AS TIMESTAMP) AND user_id IS NOT NULL)
          AND p.user_id NOT IN (SELECT user_id FROM main.vip_list WHERE user_id IS NOT NULL)`,
      params: [n, n],
    },
    'vip-upsell': {
      sql: `SELECT count(*) AS n FROM main.profiles p
        WHERE p.credit_score >= 720
          AND ((p.country IN ('US', 'GB', 'CA') AND p.user_id IN (${travelSpenderIds()}))
               OR p.user_id IN (SELECT user_id FROM main.vip_list))
          AND EXISTS (SELECT 1 FROM main.accounts a JOIN main.credit_cards c ON c.account_id = a.account_id
                       WHERE a.user_id = p.user_id AND a.status = 'open' AND a.opened_at >= p.created_at
                         AND c.balance < c.credit_limit
                         AND c.card_id NOT IN (SELECT co.card_id FROM main.card_offers co JOIN main.offers o ON o.offer_id = co.offer_id
                                                WHERE o.category = 'travel' AND co.card_id IS NOT NULL))`,
      params: [n, n],
    },
  };
}

/** (profile, card) pairs behind overdue-cards' entity triggers on accounts.cards. */
export function handwrittenOverdueCardMatches(now: Date): HandQuery {
  const members = handwrittenCounts(now)['overdue-cards'];
  return {
    sql: `SELECT count(*) AS n FROM (
        SELECT DISTINCT a.user_id, c.card_id
        FROM main.accounts a JOIN main.credit_cards c ON c.account_id = a.account_id
        WHERE c.balance > 1000 AND c.due_date < DATE '2026-12-01'
          AND a.user_id IN (${members.sql.replace('SELECT count(*) AS n FROM main.profiles p', 'SELECT p.user_id FROM main.profiles p')}))`,
    params: members.params,
  };
}
