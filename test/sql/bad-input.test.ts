import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition } from '../../src/model/condition.js';
import { LinkedError } from '../../src/model/errors.js';
import { compileEntityMatches, compileMembership } from '../../src/sql/index.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { contextFor } from '../support/context.js';
import { generateCase } from '../support/generate.js';
import { loadWorld } from '../support/load.js';
import { smallWorld } from '../support/small-world.js';

/*
 * Hostile names and values: quotes, semicolons, comment markers and unicode in literals, column
 * names, table and schema names. They must reach the warehouse as bound values or quoted
 * identifiers, never as SQL.
 */
const EVIL = `x'); DROP TABLE "victim"; -- /* é😀 */`;

/** The `?` placeholders of a statement, skipping quoted identifiers (which may contain `?`). */
function placeholders(sql: string): number {
  return (sql.replace(/"(?:[^"]|"")*"/g, '').match(/\?/g) ?? []).length;
}

/** The SQL with quoted identifiers removed: what remains must hold no user text. */
const unquoted = (sql: string) => sql.replace(/"(?:[^"]|"")*"/g, '""');

describe('hostile input is bound or quoted', () => {
  let wh: DuckDbWarehouse;
  const world = smallWorld({ schema: `sch"ema; --é`, profiles: `pro"files; DROP TABLE victim; --`, name: `na"me /* c */ --;😀` });
  const ctx = contextFor(world);
  const nameColumn = `na"me /* c */ --;😀`;
  beforeAll(async () => {
    wh = await openDuckDb(':memory:');
    await wh.query('CREATE TABLE "victim" (x INTEGER)');
    await loadWorld(wh, world);
  });
  afterAll(async () => {
    await wh.close();
  });

  it('literals are parameters: the statement text never contains them', async () => {
    const c: Condition = {
      kind: 'or',
      conditions: [
        { kind: 'trait', trait: nameColumn, operator: 'equals', value: { literal: EVIL } },
        { kind: 'trait', trait: nameColumn, operator: 'one_of', value: [EVIL, "O'Brien; --"] },
        { kind: 'trait', trait: nameColumn, operator: 'contains', value: { literal: "'; --" } },
        {
          kind: 'event',
          name: EVIL,
          where: [{ property: `pro"p'; --`, operator: 'equals', value: { literal: EVIL } }],
          count: { op: 'at_least', value: 1 },
        },
      ],
    };
    const q = compileMembership(c, ctx);
    expect(unquoted(q.sql)).not.toContain("'");
    expect(unquoted(q.sql)).not.toContain('--');
    expect(unquoted(q.sql)).not.toContain(';');
    expect(q.params).toContain(EVIL);
    expect(placeholders(q.sql)).toBe(q.params.length);
    const rows = (await wh.query<{ profile_id: string }>(q.sql, q.params)).rows.map((r) => r.profile_id);
    // O'Brien; -- matches one_of and contains, as a value
    expect(rows).toEqual(['p2']);
    expect((await wh.query('SELECT COUNT(*) AS n FROM "victim"')).rows[0].n).toBe(0);
  });

  it('schema, table and column names are quoted, with embedded quotes doubled', async () => {
    const c: Condition = {
      kind: 'and',
      conditions: [
        { kind: 'trait', trait: nameColumn, operator: 'exists' },
        { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'limit', operator: 'gt', value: { literal: 10 } } },
      ],
    };
    const q = compileMembership(c, ctx);
    expect(q.sql).toContain('"sch""ema; --é"."pro""files; DROP TABLE victim; --"');
    expect(q.sql).toContain('"na""me /* c */ --;😀"');
    // `limit` is a reserved word: quoting makes it a plain column
    expect(q.sql).toContain('"limit"');
    expect((await wh.query<{ profile_id: string }>(q.sql, q.params)).rows.map((r) => r.profile_id).sort()).toEqual(['p1', 'p2']);
    const m = compileEntityMatches(c, ['accounts'], ctx);
    expect((await wh.query(m.sql, m.params)).rows.length).toBe(4);
    expect((await wh.query('SELECT COUNT(*) AS n FROM "victim"')).rows[0].n).toBe(0);
  });

  it('every generated statement has exactly one bound value per placeholder, in both dialects', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const g = generateCase(seed);
      for (const dialect of ['duckdb', 'snowflake'] as const) {
        const q = compileMembership(g.condition, contextFor(g.world, dialect));
        expect(placeholders(q.sql), `seed ${seed} ${dialect}`).toBe(q.params.length);
        for (const p of g.paths) {
          const m = compileEntityMatches(g.condition, p, contextFor(g.world, dialect));
          expect(placeholders(m.sql), `seed ${seed} ${dialect} ${p.join('.')}`).toBe(m.params.length);
        }
      }
    }
  });

  it('a value that is not valid Unicode (a lone surrogate) is refused, not silently changed', () => {
    const c: Condition = { kind: 'trait', trait: nameColumn, operator: 'contains', value: { literal: '😀'.slice(0, 1) } };
    expect(() => compileMembership(c, ctx)).toThrow(/not valid Unicode text/);
    expect(compileMembership({ ...c, value: { literal: '😀' } }, ctx).params).toContain('😀');
  });

  it('an identifier with a NUL character is refused', () => {
    const c: Condition = { kind: 'trait', trait: nameColumn, operator: 'exists' };
    const bad = smallWorld({ name: 'a\u0000b' });
    expect(() => compileMembership({ ...c, trait: 'a\u0000b' }, contextFor(bad))).toThrow(/NUL/);
  });
});

describe('conditions the graph cannot answer fail with a clear LinkedError', () => {
  const world = smallWorld();
  const ctx = contextFor(world);
  const fails = (c: Condition, message: string | RegExp) => {
    let error: unknown;
    try {
      compileMembership(c, ctx);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LinkedError);
    expect((error as LinkedError).code).toBe('INVALID_CONDITION');
    expect((error as LinkedError).message).toMatch(message);
  };
  const at1 = { op: 'at_least' as const, value: 1 };

  it('unknown relationship', () => fails({ kind: 'entity', relationship: 'nope', count: at1 }, 'Entity relationship not in Data Graph for relationship: nope'));
  it('relationship not under its parent', () =>
    fails({ kind: 'entity', relationship: 'cards', count: at1 }, 'Entity relationship not in Data Graph for entity: profile and relationship: cards'));
  it('entity missing', () => {
    const w = smallWorld();
    w.graph.entities = w.graph.entities.filter((e) => e.slug !== 'account');
    expect(() => compileMembership({ kind: 'entity', relationship: 'accounts', count: at1 }, contextFor(w))).toThrow('Entity missing from Data Graph: account');
  });
  it('column not declared for the entity', () => {
    const w = smallWorld();
    w.graph.entities[0].columns = ['balance'];
    expect(() =>
      compileMembership(
        { kind: 'entity', relationship: 'accounts', count: at1, where: { kind: 'column', column: 'limit', operator: 'exists' } },
        contextFor(w),
      ),
    ).toThrow('Entity column missing from Data Graph for Entity account and Column: limit');
  });
  it('deeper than the graph allows', () => {
    const w = smallWorld();
    w.graph.maxDepth = 3;
    const c: Condition = {
      kind: 'entity',
      relationship: 'accounts',
      count: at1,
      where: { kind: 'entity', relationship: 'cards', count: at1, where: { kind: 'entity', relationship: 'offers', count: at1 } },
    };
    expect(() => compileMembership(c, contextFor(w))).toThrow(/"offers" is 4 levels deep .* allows 3/);
  });
  it('unknown trait', () => fails({ kind: 'trait', trait: 'nope', operator: 'exists' }, 'Profile trait missing from Data Graph: nope'));
  it('column operand outside the branch', () =>
    fails(
      { kind: 'entity', relationship: 'accounts', count: at1, where: { kind: 'column', column: 'balance', operator: 'gt', value: { relationship: 'cards', column: 'spent' } } },
      /cards\.spent .* own relationship or an ancestor/,
    ));
  it('entity column in a trait condition', () =>
    fails({ kind: 'trait', trait: 'score', operator: 'gt', value: { relationship: 'accounts', column: 'balance' } }, /profile-level condition/));
  it('unknown classic audience', () => fails({ kind: 'audience', audience: 'nope', source: 'classic', negate: false }, 'Classic audience not found: nope'));
  it('event property compared with a trait', () =>
    fails(
      { kind: 'event', name: 'Login', where: [{ property: 'amount', operator: 'equals', value: { trait: 'score' } }], count: at1 },
      'Event property filter on "amount" must compare with a literal value',
    ));
  it('events without an events table', () => {
    const w = smallWorld();
    delete w.graph.events;
    expect(() => compileMembership({ kind: 'event', name: 'Login', where: [], count: at1 }, contextFor(w))).toThrow(/declares no events table/);
  });
  it('linked audiences that include each other inline', () => {
    const w = smallWorld();
    w.linked = {
      a: { kind: 'inline', condition: { kind: 'audience', audience: 'b', source: 'linked', negate: false } },
      b: { kind: 'inline', condition: { kind: 'or', conditions: [{ kind: 'audience', audience: 'a', source: 'linked', negate: true }] } },
    };
    expect(() => compileMembership({ kind: 'audience', audience: 'a', source: 'linked', negate: false }, contextFor(w))).toThrow(
      'Audience membership cycle: a -> b -> a (an audience cannot depend on its own membership)',
    );
    // Reached from outside the cycle, the message names the cycle only, in the static check's words.
    w.linked.x = { kind: 'inline', condition: { kind: 'audience', audience: 'a', source: 'linked', negate: false } };
    expect(() => compileMembership({ kind: 'audience', audience: 'x', source: 'linked', negate: false }, contextFor(w))).toThrow(
      /^Audience membership cycle: a -> b -> a \(/,
    );
  });
});
