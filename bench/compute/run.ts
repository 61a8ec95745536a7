/*
 * Compute benchmark on the bank data (not part of npm test):
 *   npx tsx bench/compute/run.ts [profiles] [reps]  (default 1,000,000 profiles, 7 reps; PROFILES / REPS env also work)
 *   BANK_DB=/tmp/bank-1m.duckdb npx tsx ...        (generate once, reuse a copy on later runs)
 *   AUDIENCES=overdue-cards npx tsx ...            (some of the three bank audiences, comma-separated)
 *
 * For each enabled bank audience it measures, in the same process and warehouse:
 * - bare: the compiled membership query alone, materialized (CREATE TEMP TABLE AS);
 * - the full run (membership, entity matches, diff, outbox, snapshot), between two bare queries
 *   (compared with their mean), so both see the same data, caches and machine load;
 * in three phases: the baseline (first run), unchanged data, and after 1 % of the rows of every
 * table changed. The last two are repeated `reps` times (each "changed" rep changes a different
 * 1 %), and the ratio reported is the median of the per-pair ratios run / bare (goal <= 1.5): on a
 * shared machine a single pair can be off by 2x either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileAudience } from '../../src/compute/compile.js';
import type { ComputeModel } from '../../src/compute/model.js';
import { runAudience } from '../../src/compute/run.js';
import type { RunSummary } from '../../src/compute/types.js';
import { migrateState } from '../../src/state/migrate.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { bank } from '../../test/fixtures/bank.js';
import { changeOnePercent } from '../bank-change.js';
import { prepareBankWarehouse } from '../bank-warehouse.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const PROFILES = Number(args[0] ?? process.env.PROFILES ?? 1_000_000);
const REPS = Number(args[1] ?? process.env.REPS ?? 7);
const SCHEMA = 'LINKED_AUDIENCES';
const BANK_AUDIENCES = ['overdue-cards', 'travel-spenders', 'dormant-savers'];
const AUDIENCES = process.env.AUDIENCES ? process.env.AUDIENCES.split(',') : BANK_AUDIENCES;
for (const key of AUDIENCES) if (!BANK_AUDIENCES.includes(key)) throw new Error(`AUDIENCES: ${key} is not one of ${BANK_AUDIENCES.join(', ')}`);

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [r, ms(t0)];
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);

async function stepTimes(wh: Warehouse, key: string, compile: () => ReturnType<typeof compileAudience>) {
  const steps: Record<string, number> = {};
  let last = process.hrtime.bigint();
  let current = 'kickoff';
  const [summary, total] = await timed(() =>
    runAudience(wh, {
      schema: SCHEMA,
      audienceKey: key,
      trigger: 'manual',
      compile,
      // Time between events goes to the step in progress; a row count event closes a sub-step
      // (the membership query, each entity-match query) of update-model.
      onProgress: (p) => {
        const dt = ms(last);
        last = process.hrtime.bigint();
        const label = p.rows !== undefined ? `${p.step}: ${p.message}` : current;
        steps[label] = (steps[label] ?? 0) + dt;
        if (p.rows === undefined) current = p.step;
      },
    }),
  );
  steps[current] = (steps[current] ?? 0) + ms(last);
  return { summary, total, steps };
}

const dir = mkdtempSync(join(tmpdir(), 'linked-bench-compute-'));
const path = join(dir, 'bank.duckdb');
try {
  const genMs = await prepareBankWarehouse(path, PROFILES);
  const wh = await openDuckDb(path);
  await migrateState(wh, SCHEMA);
  const sizes = await wh.query<{ t: string; n: number }>(
    `SELECT 'profiles' t, COUNT(*) n FROM main.profiles UNION ALL SELECT 'accounts', COUNT(*) FROM main.accounts
     UNION ALL SELECT 'credit_cards', COUNT(*) FROM main.credit_cards UNION ALL SELECT 'transactions', COUNT(*) FROM main.transactions
     UNION ALL SELECT 'events', COUNT(*) FROM main.events`,
  );
  console.log(`bank data: ${sizes.rows.map((r) => `${r.t} ${Number(r.n).toLocaleString('en-US')}`).join(', ')} (generated in ${f(genMs)})`);
  const model: ComputeModel = { graph: bank.graph, audiences: bank.audiences, classicAudiences: bank.classicAudiences, emitters: bank.emitters };
  const now = new Date();
  const compile = (key: string) => () => compileAudience(model, key, { dialect: 'duckdb', stateSchema: SCHEMA, now });

  type Pair = { bare: number; total: number; steps: Record<string, number>; s: RunSummary };
  const phases = [
    { name: 'baseline', reps: 1 },
    { name: 'unchanged', reps: REPS },
    { name: 'after 1 % changed', reps: REPS },
  ] as const;
  const results = new Map<string, Map<string, Pair[]>>(AUDIENCES.map((k) => [k, new Map()]));
  for (const phase of phases) {
    for (let rep = 0; rep < phase.reps; rep++) {
      if (phase.name === 'after 1 % changed') await changeOnePercent(wh, `chg${rep}`);
      await wh.query('CHECKPOINT');
      for (const key of AUDIENCES) {
        // The bare query runs right before the run and right after it, on the same data and warm
        // caches; the run is compared with the mean of the two, so load that changes during the
        // pair weighs on both sides. Both sides are warmed: the bare query once, and the run's
        // entity-match queries once (a count), so that neither pays for reading columns from disk
        // that the other already has in memory (after a change, about 60 ms for the cards).
        const compiled = compile(key)();
        const q = compiled.membership;
        const materialize = () => wh.query(`CREATE OR REPLACE TEMP TABLE bare_membership AS ${q.sql}`, q.params);
        await materialize();
        for (const e of compiled.entities) await wh.query(`SELECT COUNT(*) AS n FROM (${e.query.sql}) w`, e.query.params);
        const [, before] = await timed(materialize);
        const { summary, total, steps } = await stepTimes(wh, key, compile(key));
        const [, after] = await timed(materialize);
        await wh.query('DROP TABLE IF EXISTS bare_membership');
        const bare = (before + after) / 2;
        if (summary.status !== 'Live') throw new Error(`${key}: ${summary.error?.code} ${summary.error?.message}`);
        const pairs = results.get(key)!;
        pairs.set(phase.name, [...(pairs.get(phase.name) ?? []), { bare, total, steps, s: summary }]);
      }
    }
  }

  console.log(
    `\nprofiles: ${PROFILES.toLocaleString('en-US')}; wall clock on this machine; ratio = full run / bare membership query (materialized), ` +
      `median over ${REPS} pairs (baseline: one pair)\n`,
  );
  const summary: Record<string, Record<string, number>> = {};
  for (const [key, byPhase] of results) {
    console.log(`${key}:`);
    for (const [phase, pairs] of byPhase) {
      const ratios = pairs.map((p) => p.total / p.bare);
      const ratio = median(ratios);
      const mid = pairs[ratios.indexOf(ratio)]!;
      const s = mid.s;
      (summary[key] ??= {})[phase] = ratio;
      console.log(
        `  ${phase}: ratio ${ratio.toFixed(2)} (pairs: ${ratios.map((r) => r.toFixed(2)).join(' ')}); median pair: ${f(mid.total)} vs bare ${f(mid.bare)}, ` +
          `members ${s.members} +${s.entered} -${s.exited} entities +${s.entitiesAdded} -${s.entitiesRemoved}\n` +
          `     steps: ${Object.entries(mid.steps).map(([k, v]) => `${k} ${f(v)}`).join(', ')}`,
      );
    }
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(summary));
  await wh.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
