import { bank } from '../fixtures/bank.js';
import { rng } from './generate.js';
import type { Row, World } from './world.js';

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const ts = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * A small seeded warehouse in the bank example's exact shape (examples/bank/README.md), with distributions
 * tilted so that each bank audience has members, plus the compute layer's membership snapshot
 * table for "part of a linked audience". Test-only: the example's own generator is separate.
 */
export function bankWorld(profiles: number, seed: number, now: Date): World {
  const r = rng(seed);
  const t = now.getTime();
  const rows: Record<string, Row[]> = {
    profiles: [],
    accounts: [],
    credit_cards: [],
    transactions: [],
    offers: [],
    card_offers: [],
    events: [],
    vip_list: [],
  };
  const categories = ['travel', 'groceries', 'dining', 'fuel', 'electronics', 'other'];
  for (let o = 0; o < 12; o++) rows.offers.push({ offer_id: `o${o}`, name: `Offer ${o}`, category: r.pick(categories), expires_at: day(t + r.int(-30, 90) * DAY) });
  let a = 0;
  let c = 0;
  let x = 0;
  for (let p = 0; p < profiles; p++) {
    const user = `u${p}`;
    rows.profiles.push({
      user_id: user,
      email: r.chance(0.02) ? null : `user${p}@example.com`,
      first_name: r.pick(['Ann', 'Bob', "Zoë", "O'Neil"]),
      plan: r.chance(0.02) ? null : r.pick(['basic', 'premium', 'private']),
      country: r.pick(['US', 'GB', 'DE', 'FR', 'CA']),
      credit_score: r.chance(0.02) ? null : r.int(300, 850),
      created_at: ts(t - r.int(100, 2000) * DAY),
      is_employee: r.chance(0.05),
    });
    if (r.chance(0.1)) rows.vip_list.push({ user_id: user });
    for (let k = r.int(0, 4); k > 0; k--) {
      const account = `a${a++}`;
      const type = r.pick(['checking', 'savings', 'credit', 'credit']);
      rows.accounts.push({ account_id: account, user_id: user, type, status: r.pick(['open', 'open', 'closed', 'frozen']), balance: r.int(0, 30_000), opened_at: day(t - r.int(0, 2500) * DAY) });
      if (type !== 'credit') continue;
      for (let n = r.int(1, 3); n > 0; n--) {
        const card = `c${c++}`;
        rows.credit_cards.push({
          card_id: card,
          account_id: account,
          tier: r.pick(['classic', 'gold', 'platinum']),
          credit_limit: r.pick([1000, 5000, 10000]),
          balance: r.int(0, 6000),
          due_date: day(t + r.int(-40, 30) * DAY),
          status: r.pick(['active', 'blocked', 'closed']),
        });
        for (let m = r.chance(0.2) ? r.int(5, 25) : r.int(0, 4); m > 0; m--) {
          rows.transactions.push({
            transaction_id: `t${x++}`,
            card_id: card,
            amount: r.int(1, 2000),
            merchant: r.pick(['Air', 'Shop', "Joe's; --"]),
            category: r.chance(0.4) ? 'travel' : r.pick(categories),
            ts: ts(t - r.int(0, 180 * 24) * 3_600_000),
            is_international: r.chance(0.2),
          });
        }
        for (let m = r.int(0, 2); m > 0; m--) rows.card_offers.push({ card_offer_id: `co${rows.card_offers.length}`, card_id: card, offer_id: `o${r.int(0, 11)}`, activated_at: ts(t - r.int(0, 90) * DAY) });
      }
    }
    for (let e = r.int(0, 6); e > 0; e--) {
      const payment = r.chance(0.5);
      rows.events.push({
        event_id: `e${rows.events.length}`,
        user_id: user,
        event: payment ? 'Payment Made' : r.pick(['Login', 'Card Activated', 'Statement Viewed']),
        ts: ts(t - r.int(0, 180 * 24) * 3_600_000),
        properties: JSON.stringify(
          payment ? { amount: r.int(5, 500), method: r.pick(['ach', 'card', 'check']), card_id: `c${r.int(0, Math.max(0, c - 1))}` } : { device: r.pick(['ios', 'android', 'web']) },
        ),
      });
    }
  }
  const V = 'VARCHAR' as const;
  return {
    graph: bank.graph,
    classicAudiences: bank.classicAudiences,
    linked: {},
    now,
    tables: [
      {
        ref: 'main.profiles',
        columns: [
          { name: 'user_id', type: V },
          { name: 'email', type: V },
          { name: 'first_name', type: V },
          { name: 'plan', type: V },
          { name: 'country', type: V },
          { name: 'credit_score', type: 'INTEGER' },
          { name: 'created_at', type: 'TIMESTAMP' },
          { name: 'is_employee', type: 'BOOLEAN' },
        ],
        rows: rows.profiles,
      },
      {
        ref: 'main.accounts',
        columns: [
          { name: 'account_id', type: V },
          { name: 'user_id', type: V },
          { name: 'type', type: V },
          { name: 'status', type: V },
          { name: 'balance', type: 'DOUBLE' },
          { name: 'opened_at', type: 'DATE' },
        ],
        rows: rows.accounts,
      },
      {
        ref: 'main.credit_cards',
        columns: [
          { name: 'card_id', type: V },
          { name: 'account_id', type: V },
          { name: 'tier', type: V },
          { name: 'credit_limit', type: 'DOUBLE' },
          { name: 'balance', type: 'DOUBLE' },
          { name: 'due_date', type: 'DATE' },
          { name: 'status', type: V },
        ],
        rows: rows.credit_cards,
      },
      {
        ref: 'main.transactions',
        columns: [
          { name: 'transaction_id', type: V },
          { name: 'card_id', type: V },
          { name: 'amount', type: 'DOUBLE' },
          { name: 'merchant', type: V },
          { name: 'category', type: V },
          { name: 'ts', type: 'TIMESTAMP' },
          { name: 'is_international', type: 'BOOLEAN' },
        ],
        rows: rows.transactions,
      },
      {
        ref: 'main.offers',
        columns: [
          { name: 'offer_id', type: V },
          { name: 'name', type: V },
          { name: 'category', type: V },
          { name: 'expires_at', type: 'DATE' },
        ],
        rows: rows.offers,
      },
      {
        ref: 'main.card_offers',
        columns: [
          { name: 'card_offer_id', type: V },
          { name: 'card_id', type: V },
          { name: 'offer_id', type: V },
          { name: 'activated_at', type: 'TIMESTAMP' },
        ],
        rows: rows.card_offers,
      },
      {
        ref: 'main.events',
        columns: [
          { name: 'event_id', type: V },
          { name: 'user_id', type: V },
          { name: 'event', type: V },
          { name: 'ts', type: 'TIMESTAMP' },
          { name: 'properties', type: 'JSON' },
        ],
        rows: rows.events,
      },
      { ref: 'main.vip_list', columns: [{ name: 'user_id', type: V }], rows: rows.vip_list },
      {
        ref: 'LINKED_AUDIENCES.membership',
        columns: [
          { name: 'audience_key', type: V },
          { name: 'profile_id', type: V },
        ],
        rows: [],
      },
    ],
  };
}
