import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from 'node-sql-parser';
import { describe, expect, it } from 'vitest';
import { Desired } from '../../src/model/desired.js';
import { compileEntityMatches, compileMembership, compileMembershipMatches, type CompileContext, type CompiledQuery } from '../../src/sql/index.js';
import type { Dialect } from '../../src/dialect/dialect.js';
import { bank } from '../fixtures/bank.js';

/*
 * Golden SQL for the bank example's audiences, per dialect, compared exactly. After an intended
 * change of the compiled SQL, regenerate and review the diff:
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/sql/golden.test.ts
 *
 * Each Snowflake statement is also parsed by an independent grammar, node-sql-parser in Snowflake
 * mode. That grammar rejects the `?` placeholder (Snowflake itself accepts `?` and `:N` binds), so
 * the test asserts the rejection (it notices if the parser learns `?`) and parses the statement
 * with `:1`, `:2`, ... in place of the placeholders, which the grammar accepts.
 */
const { Parser } = pkg;
const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const NOW = new Date('2026-11-28T12:00:00Z');

/** The compute layer passes its membership snapshot table for linked audiences it has computed. */
function contextFor(dialect: Dialect): CompileContext {
  return {
    dialect,
    graph: bank.graph,
    classicAudiences: bank.classicAudiences,
    linkedAudience: (key) => ({ kind: 'snapshot', table: { schema: 'LINKED_AUDIENCES', name: 'membership' }, audienceKey: key }),
    now: NOW,
  };
}

interface GoldenCase {
  file: string;
  compile: (ctx: CompileContext) => CompiledQuery;
}

const cases: GoldenCase[] = [
  ...bank.audiences.map((a) => ({ file: a.key, compile: (ctx: CompileContext) => compileMembership(a.condition, ctx) })),
  ...bank.emitters
    .filter((e) => e.entityPath)
    .filter((e, i, all) => all.findIndex((x) => x.audience === e.audience && x.entityPath!.join('.') === e.entityPath!.join('.')) === i)
    .map((e) => {
      const audience = bank.audiences.find((a) => a.key === e.audience)!;
      return {
        file: `${e.audience}.entities.${e.entityPath!.join('.')}`,
        compile: (ctx: CompileContext) => compileEntityMatches(audience.condition, e.entityPath!, ctx),
      };
    }),
  // overdue-cards' members and card matches in one query (the compute run's path for it).
  {
    file: 'overdue-cards.members-with-entities.accounts.cards',
    compile: (ctx: CompileContext) => compileMembershipMatches(bank.audiences.find((a) => a.key === 'overdue-cards')!.condition, ['accounts', 'cards'], ctx)!,
  },
];

/** Replaces each `?` outside quoted identifiers with a numbered `:N` bind. */
function numberedBinds(sql: string): string {
  let n = 0;
  return sql.replace(/"(?:[^"]|"")*"|\?/g, (m) => (m === '?' ? `:${++n}` : m));
}

function golden(name: string, content: string): string {
  const path = join(GOLDEN, name);
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE) throw new Error(`missing golden file ${path}; run with UPDATE_GOLDEN=1 to create it`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, content);
  }
  return readFileSync(path, 'utf8');
}

describe('golden SQL of the bank audiences', () => {
  it('the fixture is a valid stack', () => {
    expect(Desired.parse(bank)).toEqual(bank);
  });

  const params: Record<string, unknown[]> = {};
  for (const c of cases) {
    for (const dialect of ['duckdb', 'snowflake'] as const) {
      it(`${c.file}.${dialect}.sql`, () => {
        const q = c.compile(contextFor(dialect));
        expect(q.sql).toBe(golden(`${c.file}.${dialect}.sql`, q.sql + '\n').replace(/\n$/, ''));
        params[`${c.file}.${dialect}`] = q.params;
      });
    }
  }

  it('bound values, per statement', () => {
    const text = JSON.stringify(params, null, 2) + '\n';
    expect(text).toBe(golden('params.json', text));
  });
});

describe('Snowflake statements parse with node-sql-parser (Snowflake mode)', () => {
  const parser = new Parser();
  for (const c of cases) {
    it(`${c.file}.snowflake.sql`, () => {
      const sql = c.compile(contextFor('snowflake')).sql;
      // Rejected construct: the `?` placeholder itself. If this starts passing, drop the rewrite below.
      expect(() => parser.astify(sql, { database: 'snowflake' })).toThrow(/Expected .* but "\?" found/);
      const ast = parser.astify(numberedBinds(sql), { database: 'snowflake' });
      const statements = Array.isArray(ast) ? ast : [ast];
      expect(statements).toHaveLength(1);
      expect(statements[0].type).toBe('select');
      // The grammar saw every table the statement reads.
      const tables = parser.tableList(numberedBinds(sql), { database: 'snowflake' }).map((t) => t.split('::').slice(1).join('.'));
      expect(tables).toContain('main.profiles');
    });
  }
});
