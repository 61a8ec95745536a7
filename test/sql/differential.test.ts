import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileEntityMatches, compileMembership, compileMembershipMatches } from '../../src/sql/index.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { contextFor } from '../support/context.js';
import { features } from '../support/coverage.js';
import { generateCase } from '../support/generate.js';
import { dropWorld, loadWorld } from '../support/load.js';
import { Reference } from '../support/reference.js';

/*
 * The compiler against the reference evaluator (test/support/reference.ts) on random graphs, rows
 * and condition trees. Reproduce a failure with SQL_DIFF_SEED=<seed> (and SQL_DIFF_CASES=1).
 * SQL_DIFF_CASES raises the number of cases for a longer soak.
 */
const BASE_SEED = Number(process.env.SQL_DIFF_SEED ?? 20261128);
const CASES = Number(process.env.SQL_DIFF_CASES ?? 300);

describe('compiled SQL equals the reference evaluator (DuckDB)', () => {
  let wh: DuckDbWarehouse;
  beforeAll(async () => {
    wh = await openDuckDb(':memory:');
    await wh.query(`CREATE TABLE diff_members (audience_key VARCHAR, profile_id VARCHAR)`);
  });
  afterAll(async () => {
    await wh.close();
  });

  // Batches keep each test bounded and show progress; the totals are checked at the end.
  const BATCH = 25;
  let entityChecks = 0;
  let oneQueryChecks = 0;
  let nonEmpty = 0;
  const seen = new Map<string, number>();
  for (let start = 0; start < CASES; start += BATCH) {
    it(`cases ${start}..${Math.min(start + BATCH, CASES) - 1} from seed ${BASE_SEED}`, async () => {
      for (let i = start; i < Math.min(start + BATCH, CASES); i++) {
        const seed = BASE_SEED + i;
        const c = generateCase(seed);
        const ctx = contextFor(c.world);
        const ref = new Reference(c.world);
        for (const f of features(c.condition, c.world)) seen.set(f, (seen.get(f) ?? 0) + 1);
        try {
          await loadWorld(wh, c.world).catch((e) => {
            throw new Error(`seed ${seed} (SQL_DIFF_SEED=${seed} SQL_DIFF_CASES=1)\nloading failed: ${(e as Error).message}`);
          });
          for (const condition of [c.condition, ...(c.chained ? [c.chained] : [])]) {
            const where = () => `seed ${seed} (SQL_DIFF_SEED=${seed} SQL_DIFF_CASES=1)\ncondition: ${JSON.stringify(condition)}`;
            const q = compileMembership(condition, ctx);
            let got: string[];
            try {
              got = (await wh.query<{ profile_id: string }>(q.sql, q.params)).rows.map((r) => r.profile_id);
            } catch (e) {
              throw new Error(`${where()}\nSQL failed: ${(e as Error).message}\n${q.sql}`);
            }
            const want = [...ref.membership(condition)].sort();
            expect(new Set(got).size, `duplicate profile ids, ${where()}`).toBe(got.length);
            expect(got.sort(), where()).toEqual(want);
            if (want.length > 0) nonEmpty++;

            // The compute layer passes its staged membership instead of recomputing it: stage it here.
            await wh.query(`DELETE FROM diff_members`);
            await wh.query(`INSERT INTO diff_members SELECT 'case', profile_id FROM (${q.sql})`, q.params);
            const variants = [
              { name: 'recomputed members', options: {} },
              { name: 'staged members', options: { members: { table: { schema: 'main', name: 'diff_members' }, audienceKey: 'case' } } },
            ];
            for (const path of c.paths) for (const variant of variants) {
              const m = compileEntityMatches(condition, path, ctx, variant.options);
              let rows: { profile_id: string; entity_path: string; entity_id: string }[];
              try {
                rows = (await wh.query<{ profile_id: string; entity_path: string; entity_id: string }>(m.sql, m.params)).rows;
              } catch (e) {
                throw new Error(`${where()}\npath ${path.join('.')}: SQL failed: ${(e as Error).message}\n${m.sql}`);
              }
              const gotMatches = rows.map((r) => `${r.profile_id}|${r.entity_path}|${r.entity_id}`);
              expect(new Set(gotMatches).size, `duplicate matches, ${where()}`).toBe(gotMatches.length);
              expect(gotMatches.sort(), `path ${path.join('.')} (${variant.name}), ${where()}`).toEqual(
                [...ref.entityMatches(condition, path)].sort(),
              );
              entityChecks += gotMatches.length;
            }

            // Where one query yields both (compute's fast path): its distinct profiles are the
            // members, its rows with an entity id the matches.
            for (const path of c.paths) {
              const fused = compileMembershipMatches(condition, path, ctx);
              if (!fused) continue;
              let rows: { profile_id: string; entity_id: string | null }[];
              try {
                rows = (await wh.query<{ profile_id: string; entity_id: string | null }>(fused.sql, fused.params)).rows;
              } catch (e) {
                throw new Error(`${where()}\npath ${path.join('.')}: one-query SQL failed: ${(e as Error).message}\n${fused.sql}`);
              }
              const label = `members and matches in one query, path ${path.join('.')}, ${where()}`;
              expect([...new Set(rows.map((r) => r.profile_id))].sort(), label).toEqual(want);
              const matches = rows.filter((r) => r.entity_id !== null).map((r) => `${r.profile_id}|${path.join('.')}|${r.entity_id}`);
              expect(matches.sort(), label).toEqual([...ref.entityMatches(condition, path)].sort());
              if (want.length > 0 && matches.length > 0) oneQueryChecks++;
            }
          }
        } finally {
          await dropWorld(wh, c.world);
        }
      }
    });
  }

  it('the cases select profiles and entities often enough to prove something', () => {
    expect(nonEmpty).toBeGreaterThan(CASES / 4);
    expect(entityChecks).toBeGreaterThan(CASES / 2);
    console.log(`one query: ${oneQueryChecks}`);
    expect(oneQueryChecks, 'members and matches from one query, with both non-empty').toBeGreaterThan(CASES / 4);
  });

  it.skipIf(CASES < 200)('the cases cover every condition kind, operator, count form, join and audience source', () => {
    const operators = ['equals', 'not_equals', 'lt', 'lte', 'gt', 'gte', 'contains', 'not_contains', 'starts_with', 'ends_with', 'exists', 'not_exists', 'one_of', 'none_of', 'before_date', 'after_date', 'within_last', 'within_next'];
    const required = [
      ...operators.flatMap((o) => [`trait:${o}`, `column:${o}`]),
      ...operators.filter((o) => !['within_next'].includes(o)).map((o) => `property:${o}`),
      ...['at_least', 'exactly', 'at_most'].flatMap((op) => [0, 1, 'n'].map((v) => `count:${op}:${v}`)),
      ...['and', 'or', 'not', 'trait', 'entity', 'event', 'audience'].map((k) => `profile:${k}`),
      ...['and', 'or', 'not', 'column', 'entity'].map((k) => `entity:${k}`),
      ...['trait', 'column'].flatMap((w) => ['literal', 'trait'].map((o) => `${w}:operand:${o}`)),
      'column:operand:column',
      'join:profile', 'join:entity', 'join:junction', 'column:junction', 'timeZone',
      'window:none', 'window:within', 'window:between',
      'audience:classic:is', 'audience:classic:not', 'audience:linked:snapshot:is', 'audience:linked:snapshot:not',
      'audience:linked:inline:is', 'audience:linked:inline:not',
      'depth:2', 'depth:3', 'depth:4', 'depth:5', 'depth:6',
    ];
    expect(required.filter((f) => !seen.has(f))).toEqual([]);
  });
});
