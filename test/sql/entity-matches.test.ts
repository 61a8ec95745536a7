import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition, Count, EntityPredicate } from '../../src/model/condition.js';
import { LinkedError } from '../../src/model/errors.js';
import { compileCount, compileEntityMatches, compileMembership, entityMatchesQuery, membershipQuery } from '../../src/sql/index.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { contextFor } from '../support/context.js';
import { loadWorld } from '../support/load.js';
import { Reference } from '../support/reference.js';
import { smallWorld } from '../support/small-world.js';

/*
 * Entity matches on the small world: accounts a1 (balance 100), a2 (5), a3 (NULL) of p1, a4 (100) of
 * p2; cards c1 (spent 70), c2 (10) under a1, c3 (600) under a4; offers o1 travel, o2 dining, linked
 * c1-o1, c1-o2, c3-o2.
 */
const atLeast = (value: number): Count => ({ op: 'at_least', value });
const column = (c: string, rest: object): EntityPredicate => ({ kind: 'column', column: c, ...rest }) as EntityPredicate;
const balanceOver = (n: number) => column('balance', { operator: 'gt', value: { literal: n } });
const cardsSpentOver = (n: number): EntityPredicate => ({
  kind: 'entity',
  relationship: 'cards',
  count: atLeast(1),
  where: column('spent', { operator: 'gt', value: { literal: n } }),
});

describe('entity matches', () => {
  let wh: DuckDbWarehouse;
  const world = smallWorld();
  const ctx = contextFor(world);
  const matches = async (c: Condition, path: string[]) => {
    const q = compileEntityMatches(c, path, ctx);
    const rows = (await wh.query<{ profile_id: string; entity_path: string; entity_id: string }>(q.sql, q.params)).rows;
    const got = rows.map((r) => `${r.profile_id}|${r.entity_path}|${r.entity_id}`).sort();
    expect(got, 'the reference evaluator agrees').toEqual([...new Reference(world).entityMatches(c, path)].sort());
    return got;
  };
  beforeAll(async () => {
    wh = await openDuckDb(':memory:');
    await loadWorld(wh, world);
  });
  afterAll(async () => {
    await wh.close();
  });

  const overdue: Condition = { kind: 'entity', relationship: 'accounts', count: atLeast(1), where: cardsSpentOver(50) };

  it('returns the trigger rows that satisfy their own and their ancestors\' conditions', async () => {
    expect(await matches(overdue, ['accounts', 'cards'])).toEqual(['p1|accounts.cards|c1', 'p2|accounts.cards|c3']);
    // the accounts level: only accounts whose cards qualify (a1, a4), not every account of a member
    expect(await matches(overdue, ['accounts'])).toEqual(['p1|accounts|a1', 'p2|accounts|a4']);
  });

  it('follows many-to-many relationships', async () => {
    const c: Condition = {
      kind: 'entity',
      relationship: 'accounts',
      count: atLeast(1),
      where: {
        kind: 'entity',
        relationship: 'cards',
        count: atLeast(1),
        where: { kind: 'entity', relationship: 'offers', count: atLeast(1), where: column('category', { operator: 'equals', value: { literal: 'dining' } }) },
      },
    };
    expect(await matches(c, ['accounts', 'cards', 'offers'])).toEqual(['p1|accounts.cards.offers|o2', 'p2|accounts.cards.offers|o2']);
  });

  it('only for members', async () => {
    const c: Condition = { kind: 'and', conditions: [overdue, { kind: 'trait', trait: 'name', operator: 'equals', value: { literal: 'Alice' } }] };
    expect(await matches(c, ['accounts', 'cards'])).toEqual(['p1|accounts.cards|c1']);
  });

  it('is the union over every occurrence of the path', async () => {
    const c: Condition = {
      kind: 'or',
      conditions: [
        { kind: 'entity', relationship: 'accounts', count: atLeast(1), where: balanceOver(50) },
        { kind: 'entity', relationship: 'accounts', count: atLeast(1), where: column('balance', { operator: 'lt', value: { literal: 10 } }) },
      ],
    };
    expect(await matches(c, ['accounts'])).toEqual(['p1|accounts|a1', 'p1|accounts|a2', 'p2|accounts|a4']);
  });

  it('ignores occurrences under a not and counts of none', async () => {
    const without: Condition = { kind: 'entity', relationship: 'accounts', count: { op: 'at_most', value: 0 }, where: balanceOver(1000) };
    expect(await matches(without, ['accounts'])).toEqual([]);
    const negated: Condition = { kind: 'not', condition: { kind: 'entity', relationship: 'accounts', count: atLeast(1), where: balanceOver(1000) } };
    expect(await matches(negated, ['accounts'])).toEqual([]);
    // the profiles are members all the same
    const q = compileCount(membershipQuery(without, ctx), ctx);
    expect((await wh.query<{ n: number }>(q.sql, q.params)).rows[0].n).toBe(4);
  });

  it('keeps a nested condition that a single row cannot witness (at least 2)', async () => {
    const c: Condition = { kind: 'entity', relationship: 'accounts', count: atLeast(1), where: { kind: 'entity', relationship: 'cards', count: atLeast(2) } };
    expect(await matches(c, ['accounts', 'cards'])).toEqual(['p1|accounts.cards|c1', 'p1|accounts.cards|c2']);
    expect(await matches(c, ['accounts'])).toEqual(['p1|accounts|a1']);
  });

  it('only through an entity condition that holds for the profile (its count included)', async () => {
    const alice: Condition = { kind: 'trait', trait: 'name', operator: 'equals', value: { literal: 'Alice' } };
    const manyRich: Condition = { kind: 'entity', relationship: 'accounts', count: atLeast(3), where: balanceOver(50) };
    // p1 is a member through the name alone: a1 satisfies the filter, but "at least 3" does not hold for p1.
    expect(await matches({ kind: 'or', conditions: [alice, manyRich] }, ['accounts'])).toEqual([]);
    const fewRich: Condition = { kind: 'entity', relationship: 'accounts', count: { op: 'at_most', value: 1 }, where: balanceOver(50) };
    expect(await matches({ kind: 'or', conditions: [alice, fewRich] }, ['accounts'])).toEqual(['p1|accounts|a1', 'p2|accounts|a4']);
    const exactlyTwo: Condition = { kind: 'entity', relationship: 'accounts', count: { op: 'exactly', value: 2 }, where: column('balance', { operator: 'lt', value: { literal: 200 } }) };
    expect(await matches({ kind: 'or', conditions: [alice, exactlyTwo] }, ['accounts'])).toEqual(['p1|accounts|a1', 'p1|accounts|a2']);
  });

  it('at depth: a nested condition must hold for its parent row', async () => {
    // a1 has 2 cards, a4 one: under "any account with a big card or at least 2 cards", only a1's cards
    // come through the count; c3 comes through its own filter.
    const c: Condition = {
      kind: 'entity',
      relationship: 'accounts',
      count: atLeast(1),
      where: {
        kind: 'or',
        conditions: [
          { kind: 'entity', relationship: 'cards', count: atLeast(2), where: column('spent', { operator: 'gt', value: { literal: 5 } }) },
          { kind: 'entity', relationship: 'cards', count: atLeast(1), where: column('spent', { operator: 'gt', value: { literal: 500 } }) },
        ],
      },
    };
    expect(await matches(c, ['accounts', 'cards'])).toEqual(['p1|accounts.cards|c1', 'p1|accounts.cards|c2', 'p2|accounts.cards|c3']);
    const notBig: Condition = { kind: 'and', conditions: [overdue, { kind: 'not', condition: { kind: 'entity', relationship: 'accounts', count: atLeast(1), where: cardsSpentOver(500) } }] };
    expect(await matches(notBig, ['accounts', 'cards'])).toEqual(['p1|accounts.cards|c1']);
  });

  it('is empty, with its columns, when the condition never reaches the path', async () => {
    const q = compileEntityMatches({ kind: 'trait', trait: 'score', operator: 'gt', value: { literal: 0 } }, ['accounts', 'cards'], ctx);
    expect((await wh.query(q.sql, q.params)).rows).toEqual([]);
    const typed = await wh.query(`DESCRIBE ${q.sql}`, q.params);
    expect(typed.rows.map((r) => [r.column_name, r.column_type])).toEqual([
      ['profile_id', 'VARCHAR'],
      ['entity_path', 'VARCHAR'],
      ['entity_id', 'VARCHAR'],
    ]);
  });

  it('rejects a path that is not a path of the graph', () => {
    expect(() => compileEntityMatches(overdue, ['cards'], ctx)).toThrow(LinkedError);
    expect(() => compileEntityMatches(overdue, ['accounts', 'nope'], ctx)).toThrow(/Entity relationship not in Data Graph for relationship: accounts.nope/);
    expect(() => compileEntityMatches(overdue, [], ctx)).toThrow(LinkedError);
  });

  it('counts a compiled query for preview', async () => {
    const q = compileCount(entityMatchesQuery(overdue, ['accounts', 'cards'], ctx), ctx);
    expect(q.sql).toMatch(/^SELECT COUNT\(\*\) AS "n"/);
    expect((await wh.query<{ n: number }>(q.sql, q.params)).rows[0].n).toBe(2);
  });
});
