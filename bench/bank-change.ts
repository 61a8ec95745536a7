import type { Warehouse } from '../src/warehouse/types.js';

/**
 * Changes 1 % of the rows of every bank table the audiences read (a different 1 % per salt), in
 * ways that move memberships: plans and credit scores, account balances and statuses, card
 * balances, transactions turned into large travel purchases, events turned into payments.
 */
export async function changeOnePercent(wh: Warehouse, salt: string): Promise<void> {
  await wh.query(`UPDATE main.profiles SET plan = CASE plan WHEN 'basic' THEN 'premium' ELSE 'basic' END,
                    credit_score = 300 + (hash(user_id || 'x') % 550) WHERE hash(user_id || ?) % 100 = 0`, [salt]);
  await wh.query(`UPDATE main.accounts SET balance = balance * 3 + 5000, status = CASE status WHEN 'open' THEN 'closed' ELSE 'open' END
                   WHERE hash(account_id || ?) % 100 = 0`, [salt]);
  await wh.query(`UPDATE main.credit_cards SET balance = CASE WHEN balance > 1000 THEN 10 ELSE 5000 END WHERE hash(card_id || ?) % 100 = 0`, [salt]);
  await wh.query(`UPDATE main.transactions SET category = 'travel', amount = amount + 600 WHERE hash(transaction_id || ?) % 100 = 0`, [salt]);
  await wh.query(`UPDATE main.events SET event = 'Payment Made' WHERE hash(event_id || ?) % 100 = 0`, [salt]);
}
