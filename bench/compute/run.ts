/*
 * Compute benchmark on the bank data (not part of npm test):
 *   npx tsx bench/compute/run.ts [profiles]        (default 1,000,000; PROFILES env also works)
 *   BANK_DB=/tmp/bank-1m.duckdb npx tsx ...        (generate once, reuse a copy on later runs)
 *
 * For each enabled bank audience it measures, in the same process and warehouse:
 * - bare: the compiled membership query alone, materialized (CREATE TEMP TABLE AS), median of 3;
 *   and the same query under COUNT(*) (what the engine needs to merely evaluate it);
 * - run 1: the full run recording the baseline (membership, entity matches, diff, outbox);
 * - run 2: the full run with nothing changed;
 * - run 3: the full run after 1 % of the rows of every table changed.
 * Ratios are run / bare (goal: run 2 and run 3 <= 1.5).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileAudience } from '../../src/compute/compile.js';
import type { ComputeModel } from '../../src/compute/model.js';
import { runAudience } from '../../src/compute/run.js';
import { computeTables } from '../../src/compute/tables.js';
import type { RunSummary } from '../../src/compute/types.js';
import { migrateState } from '../../src/state/migrate.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { bank } from '../../test/fixtures/bank.js';
import { generateBankWarehouse } from '../../examples/bank/data.js';

const PROFILES = Number(process.argv[2] ?? process.env.PROFILES ?? 1_000_000);
const SCHEMA = 'LINKED_AUDIENCES';
const AUDIENCES = ['overdue-cards', 'travel-spenders', 'dormant-savers'];

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [r, ms(t0)];
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);

/** 1 % of the rows of every table the audiences read, changed in ways that move memberships. */
async function changeOnePercent(wh: Warehouse) {
  await wh.query(`UPDATE main.profiles SET plan = CASE plan WHEN 'basic' THEN 'premium' ELSE 'basic' END,
                    credit_score = 300 + (hash(user_id || 'x') % 550) WHERE hash(user_id || 'chg') % 100 = 0`);
  await wh.query(`UPDATE main.accounts SET balance = balance * 3 + 5000, status = CASE status WHEN 'open' THEN 'closed' ELSE 'open' END
                   WHERE hash(account_id || 'chg') % 100 = 0`);
  await wh.query(`UPDATE main.credit_cards SET balance = CASE WHEN balance > 1000 THEN 10 ELSE 5000 END WHERE hash(card_id || 'chg') % 100 = 0`);
  await wh.query(`UPDATE main.transactions SET category = 'travel', amount = amount + 600 WHERE hash(transaction_id || 'chg') % 100 = 0`);
  await wh.query(`UPDATE main.events SET event = 'Payment Made' WHERE hash(event_id || 'chg') % 100 = 0`);
}

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
  // BANK_DB=<file>: generate the bank data once into <file> and reuse a copy on later runs.
  const cached = process.env.BANK_DB;
  const [, genMs] = await timed(async () => {
    if (cached && existsSync(cached)) return copyFileSync(cached, path);
    await generateBankWarehouse(path, { profiles: PROFILES });
    if (cached) copyFileSync(path, cached);
  });
  const wh = await openDuckDb(path);
  await migrateState(wh, SCHEMA);
  const sizes = await wh.query<{ t: string; n: number }>(
    `SELECT 'profiles' t, COUNT(*) n FROM main.profiles UNION ALL SELECT 'accounts', COUNT(*) FROM main.accounts
     UNION ALL SELECT 'credit_cards', COUNT(*) FROM main.credit_cards UNION ALL SELECT 'transactions', COUNT(*) FROM main.transactions
     UNION ALL SELECT 'events', COUNT(*) FROM main.events`,
  );
  console.log(`bank data: ${sizes.rows.map((r) => `${r.t} ${Number(r.n).toLocaleString('en-US')}`).join(', ')} (generated in ${f(genMs)})`);
  const model: ComputeModel = { graph: bank.graph, audiences: bank.audiences, classicAudiences: bank.classicAudiences, emitters: bank.emitters };
  const t = computeTables(wh, SCHEMA);
  const now = new Date();
  const compile = (key: string) => () => compileAudience(model, key, { dialect: 'duckdb', membershipTable: t.membership, membershipStageTable: t.membership_stage, now });

  type Measured = { phase: string; bare: number; bareCount: number; total: number; steps: Record<string, number>; s: RunSummary };
  const results = new Map<string, Measured[]>(AUDIENCES.map((k) => [k, []]));
  for (const phase of ['baseline', 'unchanged', 'after 1 % changed'] as const) {
    if (phase === 'after 1 % changed') await changeOnePercent(wh);
    await wh.query('CHECKPOINT');
    for (const key of AUDIENCES) {
      // The bare query is measured right before the run, on the same data and the same warm caches.
      const q = compile(key)().membership;
      const bareTimes: number[] = [];
      const countTimes: number[] = [];
      for (let i = 0; i < 3; i++) {
        bareTimes.push((await timed(() => wh.query(`CREATE OR REPLACE TEMP TABLE bare_membership AS ${q.sql}`, q.params)))[1]);
        countTimes.push((await timed(() => wh.query(`SELECT COUNT(*) AS n FROM (${q.sql}) q`, q.params)))[1]);
      }
      await wh.query('DROP TABLE IF EXISTS bare_membership');
      const { summary, total, steps } = await stepTimes(wh, key, compile(key));
      if (summary.status !== 'Live') throw new Error(`${key}: ${summary.error?.code} ${summary.error?.message}`);
      results.get(key)!.push({ phase, bare: median(bareTimes), bareCount: median(countTimes), total, steps, s: summary });
    }
  }

  console.log(`\nprofiles: ${PROFILES.toLocaleString('en-US')}; wall clock on this machine; ratio = full run / bare membership query (materialized), same phase\n`);
  for (const [key, runs] of results) {
    console.log(`${key}:`);
    runs.forEach((run, i) => {
      const s = run.s;
      console.log(
        `  run ${i + 1} (${run.phase}): ${f(run.total)} vs bare ${f(run.bare)} (COUNT(*) only ${f(run.bareCount)})  ratio ${(run.total / run.bare).toFixed(2)}  ` +
          `members ${s.members} +${s.entered} -${s.exited} entities +${s.entitiesAdded} -${s.entitiesRemoved}\n` +
          `     steps: ${Object.entries(run.steps).map(([k, v]) => `${k} ${f(v)}`).join(', ')}`,
      );
    });
  }
  await wh.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
