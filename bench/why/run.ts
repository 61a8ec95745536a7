/*
 * `linked why` benchmark on the bank data (not part of npm test):
 *   npx tsx bench/why/run.ts [profiles] [samples]   (default 1,000,000 profiles, 10 members + 10 non-members per audience)
 *   BANK_DB=/tmp/bank-1m.duckdb npx tsx ...         (generate once, reuse a copy on later runs)
 *
 * For each bank audience, in the same process and warehouse: the bare compiled membership query
 * (materialized, what a compute run starts from; median of 3) and the explanation of one profile
 * (the one explain statement, as `linked why` runs it) for sampled members and
 * non-members, each warmed once. Goal: an explanation answers in under 2 s at 1 M profiles;
 * reported beside the ratio explanation / bare membership query.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audienceContext } from '../../src/compute/compile.js';
import type { ComputeModel } from '../../src/compute/model.js';
import { compileMembership } from '../../src/sql/index.js';
import { migrateState } from '../../src/state/migrate.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { explainProfile } from '../../src/why/explain.js';
import { bank } from '../../test/fixtures/bank.js';
import { prepareBankWarehouse } from '../bank-warehouse.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const PROFILES = Number(args[0] ?? process.env.PROFILES ?? 1_000_000);
const SAMPLES = Number(args[1] ?? process.env.SAMPLES ?? 10);
const SCHEMA = 'LINKED_AUDIENCES';

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [r, ms(t0)];
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);

const dir = mkdtempSync(join(tmpdir(), 'linked-bench-why-'));
const path = join(dir, 'bank.duckdb');
try {
  const genMs = await prepareBankWarehouse(path, PROFILES);
  const wh = await openDuckDb(path);
  await migrateState(wh, SCHEMA);
  const count = await wh.query<{ n: number }>('SELECT COUNT(*) AS n FROM main.profiles');
  console.log(`bank data: ${Number(count.rows[0].n).toLocaleString('en-US')} profiles (ready in ${f(genMs)})\n`);
  const model: ComputeModel = { graph: bank.graph, audiences: bank.audiences, classicAudiences: bank.classicAudiences, emitters: bank.emitters };
  const now = new Date();
  const rows: string[][] = [];
  const summary: Record<string, unknown>[] = [];
  for (const audience of bank.audiences) {
    const { ctx } = audienceContext(model, audience.key, { dialect: 'duckdb', stateSchema: SCHEMA, now });
    const q = compileMembership(audience.condition, ctx);
    const materialize = () => wh.query(`CREATE OR REPLACE TEMP TABLE bare_membership AS ${q.sql}`, q.params);
    await materialize();
    const bare: number[] = [];
    for (let i = 0; i < 3; i++) bare.push((await timed(materialize))[1]);
    // Members and non-members spread over the id space.
    const members = await wh.query<{ id: string }>(`SELECT profile_id AS id FROM bare_membership ORDER BY hash(profile_id) LIMIT ?`, [SAMPLES]);
    const others = await wh.query<{ id: string }>(
      `SELECT CAST(user_id AS VARCHAR) AS id FROM main.profiles WHERE CAST(user_id AS VARCHAR) NOT IN (SELECT profile_id FROM bare_membership) ORDER BY hash(user_id) LIMIT ?`,
      [SAMPLES],
    );
    const sample = [...members.rows.map((r) => ({ id: r.id, member: true })), ...others.rows.map((r) => ({ id: r.id, member: false }))];
    await explainProfile(wh, audience.condition, ctx, sample[0].id);
    const times: number[] = [];
    for (const s of sample) {
      const [{ tree }, t] = await timed(() => explainProfile(wh, audience.condition, ctx, s.id));
      if (tree.held !== s.member) throw new Error(`${audience.key}: why says ${tree.held} for ${s.id}, membership ${s.member}`);
      times.push(t);
    }
    const b = median(bare);
    const w = median(times);
    rows.push([audience.key, f(b), f(w), f(Math.max(...times)), (w / b).toFixed(2), Math.max(...times) < 2000 ? 'yes' : 'NO']);
    summary.push({ audience: audience.key, bareMs: b, whyMedianMs: w, whyMaxMs: Math.max(...times), ratio: w / b, profiles: sample.length });
  }
  console.log(`profiles: ${PROFILES.toLocaleString('en-US')}; ${SAMPLES} members + ${SAMPLES} non-members per audience; ratio = why (median) / bare membership query (median of 3)\n`);
  const header = ['audience', 'bare membership', 'why median', 'why max', 'ratio', 'max < 2 s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
  if (process.argv.includes('--json')) console.log(JSON.stringify({ profiles: PROFILES, audiences: summary }));
  await wh.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
