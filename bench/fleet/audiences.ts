import type { Desired } from '../../src/model/desired.js';
import { bank } from '../../test/fixtures/bank.js';

/*
 * The fleet: the bank example's four audiences (all enabled) and generated variations over the
 * same Data Graph, each with one emitter to one local webhook. The variations cycle through
 * templates that use what the bank audiences use, with other thresholds: nested entity conditions
 * (accounts.cards, accounts.cards.transactions), event conditions with windows (and their
 * negation), and audience references (linked audiences, bank or generated, and the classic VIP
 * list). Thresholds are chosen so that most audiences hold a few percent of the profiles.
 */

type Condition = Desired['audiences'][number]['condition'];

const cardsWhere = (where: unknown) => ({
  kind: 'entity',
  relationship: 'accounts',
  count: { op: 'at_least', value: 1 },
  where: { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 1 }, where },
});
const trait = (trait: string, operator: string, value: unknown) => ({ kind: 'trait', trait, operator, value });
const within = (amount: number) => ({ type: 'within', amount, unit: 'days' });
const linked = (audience: string, negate = false) => ({ kind: 'audience', audience, source: 'linked', negate });

/** Variation `i` (0-based): its condition, from one of six templates, thresholds moving with i. */
function variation(i: number, earlier: string[]): Condition {
  const step = Math.floor(i / 6);
  const countries = [['US'], ['GB', 'IE'], ['DE', 'FR'], ['CA'], ['ES', 'IT'], ['NL', 'AU']][i % 6]!;
  switch (i % 6) {
    case 0:
      // Nested entity: a card of a given tier over a share of its limit.
      return {
        kind: 'and',
        conditions: [
          trait('plan', 'one_of', ['premium', 'private']),
          cardsWhere({
            kind: 'and',
            conditions: [
              { kind: 'column', column: 'tier', operator: 'equals', value: { literal: ['gold', 'platinum', 'classic'][step % 3] } },
              { kind: 'column', column: 'balance', operator: 'gt', value: { literal: 2000 + 1500 * step } },
              { kind: 'column', column: 'status', operator: 'equals', value: { literal: 'active' } },
            ],
          }),
        ],
      } as Condition;
    case 1:
      // Three levels deep: transactions of a category on a card, counted in a window.
      return {
        kind: 'and',
        conditions: [
          trait('country', 'one_of', countries),
          cardsWhere({
            kind: 'entity',
            relationship: 'transactions',
            count: { op: 'at_least', value: 2 + (step % 2) },
            where: {
              kind: 'and',
              conditions: [
                { kind: 'column', column: 'category', operator: 'equals', value: { literal: ['electronics', 'travel', 'dining', 'fuel', 'groceries'][step % 5] } },
                { kind: 'column', column: 'amount', operator: 'gt', value: { literal: [200, 400, 60, 80, 120][step % 5] } },
                { kind: 'column', column: 'ts', operator: 'within_last', value: { amount: 30 + 30 * (step % 3), unit: 'days' } },
              ],
            },
          }),
        ],
      } as Condition;
    case 2:
      // Events in a window: frequent logins with a good credit score.
      return {
        kind: 'and',
        conditions: [
          trait('credit_score', 'gte', { literal: 760 + 10 * step }),
          { kind: 'event', name: 'Login', where: [], count: { op: 'at_least', value: 3 + step }, window: within(30 + 15 * step) },
        ],
      } as Condition;
    case 3:
      // No payment of at least an amount in a window, with a large card balance.
      return {
        kind: 'and',
        conditions: [
          trait('plan', 'equals', { literal: ['private', 'premium', 'basic'][step % 3] }),
          cardsWhere({ kind: 'column', column: 'balance', operator: 'gt', value: { literal: 4000 + 2000 * step } }),
          {
            kind: 'not',
            condition: {
              kind: 'event',
              name: 'Payment Made',
              where: [{ property: 'amount', operator: 'gte', value: { literal: 50 + 50 * step } }],
              count: { op: 'at_least', value: 1 },
              window: within(14 + 7 * step),
            },
          },
        ],
      } as Condition;
    case 4:
      // Audience references: an earlier audience (linked) or the classic VIP list, narrowed by traits.
      return {
        kind: 'and',
        conditions: [
          {
            kind: 'or',
            conditions: [linked(earlier[(step * 3) % earlier.length]!), { kind: 'audience', audience: 'vip-list', source: 'classic', negate: false }],
          },
          trait('country', 'one_of', ['US', 'GB', 'CA', 'DE'].slice(0, 2 + (step % 3))),
        ],
      } as Condition;
    default:
      // Savings with no recent statement view, not in an earlier audience.
      return {
        kind: 'and',
        conditions: [
          {
            kind: 'entity',
            relationship: 'accounts',
            count: { op: 'at_least', value: 1 },
            where: {
              kind: 'and',
              conditions: [
                { kind: 'column', column: 'type', operator: 'equals', value: { literal: 'savings' } },
                { kind: 'column', column: 'balance', operator: 'gte', value: { literal: 20_000 + 10_000 * step } },
              ],
            },
          },
          { kind: 'event', name: 'Statement Viewed', where: [], count: { op: 'exactly', value: 0 }, window: within(45 + 15 * step) },
          linked(earlier[(step * 5 + 1) % earlier.length]!, true),
        ],
      } as Condition;
  }
}

/** The bank's Desired with `count` enabled audiences (the bank's four first), one webhook, one emitter each. */
export function fleetDesired(count: number, webhookUrl: string): Desired {
  const audiences: Desired['audiences'] = bank.audiences.map((a) => ({ ...a, enabled: true, schedule: { type: 'interval', every: '15m' } }));
  for (let i = 0; audiences.length < count; i++) {
    const key = `fleet-${String(i + 1).padStart(2, '0')}`;
    audiences.push({
      key,
      name: `Fleet ${i + 1}`,
      enabled: true,
      schedule: { type: 'interval', every: '15m' },
      preventDestroy: false,
      condition: variation(
        i,
        audiences.map((a) => a.key),
      ),
    } as Desired['audiences'][number]);
  }
  audiences.length = count;
  const destination = { key: 'fleet-webhook', name: 'Fleet webhook', type: 'webhook', preventDestroy: false, settings: { url: `${webhookUrl}/hook`, batch: true } };
  // The bank's own emitters keep their triggers (entity added and removed, entered, exited); the
  // variations send every membership change, current members included.
  const bankEmitters = new Map([...bank.emitters].reverse().map((e) => [e.audience, e]));
  const emitters = audiences.map((a) => {
    const own = bankEmitters.get(a.key);
    return own
      ? { ...own, destination: destination.key }
      : { key: `${a.key}-changes`, audience: a.key, destination: destination.key, trigger: 'audience_membership_changed', sendForCurrent: true, enrich: { traits: ['email'], entities: [] }, preventDestroy: false };
  });
  return { ...bank, stack: 'fleet', audiences, destinations: [destination], emitters } as Desired;
}
