import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition, Count, EntityPredicate } from '../../src/model/condition.js';
import { compileMembership } from '../../src/sql/index.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { contextFor } from '../support/context.js';
import { loadWorld } from '../support/load.js';
import { Reference } from '../support/reference.js';
import { smallWorld } from '../support/small-world.js';
import type { World } from '../support/world.js';

/*
 * Every operator, count form, window and audience source on a small hand-built world whose values
 * sit on the edges (test/support/small-world.ts). Each case also checks its `not`: the two-valued
 * complement, which is where NULL handling goes wrong.
 */
const ALL = ['p1', 'p2', 'p3', 'p4'];

const trait = (t: string, rest: object): Condition => ({ kind: 'trait', trait: t, ...rest }) as Condition;
const accounts = (count: Count, where?: EntityPredicate): Condition => ({ kind: 'entity', relationship: 'accounts', count, ...(where ? { where } : {}) });
const column = (c: string, rest: object): EntityPredicate => ({ kind: 'column', column: c, ...rest }) as EntityPredicate;
const atLeast = (value: number): Count => ({ op: 'at_least', value });
const exactly = (value: number): Count => ({ op: 'exactly', value });
const atMost = (value: number): Count => ({ op: 'at_most', value });

const CASES: [string, Condition, string[]][] = [
  // strings: case-sensitive, NULL never matches, not even negative operators
  ['equals', trait('name', { operator: 'equals', value: { literal: 'Alice' } }), ['p1']],
  ['not_equals', trait('name', { operator: 'not_equals', value: { literal: 'Alice' } }), ['p2', 'p4']],
  ['equals a trait', trait('name', { operator: 'equals', value: { trait: 'other' } }), ['p1', 'p4']],
  ['not_equals a trait', trait('name', { operator: 'not_equals', value: { trait: 'other' } }), ['p2']],
  ['contains', trait('name', { operator: 'contains', value: { literal: 'lic' } }), ['p1', 'p4']],
  ['not_contains', trait('name', { operator: 'not_contains', value: { literal: 'lic' } }), ['p2']],
  ['starts_with', trait('name', { operator: 'starts_with', value: { literal: 'A' } }), ['p1']],
  ['ends_with', trait('name', { operator: 'ends_with', value: { literal: '; --' } }), ['p2']],
  ['contains %_ literally', trait('name', { operator: 'contains', value: { literal: '%' } }), []],
  ['exists', trait('name', { operator: 'exists' }), ['p1', 'p2', 'p4']],
  ['not_exists', trait('name', { operator: 'not_exists' }), ['p3']],
  ['one_of', trait('name', { operator: 'one_of', value: ['Alice', "O'Brien; --"] }), ['p1', 'p2']],
  ['none_of', trait('name', { operator: 'none_of', value: ['Alice'] }), ['p2', 'p4']],
  // numbers
  ['lt', trait('score', { operator: 'lt', value: { literal: 20 } }), ['p1', 'p4']],
  ['lte', trait('score', { operator: 'lte', value: { literal: 20 } }), ['p1', 'p2', 'p4']],
  ['gt', trait('score', { operator: 'gt', value: { literal: 10 } }), ['p2']],
  ['gte', trait('score', { operator: 'gte', value: { literal: 10 } }), ['p1', 'p2', 'p4']],
  ['number equals', trait('score', { operator: 'equals', value: { literal: 10 } }), ['p1', 'p4']],
  ['decimal gt', trait('amount', { operator: 'gt', value: { literal: 2 } }), ['p3', 'p4']],
  ['lt a trait', trait('amount', { operator: 'lt', value: { trait: 'score' } }), ['p1', 'p4']],
  ['number none_of', trait('score', { operator: 'none_of', value: [20, 30] }), ['p1', 'p4']],
  // booleans
  ['boolean equals', trait('vip', { operator: 'equals', value: { literal: true } }), ['p1', 'p4']],
  ['boolean not_equals', trait('vip', { operator: 'not_equals', value: { literal: true } }), ['p2']],
  // dates and timestamps
  ['before_date', trait('born', { operator: 'before_date', value: '2000-01-01' }), ['p3']],
  ['after_date', trait('born', { operator: 'after_date', value: '1995-01-01' }), ['p1', 'p4']],
  ['date equals', trait('born', { operator: 'equals', value: { literal: '2000-01-01' } }), ['p1', 'p4']],
  // a date-only bound is the whole day; a bound with a time is exact
  ['lte a date-only literal takes the whole day in', trait('seen', { operator: 'lte', value: { literal: '2026-11-28' } }), ['p1', 'p2', 'p4']],
  ['lte a timestamp is exact', trait('seen', { operator: 'lte', value: { literal: '2026-11-28T00:00:00' } }), ['p1', 'p4']],
  ['gt a date-only literal starts the next day', trait('seen', { operator: 'gt', value: { literal: '2026-11-27' } }), ['p2']],
  ['after_date a date-only literal starts the next day', trait('seen', { operator: 'after_date', value: '2026-11-27' }), ['p2']],
  ['gte a date-only literal starts at midnight', trait('seen', { operator: 'gte', value: { literal: '2026-11-27' } }), ['p1', 'p2']],
  ['date lt a zoned timestamp', trait('born', { operator: 'lt', value: { literal: '2000-01-01T00:00:00Z' } }), ['p3']],
  ['offset converted to UTC', trait('seen', { operator: 'gt', value: { literal: '2026-11-28T14:00:00+02:00' } }), ['p2']],
  ['offset converted, at the bound', trait('seen', { operator: 'gte', value: { literal: '2026-11-28T15:00:00+02:00' } }), ['p2']],
  ['within_last includes both bounds', trait('seen', { operator: 'within_last', value: { amount: 30, unit: 'days' } }), ['p1', 'p4']],
  ['within_last minutes', trait('seen', { operator: 'within_last', value: { amount: 1440, unit: 'minutes' } }), ['p1']],
  ['within_next', trait('seen', { operator: 'within_next', value: { amount: 2, unit: 'hours' } }), ['p2']],
  ['within_next too short', trait('seen', { operator: 'within_next', value: { amount: 59, unit: 'minutes' } }), []],
  // entity counts (accounts: p1 has 3, p2 has 1, p3 and p4 none)
  ['at_least 0', accounts(atLeast(0)), ALL],
  ['at_least 1', accounts(atLeast(1)), ['p1', 'p2']],
  ['at_least 2', accounts(atLeast(2)), ['p1']],
  ['at_least 4', accounts(atLeast(4)), []],
  ['exactly 0 (without)', accounts(exactly(0)), ['p3', 'p4']],
  ['exactly 1', accounts(exactly(1)), ['p2']],
  ['exactly 3', accounts(exactly(3)), ['p1']],
  ['at_most 0 (without)', accounts(atMost(0)), ['p3', 'p4']],
  ['at_most 1', accounts(atMost(1)), ['p2', 'p3', 'p4']],
  ['at_most 3', accounts(atMost(3)), ALL],
  ['filtered at_least 1', accounts(atLeast(1), column('balance', { operator: 'gt', value: { literal: 50 } })), ['p1', 'p2']],
  ['filtered exactly 1', accounts(exactly(1), column('balance', { operator: 'gt', value: { literal: 50 } })), ['p1', 'p2']],
  ['filtered at_most 0', accounts(atMost(0), column('balance', { operator: 'gt', value: { literal: 50 } })), ['p3', 'p4']],
  // a NULL balance fails `gt`, so its `not` counts it: p1 has a2 and a3
  [
    'not inside an entity counts NULL rows',
    accounts(atLeast(2), { kind: 'not', condition: column('balance', { operator: 'gt', value: { literal: 50 } }) }),
    ['p1'],
  ],
  ['column vs own column', accounts(atLeast(1), column('balance', { operator: 'gt', value: { relationship: 'accounts', column: 'limit' } })), ['p1']],
  ['column vs profile trait', accounts(atLeast(1), column('balance', { operator: 'lt', value: { trait: 'score' } })), ['p1']],
  ['column vs trait, counted', accounts(atLeast(2), column('balance', { operator: 'lt', value: { trait: 'score' } })), []],
  ['column vs trait, at_most', accounts(atMost(0), column('balance', { operator: 'lt', value: { trait: 'score' } })), ['p2', 'p3', 'p4']],
  ['nested count', accounts(atLeast(1), { kind: 'entity', relationship: 'cards', count: atLeast(2) }), ['p1']],
  [
    'nested column vs ancestor column',
    accounts(atLeast(1), {
      kind: 'entity',
      relationship: 'cards',
      count: atLeast(1),
      where: column('spent', { operator: 'gt', value: { relationship: 'accounts', column: 'limit' } }),
    }),
    ['p1', 'p2'],
  ],
  [
    'nested ancestor comparison, counted',
    accounts(atLeast(1), {
      kind: 'entity',
      relationship: 'cards',
      count: atLeast(2),
      where: column('spent', { operator: 'gt', value: { relationship: 'accounts', column: 'limit' } }),
    }),
    [],
  ],
  [
    'many-to-many count',
    accounts(atLeast(1), { kind: 'entity', relationship: 'cards', count: atLeast(1), where: { kind: 'entity', relationship: 'offers', count: atLeast(2) } }),
    ['p1'],
  ],
  [
    'many-to-many filtered',
    accounts(atLeast(1), {
      kind: 'entity',
      relationship: 'cards',
      count: atLeast(1),
      where: { kind: 'entity', relationship: 'offers', count: atLeast(1), where: column('category', { operator: 'equals', value: { literal: 'dining' } }) },
    }),
    ['p1', 'p2'],
  ],
  [
    'many-to-many without',
    accounts(atLeast(1), {
      kind: 'entity',
      relationship: 'cards',
      count: atLeast(1),
      where: { kind: 'entity', relationship: 'offers', count: atMost(0), where: column('category', { operator: 'equals', value: { literal: 'travel' } }) },
    }),
    ['p1', 'p2'],
  ],
  // events (p1: payments of 9 and 10 this month; p2: an old payment of 100 and a login now; p3: a login 30 days ago)
  ['performed', { kind: 'event', name: 'Payment Made', where: [], count: atLeast(1) }, ['p1', 'p2']],
  ['performed within', { kind: 'event', name: 'Payment Made', where: [], count: atLeast(1), window: { type: 'within', amount: 30, unit: 'days' } }, ['p1']],
  ['performed twice', { kind: 'event', name: 'Payment Made', where: [], count: atLeast(2), window: { type: 'within', amount: 30, unit: 'days' } }, ['p1']],
  ['not performed', { kind: 'event', name: 'Payment Made', where: [], count: exactly(0), window: { type: 'within', amount: 30, unit: 'days' } }, ['p2', 'p3', 'p4']],
  ['window bound inclusive', { kind: 'event', name: 'Login', where: [], count: atLeast(1), window: { type: 'within', amount: 30, unit: 'days' } }, ['p2', 'p3']],
  [
    'between, inclusive',
    { kind: 'event', name: 'Payment Made', where: [], count: atLeast(1), window: { type: 'between', from: '2026-09-01', to: '2026-09-01T10:00:00' } },
    ['p2'],
  ],
  ['numbers compare as numbers', { kind: 'event', name: 'Payment Made', where: [{ property: 'amount', operator: 'gt', value: { literal: 9 } }], count: atLeast(1) }, ['p1', 'p2']],
  ['number lt', { kind: 'event', name: 'Payment Made', where: [{ property: 'amount', operator: 'lt', value: { literal: 10 } }], count: atLeast(1) }, ['p1']],
  ['numeric string', { kind: 'event', name: 'Login', where: [{ property: 'amount', operator: 'equals', value: { literal: 12 } }], count: atLeast(1) }, ['p2']],
  ['nested property', { kind: 'event', name: 'Payment Made', where: [{ property: 'card.tier', operator: 'equals', value: { literal: 'gold' } }], count: atLeast(1) }, ['p1']],
  ['property one_of', { kind: 'event', name: 'Payment Made', where: [{ property: 'method', operator: 'one_of', value: ['ach'] }], count: atLeast(1) }, ['p1', 'p2']],
  ['property none_of', { kind: 'event', name: 'Payment Made', where: [{ property: 'method', operator: 'none_of', value: ['ach'] }], count: atLeast(1) }, ['p1']],
  ['property exists', { kind: 'event', name: 'Login', where: [{ property: 'device', operator: 'exists' }], count: atLeast(1) }, ['p2']],
  ['property not_exists', { kind: 'event', name: 'Login', where: [{ property: 'device', operator: 'not_exists' }], count: atLeast(1) }, ['p3']],
  // audiences
  ['classic', { kind: 'audience', audience: 'vips', source: 'classic', negate: false }, ['p2']],
  ['not part of classic', { kind: 'audience', audience: 'vips', source: 'classic', negate: true }, ['p1', 'p3', 'p4']],
  ['linked snapshot', { kind: 'audience', audience: 'snap', source: 'linked', negate: false }, ['p1', 'p3']],
  ['not part of linked snapshot', { kind: 'audience', audience: 'snap', source: 'linked', negate: true }, ['p2', 'p4']],
  ['linked inline', { kind: 'audience', audience: 'inl', source: 'linked', negate: false }, ['p1', 'p4']],
  // and / or / not
  [
    'or',
    { kind: 'or', conditions: [trait('name', { operator: 'equals', value: { literal: 'Alice' } }), trait('vip', { operator: 'equals', value: { literal: false } })] },
    ['p1', 'p2'],
  ],
  [
    'and',
    { kind: 'and', conditions: [trait('score', { operator: 'equals', value: { literal: 10 } }), trait('name', { operator: 'contains', value: { literal: 'A' } })] },
    ['p1'],
  ],
  ['not not', { kind: 'not', condition: { kind: 'not', condition: trait('name', { operator: 'not_equals', value: { literal: 'Alice' } }) } }, ['p2', 'p4']],
];

function worldWithAudiences(): World {
  const w = smallWorld();
  w.tables.push({
    ref: 'main.snapshots',
    columns: [
      { name: 'audience_key', type: 'VARCHAR' },
      { name: 'profile_id', type: 'VARCHAR' },
    ],
    rows: [
      { audience_key: 'snap', profile_id: 'p1' },
      { audience_key: 'snap', profile_id: 'p3' },
      { audience_key: 'other', profile_id: 'p2' },
    ],
  });
  w.linked = {
    snap: { kind: 'snapshot', table: { schema: 'main', name: 'snapshots' }, audienceKey: 'snap' },
    inl: { kind: 'inline', condition: trait('score', { operator: 'equals', value: { literal: 10 } }) },
  };
  return w;
}

describe('operators, counts, windows and audiences on DuckDB', () => {
  let wh: DuckDbWarehouse;
  const world = worldWithAudiences();
  const ctx = contextFor(world);
  const members = async (c: Condition) => {
    const q = compileMembership(c, ctx);
    return (await wh.query<{ profile_id: string }>(q.sql, q.params)).rows.map((r) => r.profile_id).sort();
  };
  beforeAll(async () => {
    wh = await openDuckDb(':memory:');
    await loadWorld(wh, world);
  });
  afterAll(async () => {
    await wh.close();
  });

  it.each(CASES)('%s', async (_name, condition, expected) => {
    expect(await members(condition)).toEqual(expected);
    // not: the two-valued complement, NULLs included
    expect(await members({ kind: 'not', condition })).toEqual(ALL.filter((p) => !expected.includes(p)));
    // and the reference evaluator agrees with the hand-written expectation
    expect([...new Reference(world).membership(condition)].sort()).toEqual(expected);
  });

  it('binds `now` and the window as parameters, so a later `now` moves the window', async () => {
    const c = trait('seen', { operator: 'within_last', value: { amount: 30, unit: 'days' } });
    const later = compileMembership(c, { ...ctx, now: new Date('2026-11-28T13:00:00Z') });
    expect(later.params).toContain('2026-11-28 13:00:00.000');
    const rows = (await wh.query<{ profile_id: string }>(later.sql, later.params)).rows.map((r) => r.profile_id).sort();
    expect(rows).toEqual(['p1', 'p2']);
  });

  it('counts with a filter that reaches outside use a per-parent count; others one grouped pass', () => {
    const correlated = compileMembership(accounts(atLeast(2), column('balance', { operator: 'lt', value: { trait: 'score' } })), ctx).sql;
    expect(correlated).not.toContain('GROUP BY');
    expect(correlated).toMatch(/\(\s*SELECT COUNT\(\*\) AS "n"/);
    const grouped = compileMembership(accounts(atLeast(2), column('balance', { operator: 'gt', value: { literal: 1 } })), ctx).sql;
    expect(grouped).toContain('GROUP BY');
    expect(grouped).toContain('HAVING COUNT(*) >= ?');
  });

  it('never wraps two-valued predicates in COALESCE, and does wrap nullable ones under not', () => {
    const correlatedExists = accounts(atLeast(1), column('balance', { operator: 'lt', value: { trait: 'score' } }));
    expect(compileMembership({ kind: 'not', condition: correlatedExists }, ctx).sql).toContain('NOT EXISTS');
    expect(compileMembership({ kind: 'not', condition: correlatedExists }, ctx).sql).not.toContain('COALESCE');
    expect(compileMembership({ kind: 'not', condition: trait('score', { operator: 'gt', value: { literal: 1 } }) }, ctx).sql).toContain('NOT COALESCE(');
  });
});
