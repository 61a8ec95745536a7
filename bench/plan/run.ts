/**
 * Plan cost per audience at 100 and 1,000 audiences (npx tsx bench/plan/run.ts).
 *
 * For each size: a stack of N audiences with nested conditions is applied to a fresh DuckDB file;
 * then a tenth of the audiences change (condition or enabled) and we time
 *   - diff:  makePlan over state already read (pure CPU),
 *   - plan:  buildPlan end to end (read + parse the state from DuckDB, diff),
 *   - render: the terminal text of that plan,
 *   - apply: the locked transaction writing the changes and the log entry.
 * Each is the median of several runs; the 1,000 row is also shown as a ratio of the 100 row's
 * per-audience time (1.0 = linear).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Desired } from '../../src/model/desired.js';
import { applyPlanLocked, withStackLock } from '../../src/plan/apply.js';
import { buildPlan } from '../../src/plan/build.js';
import { makePlan } from '../../src/plan/make.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { migrateState } from '../../src/state/migrate.js';
import { readAppliedResources } from '../../src/state/apply/resources.js';
import { sharedSession } from '../../src/state/session.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';

const SCHEMA = 'LINKED_AUDIENCES';
const provenance = { appliedBy: 'bench', author: null, commitSha: null, branch: null, prNumber: null, repository: null, runUrl: null, ci: null };

function stack(n: number, variant: number): Desired {
  return Desired.parse({
    stack: 'bench',
    warehouse: { type: 'duckdb', path: 'bench.duckdb' },
    graph: {
      profile: { table: 'main.profiles', id: 'user_id', traits: ['plan', 'country'] },
      entities: [{ slug: 'account', name: 'Account', table: 'main.accounts', primaryKey: 'id' }],
      relationships: [{ slug: 'accounts', name: 'Accounts', entity: 'account', parent: null, join: { type: 'profile', via: 'trait', profileColumn: 'account_id', entityColumn: 'id' } }],
    },
    audiences: Array.from({ length: n }, (_, i) => ({
      key: `aud-${i}`,
      name: `Audience ${i}`,
      enabled: variant > 0 && i % 20 === 0,
      condition: {
        kind: 'and',
        conditions: [
          { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: variant > 0 && i % 20 === 1 ? 'gold' : 'premium' } },
          { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'balance', operator: 'gt', value: { literal: i } } },
          { kind: 'not', condition: { kind: 'event', name: 'Payment Made', where: [], count: { op: 'at_least', value: 1 }, window: { type: 'within', amount: 30, unit: 'days' } } },
        ],
      },
    })),
    destinations: [{ key: 'hook', type: 'webhook', settings: { url: 'https://example.test/' } }],
    emitters: Array.from({ length: Math.ceil(n / 10) }, (_, i) => ({ key: `em-${i}`, audience: `aud-${i}`, destination: 'hook', trigger: 'audience_entered' })),
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const out: number[] = [];
  if (runs > 1) await fn(); // warm-up: JIT and caches, not measured
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return median(out);
}

async function measure(n: number) {
  const wh = await openDuckDb(join(mkdtempSync(join(tmpdir(), 'linked-bench-')), 'bench.duckdb'));
  await migrateState(wh, SCHEMA);
  const session = sharedSession(wh, SCHEMA);
  const v0 = stack(n, 0);
  await withStackLock(session, 'bench', {}, async (lock) => applyPlanLocked(session, await buildPlan(wh, v0), lock, provenance));
  const v1 = stack(n, 1);
  const applied = await readAppliedResources(wh, SCHEMA, { includeDeleted: true });
  const runs = n >= 1000 ? 9 : 25;
  const diff = await time(runs, () => makePlan(v1, applied));
  const plan = await time(runs, () => buildPlan(wh, v1));
  const p = await buildPlan(wh, v1);
  const render = await time(runs, () => renderPlanText(p));
  const apply = await time(1, () => withStackLock(session, 'bench', {}, (lock) => applyPlanLocked(session, p, lock, provenance)));
  await wh.close();
  return { n, changed: p.summary.update, diff, plan, render, apply };
}

const rows = [];
for (const n of [100, 1000]) rows.push(await measure(n));
const per = (ms: number, n: number) => (ms / n) * 1000; // microseconds per audience
console.log('audiences  changed  diff µs/aud  plan µs/aud  render µs/aud  apply µs/aud (one run)');
for (const r of rows) {
  console.log(
    `${String(r.n).padStart(9)}  ${String(r.changed).padStart(7)}  ${per(r.diff, r.n).toFixed(1).padStart(11)}  ${per(r.plan, r.n).toFixed(1).padStart(11)}  ${per(r.render, r.n).toFixed(1).padStart(13)}  ${per(r.apply, r.n).toFixed(1).padStart(12)}`,
  );
}
const [small, large] = rows;
const ratio = (k: 'diff' | 'plan' | 'render' | 'apply') => (per(large[k], large.n) / per(small[k], small.n)).toFixed(2);
console.log(`per-audience ratio 1000 vs 100 (1.00 = linear): diff ${ratio('diff')}, plan ${ratio('plan')}, render ${ratio('render')}, apply ${ratio('apply')}`);
