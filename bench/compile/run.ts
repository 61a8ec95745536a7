/*
 * Compiled SQL vs expert hand-written SQL on the bank example (not part of npm test):
 *
 *   npx tsx bench/compile/run.ts [--profiles N] [--reps R] [--seed S] [--db FILE] [--json]
 *
 * Generates the bank warehouse (default 1,000,000 profiles, ~20 M transactions; --db reuses or
 * keeps a file), then for each bank audience, in the same process and warehouse:
 * - times COUNT(*) over the compiled membership query beside the hand-written count
 *   (bench/compile/handwritten.ts), alternating which goes first, R repetitions, median;
 *   the ratio compiled / hand-written is the figure (goal <= 1.10), and the counts must be equal;
 * - times a whole preview (count, 20-member sample, entity count per trigger) over the bare
 *   compiled count query: the preview's latency ratio;
 * - times the catalog check (with and without the duplicate-key scan) the CLI runs first.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateBankWarehouse, startOfUtcDay } from '../../examples/bank/data.js';
import { checkCatalog } from '../../src/graph/catalog.js';
import { previewAudience, previewContext } from '../../src/preview/preview.js';
import { compileCount, entityMatchesQuery, membershipQuery } from '../../src/sql/index.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { bank } from '../../test/fixtures/bank.js';
import { handwrittenCounts, handwrittenOverdueCardMatches, type HandQuery } from './handwritten.js';

const { values: args } = parseArgs({
  options: {
    profiles: { type: 'string', default: process.env.PROFILES ?? '1000000' },
    reps: { type: 'string', default: '5' },
    seed: { type: 'string', default: '42' },
    db: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const PROFILES = Number(args.profiles);
const REPS = Number(args.reps);
const SEED = Number(args.seed);
const NOW = startOfUtcDay();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const log = (s: string) => !args.json && process.stdout.write(s + '\n');

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t0) / 1e6];
}

const countOf = async (wh: Warehouse, q: HandQuery) => Number(Object.values((await wh.query(q.sql, q.params)).rows[0])[0]);

/**
 * Median (and best) times of two queries run alternately (each goes first in half the rounds),
 * after one warm-up each. On a shared machine the best time is the steadier estimate of the
 * query's own cost; both ratios are reported.
 */
async function duel(wh: Warehouse, a: HandQuery, b: HandQuery): Promise<{ a: number; b: number; minA: number; minB: number; countA: number; countB: number }> {
  const countA = await countOf(wh, a);
  const countB = await countOf(wh, b);
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const order: [HandQuery, number[]][] = i % 2 === 0 ? [[a, ta], [b, tb]] : [[b, tb], [a, ta]];
    for (const [q, into] of order) into.push((await time(() => countOf(wh, q)))[1]);
  }
  return { a: median(ta), b: median(tb), minA: Math.min(...ta), minB: Math.min(...tb), countA, countB };
}

async function main() {
  let path = args.db ? resolve(args.db) : undefined;
  const tmp = path ? undefined : mkdtempSync(join(tmpdir(), 'linked-bench-compile-'));
  path ??= join(tmp!, 'bank.duckdb');
  let generation: { seconds: number; counts: Record<string, number> } | undefined;
  if (!existsSync(path)) {
    log(`Generating the bank warehouse: ${PROFILES.toLocaleString('en-US')} profiles, seed ${SEED}, reference time ${NOW.toISOString()} ...`);
    const [{ counts }, ms] = await time(() => generateBankWarehouse(path!, { profiles: PROFILES, seed: SEED, now: NOW }));
    generation = { seconds: ms / 1000, counts };
    log(`  done in ${(ms / 1000).toFixed(1)} s: ${Object.entries(counts).map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ')}`);
  } else {
    log(`Reusing ${path} (reference time ${NOW.toISOString()}: generate it today for the windows to line up)`);
  }

  const wh = await openDuckDb(path);
  const results: Record<string, unknown>[] = [];
  try {
    const [, checkMs] = await time(() => checkCatalog(bank, wh));
    const [diagnostics, checkNoKeysMs] = await time(() => checkCatalog(bank, wh, { duplicateKeys: false }));
    if (diagnostics.length > 0) throw new Error(`catalog check failed: ${JSON.stringify(diagnostics)}`);
    log(`Catalog check: ${fmt(checkMs)} (with the duplicate-key scan), ${fmt(checkNoKeysMs)} without\n`);

    const hand = handwrittenCounts(NOW);
    const ctx = previewContext(bank, 'duckdb', NOW);
    log(`${'audience'.padEnd(16)} ${'members'.padStart(10)} ${'compiled'.padStart(10)} ${'hand'.padStart(10)} ${'ratio'.padStart(6)} ${'best'.padStart(6)}  ${'preview'.padStart(10)} ${'vs count'.padStart(8)}  equal`);
    for (const audience of bank.audiences) {
      const compiled = compileCount(membershipQuery(audience.condition, ctx), ctx);
      const d = await duel(wh, compiled, hand[audience.key]);
      const previews: number[] = [];
      let members = 0;
      for (let i = 0; i < REPS; i++) {
        const [p, ms] = await time(() => previewAudience(bank, wh, audience.key, { now: NOW, limit: 20 }));
        previews.push(ms);
        members = p.members;
      }
      const preview = median(previews);
      const row = {
        audience: audience.key,
        members: d.countA,
        equal: d.countA === d.countB && members === d.countA,
        compiledMs: d.a,
        handMs: d.b,
        ratio: d.a / d.b,
        bestRatio: d.minA / d.minB,
        previewMs: preview,
        previewOverCount: preview / d.a,
      };
      results.push(row);
      log(
        `${audience.key.padEnd(16)} ${d.countA.toLocaleString('en-US').padStart(10)} ${fmt(d.a).padStart(10)} ${fmt(d.b).padStart(10)} ${row.ratio.toFixed(2).padStart(6)} ${row.bestRatio.toFixed(2).padStart(6)}  ${fmt(preview).padStart(10)} ${row.previewOverCount.toFixed(2).padStart(8)}  ${row.equal ? 'yes' : `NO (hand ${d.countB})`}`,
      );
    }

    // The entity-match query behind overdue-cards' entity triggers, against its hand-written twin.
    const matches = compileCount(entityMatchesQuery(bank.audiences[0].condition, ['accounts', 'cards'], ctx), ctx);
    const m = await duel(wh, matches, handwrittenOverdueCardMatches(NOW));
    const entityRow = { audience: 'overdue-cards accounts.cards (entity matches)', members: m.countA, equal: m.countA === m.countB, compiledMs: m.a, handMs: m.b, ratio: m.a / m.b, bestRatio: m.minA / m.minB };
    results.push(entityRow);
    log(`${'overdue-cards'.padEnd(16)} ${m.countA.toLocaleString('en-US').padStart(10)} ${fmt(m.a).padStart(10)} ${fmt(m.b).padStart(10)} ${entityRow.ratio.toFixed(2).padStart(6)} ${entityRow.bestRatio.toFixed(2).padStart(6)}  (entity matches accounts.cards)  ${entityRow.equal ? 'yes' : `NO (hand ${m.countB})`}`);

    const geo = (xs: number[]) => Math.exp(xs.reduce((a, r) => a + Math.log(r), 0) / xs.length);
    const ratios = results.map((r) => r.ratio as number);
    const best = results.map((r) => r.bestRatio as number);
    log(`\nCompiled / hand-written (goal <= 1.10): medians worst ${Math.max(...ratios).toFixed(2)}, geometric mean ${geo(ratios).toFixed(2)}; best times worst ${Math.max(...best).toFixed(2)}, geometric mean ${geo(best).toFixed(2)}.`);
    log(`Medians of ${REPS} alternating repetitions after one warm-up each; one DuckDB file, ${PROFILES.toLocaleString('en-US')} profiles.`);
    if (args.json) {
      process.stdout.write(JSON.stringify({ profiles: PROFILES, seed: SEED, now: NOW.toISOString(), reps: REPS, generation, catalogCheckMs: { withKeys: checkMs, withoutKeys: checkNoKeysMs }, results }, null, 2) + '\n');
    }
    if (results.some((r) => !r.equal)) process.exitCode = 1;
  } finally {
    await wh.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
