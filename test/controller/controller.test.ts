import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRuns, readStatus } from '../../src/compute/status.js';
import { computeTables } from '../compute/helpers.js';
import { requestDirFor, writeRequestFile } from '../../src/controller/request-files.js';
import { ComputeRequestStore } from '../../src/state/control/compute-requests.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { SCHEMA, freshWarehouse, replayMismatches } from '../compute/helpers.js';
import { fixtureArgs } from '../support/fixture-process.js';

const CHILD = new URL('./fixtures/child.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function start(args: string[]) {
  const child = spawn(process.execPath, [...fixtureArgs(CHILD), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, out, err })),
  );
  const waitFor = async (re: RegExp, timeoutMs = 60_000) => {
    const until = Date.now() + timeoutMs;
    while (!re.test(out)) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`no ${re} in: ${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, waitFor, output: () => out };
}

const trait = (gte: number) => ({ kind: 'trait', trait: 'score', operator: 'gte', value: { literal: gte } });
function writeModel(dir: string, only?: string[]) {
  const model = {
    graph: { key: 'graph', maxDepth: 4, profile: { table: 'main.profiles', id: 'user_id', traits: ['score'], identifiers: [] }, entities: [], relationships: [] },
    classicAudiences: [],
    emitters: [],
    audiences: [
      // Listed dependant first: the controller must still compute "high" before "top".
      { key: 'top', name: 'Top', description: '', enabled: true, preventDestroy: false, schedule: { type: 'interval', every: '1h' },
        condition: { kind: 'and', conditions: [trait(800), { kind: 'audience', audience: 'high', source: 'linked', negate: false }] } },
      { key: 'high', name: 'High', description: '', enabled: true, preventDestroy: false, schedule: { type: 'interval', every: '1h' }, condition: trait(600) },
      { key: 'low', name: 'Low', description: '', enabled: true, preventDestroy: false, schedule: { type: 'cron', expression: '0 6 * * *' }, condition: trait(0) },
      { key: 'slow', name: 'Slow', description: '', enabled: true, preventDestroy: false, schedule: { type: 'interval', every: '1m' }, condition: trait(0) },
      { key: 'off', name: 'Off', description: '', enabled: false, preventDestroy: false, schedule: { type: 'interval', every: '1d' }, condition: trait(0) },
    ],
    queries: {
      high: { membership: { sql: 'SELECT user_id AS profile_id FROM main.profiles WHERE score >= 600', params: [] }, entities: [] },
      low: { membership: { sql: 'SELECT user_id AS profile_id FROM main.profiles WHERE score < 600', params: [] }, entities: [] },
      // About a second and a half: the SIGTERM, sent 300 ms after the run starts, lands inside this
      // stage, which then runs to its end (a longer query only makes the test wait longer).
      slow: {
        membership: {
          sql: `SELECT DISTINCT p.user_id AS profile_id FROM main.profiles p, range(2000) r(x) WHERE hash(p.user_id || CAST(r.x AS VARCHAR)) % 1000 = 0`,
          params: [],
        },
        entities: [],
      },
      off: { membership: { sql: 'SELECT user_id AS profile_id FROM main.profiles', params: [] }, entities: [] },
      top: {
        membership: {
          sql: `SELECT profile_id FROM "${SCHEMA}"."membership" WHERE audience_key = 'high'
                  AND profile_id IN (SELECT user_id FROM main.profiles WHERE score >= 800)`,
          params: [],
        },
        entities: [],
      },
    },
  };
  if (only) model.audiences = model.audiences.filter((a) => only.includes(a.key));
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(model));
  return path;
}

async function setup(only = ['top', 'high', 'low', 'off']) {
  const { wh, path, dir } = await freshWarehouse();
  await wh.query("CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CAST(300 + hash(i) % 550 AS INTEGER) AS score FROM range(20000) t(i)");
  await wh.close();
  return { path, model: writeModel(dir, only) };
}

describe('controller', () => {
  it('concurrent `run --once` processes never run one audience twice; dependencies compute first', async () => {
    const { path, model } = await setup();
    const procs = [0, 1, 2].map(() => start(['once', path, model]));
    const results = await Promise.all(procs.map((p) => p.exited));
    for (const r of results) expect(r.code, r.err).toBe(0);

    const wh = await openDuckDb(path);
    const t = computeTables(wh, SCHEMA);
    const runs = await readRuns(wh, SCHEMA, { limit: 100 });
    const byKey = (k: string) => runs.filter((r) => r.audienceKey === k);
    expect(byKey('high')).toHaveLength(1);
    expect(byKey('top')).toHaveLength(1);
    expect(byKey('low')).toHaveLength(1);
    expect(byKey('off')).toHaveLength(0);
    for (const r of runs) expect(r.status).toBe('Live');
    const [high] = byKey('high');
    const [top] = byKey('top');
    expect(top!.startedAt.getTime()).toBeGreaterThanOrEqual(high!.endedAt!.getTime());
    const truthTop = await wh.query<{ n: number }>('SELECT COUNT(*) AS n FROM main.profiles WHERE score >= 800');
    expect(top!.members).toBe(Number(truthTop.rows[0]!.n));
    expect(top!.members).toBeGreaterThan(0);
    // Statuses: Live with a next run on the schedule; the disabled audience is Disabled.
    const high$ = await readStatus(wh, SCHEMA, 'high');
    expect(high$?.status).toBe('Live');
    expect(high$?.nextRunAt!.getTime()).toBeGreaterThan(high!.startedAt.getTime());
    expect(high$?.nextRunAt!.getUTCMinutes()).toBe(0);
    expect((await readStatus(wh, SCHEMA, 'off'))?.status).toBe('Disabled');
    expect((await readStatus(wh, SCHEMA, 'low'))?.nextRunAt?.getUTCHours()).toBe(6);
    // Who ran what: every audience once in all, each run by exactly one of the processes.
    const ran = results.flatMap((r) => r.out.split('\n').filter((l) => l.startsWith('ran ')));
    expect(ran).toHaveLength(3);
    expect(await replayMismatches(wh)).toEqual([]);
    await wh.close();
  }, 120_000);

  it('two serving controllers: one run per audience, a compute-now request is picked up, SIGTERM stops cleanly', async () => {
    const { path, model } = await setup();
    const a = start(['serve', path, model, '1']);
    const b = start(['serve', path, model, '1']);
    await Promise.all([a.waitFor(/started/), b.waitFor(/started/)]);
    // Wait until all three due audiences ran somewhere.
    const until = Date.now() + 60_000;
    while ((a.output() + b.output()).split('\n').filter((l) => l.startsWith('ran ')).length < 3) {
      if (Date.now() > until) throw new Error(a.output() + b.output());
      await new Promise((r) => setTimeout(r, 100));
    }

    // "Compute now" from the CLI side: a request row, served by whichever controller ticks next.
    let wh = await openDuckDb(path, { busyTimeoutMs: 60_000 });
    await wh.query("UPDATE main.profiles SET score = 300 WHERE user_id IN ('u1', 'u2', 'u3')");
    const id = await new ComputeRequestStore(wh, SCHEMA).create('high', 'test');
    await wh.close();
    let served: string | null = null;
    while (!served) {
      if (Date.now() > until + 30_000) throw new Error('request not picked up');
      await new Promise((r) => setTimeout(r, 300));
      wh = await openDuckDb(path, { busyTimeoutMs: 60_000 });
      const req = await new ComputeRequestStore(wh, SCHEMA).read(id);
      const run = req?.runId ? (await readRuns(wh, SCHEMA, { audienceKey: 'high' })).find((r) => r.id === req.runId) : undefined;
      if (run && run.status !== 'Computing') served = run.id;
      await wh.close();
    }

    // While a controller holds the DuckDB file, `linked compute` leaves its request beside it.
    const fileRequest = writeRequestFile(requestDirFor(path), 'low', 'test');
    let servedFromFile: string | null = null;
    while (!servedFromFile) {
      if (Date.now() > until + 60_000) throw new Error('file request not picked up');
      await new Promise((r) => setTimeout(r, 300));
      wh = await openDuckDb(path, { busyTimeoutMs: 60_000 });
      const req = await new ComputeRequestStore(wh, SCHEMA).read(fileRequest);
      const run = req?.runId ? (await readRuns(wh, SCHEMA, { audienceKey: 'low' })).find((r) => r.id === req.runId) : undefined;
      if (run && run.status !== 'Computing') servedFromFile = run.id;
      await wh.close();
    }
    expect(existsSync(join(requestDirFor(path), `${fileRequest}.json`))).toBe(false);

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect(ra.code, ra.err).toBe(0);
    expect(rb.code, rb.err).toBe(0);
    expect(ra.out).toContain('stopped');

    wh = await openDuckDb(path);
    const t = computeTables(wh, SCHEMA);
    const runs = await readRuns(wh, SCHEMA, { limit: 100 });
    for (const id of [served, servedFromFile]) {
      const manual = runs.find((r) => r.id === id)!;
      expect(manual.trigger).toBe('manual');
      expect(manual.status).toBe('Live');
    }
    const scheduled = (k: string) => runs.filter((r) => r.audienceKey === k && r.trigger === 'schedule');
    for (const k of ['high', 'low', 'top']) expect(scheduled(k), k).toHaveLength(1);
    // Never two runs of one audience at once.
    for (const k of ['high', 'low', 'top']) {
      const rs = runs.filter((r) => r.audienceKey === k).sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime());
      for (let i = 1; i < rs.length; i++) expect(rs[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(rs[i - 1]!.endedAt!.getTime());
    }
    const stopped = await wh.query<{ n: number }>(`SELECT COUNT(*) AS n FROM "${SCHEMA}"."controllers" WHERE stopped_at IS NOT NULL`);
    expect(Number(stopped.rows[0]!.n)).toBe(2);
    const leases = await wh.query<{ n: number }>(`SELECT COUNT(*) AS n FROM "${SCHEMA}"."leases" WHERE holder IS NOT NULL`);
    expect(Number(leases.rows[0]!.n)).toBe(0);
    expect(await replayMismatches(wh)).toEqual([]);
    await wh.close();
  }, 180_000);

  it('SIGTERM during a run: the current step finishes, the run is cancelled safely, the process exits 0', async () => {
    const { path, model } = await setup(['slow']);
    const c = start(['serve', path, model, '1']);
    await c.waitFor(/slow: computing/);
    await new Promise((r) => setTimeout(r, 300));
    c.child.kill('SIGTERM');
    const r = await c.exited;
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('stopped');
    const wh = await openDuckDb(path);
    const t = computeTables(wh, SCHEMA);
    const [run] = await readRuns(wh, SCHEMA, { audienceKey: 'slow' });
    expect(run).toMatchObject({ status: 'Failed', errorCode: 'RUN_CANCELLED' });
    expect(run!.endedAt).not.toBeNull();
    const outbox = await wh.query<{ n: number }>(`SELECT COUNT(*) AS n FROM "${SCHEMA}"."outbox"`);
    expect(Number(outbox.rows[0]!.n)).toBe(0);
    const leases = await wh.query<{ n: number }>(`SELECT COUNT(*) AS n FROM "${SCHEMA}"."leases" WHERE holder IS NOT NULL`);
    expect(Number(leases.rows[0]!.n)).toBe(0);
    const s = await readStatus(wh, SCHEMA, 'slow');
    expect(s).toMatchObject({ status: 'Failed', paused: false });
    expect(await replayMismatches(wh)).toEqual([]);
    await wh.close();
  }, 120_000);
});
