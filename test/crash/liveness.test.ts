import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRuns, readStatus } from '../../src/compute/status.js';
import { computeNow, requestOutcome } from '../../src/controller/compute-now.js';
import { Audience, DataGraph } from '../../src/model/index.js';
import { LockStore, stackLockName } from '../../src/state/apply/lock.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { ComputeRequestStore } from '../../src/state/control/compute-requests.js';
import { ControllerStore } from '../../src/state/control/controllers.js';
import { LeaseStore } from '../../src/state/control/leases.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { freshWarehouse, SCHEMA } from '../compute/helpers.js';
import { fixtureArgs } from '../support/fixture-process.js';

/*
 * Each probe of a crash: a real process takes a lease, a request or a lock, is killed with
 * SIGKILL while it holds it, and the next process on this host goes on at once.
 */
const HOLDER = join(import.meta.dirname, 'fixtures', 'holder.ts');

function holder(args: string[]) {
  const child = spawn(process.execPath, [...fixtureArgs(HOLDER), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out, err })),
  );
  return { child, exited };
}

/** Starts the holder, waits until it stops dead holding what it took, and kills it with SIGKILL. */
async function killHolding(args: string[], ready: string): Promise<void> {
  const h = holder(args);
  while (!existsSync(ready)) {
    if (h.child.exitCode !== null) throw new Error(`holder exited ${h.child.exitCode}: ${(await h.exited).err}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  h.child.kill('SIGKILL');
  expect((await h.exited).signal).toBe('SIGKILL');
}

let wh: Warehouse | undefined;
afterEach(async () => {
  await wh?.close();
  wh = undefined;
});

/** A DuckDB file with one applied audience "on" (a tenth of 2,000 profiles), closed for the children. */
async function project(): Promise<{ path: string; dir: string }> {
  const f = await freshWarehouse();
  await f.wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 10 = 0 THEN 'premium' ELSE 'basic' END AS plan FROM range(2000) t(i)`);
  const ctx = { applyId: 'a', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 's' };
  await writeResource(f.wh, SCHEMA, 'data_graph', 'graph', DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } }), ctx, true);
  const on = Audience.parse({ key: 'on', name: 'on', enabled: true, condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } } });
  await writeResource(f.wh, SCHEMA, 'audience', 'on', on, ctx, true);
  await f.wh.close();
  return { path: f.path, dir: f.dir };
}

describe('after a SIGKILL, the next process on this host goes on at once', () => {
  it('`linked compute` killed mid-run: the next compute takes its lease and closes its run as abandoned', async () => {
    const { path, dir } = await project();
    await killHolding(['compute', path, 'on', join(dir, 'ready')], join(dir, 'ready'));
    wh = await openDuckDb(path);
    const [dead] = await new LeaseStore(wh, SCHEMA).list();
    expect(dead).toMatchObject({ key: 'on', holder: expect.stringMatching(/^cli:/) });
    // The lease still runs (30 s TTL), yet its holder's pid is gone: no AUDIENCE_BUSY.
    expect(Date.parse(dead!.expiresAt!)).toBeGreaterThan(Date.now());
    const r = await computeNow(wh, SCHEMA, 'on');
    expect(r.kind === 'computed' && [r.summary.status, r.summary.members]).toEqual(['Live', 200]);
    const runs = await readRuns(wh, SCHEMA, { audienceKey: 'on' });
    expect(runs.map((x) => [x.status, x.errorCode])).toEqual([
      ['Live', null],
      ['Failed', 'RUN_ABANDONED'],
    ]);
    expect((await readStatus(wh, SCHEMA, 'on'))?.status).toBe('Live');
    expect(await new LeaseStore(wh, SCHEMA).list()).toEqual([]);
  }, 60_000);

  it('a controller killed while serving a request: the request stays pending, the controller is no longer live, the next one serves it', async () => {
    const { path, dir } = await project();
    wh = await openDuckDb(path);
    const requestId = await new ComputeRequestStore(wh, SCHEMA).create('on', 'test');
    await wh.close();
    wh = undefined;
    await killHolding(['controller', path, join(dir, 'ready')], join(dir, 'ready'));

    wh = await openDuckDb(path);
    expect(await requestOutcome(wh, SCHEMA, requestId)).toEqual({ picked: false });
    expect((await new ComputeRequestStore(wh, SCHEMA).read(requestId))?.runId).not.toBeNull();
    // Its beat promised more time, but its pid is gone: `linked compute` computes itself rather than wait for it.
    expect(await new ControllerStore(wh, SCHEMA).live()).toEqual([]);
    expect((await new LeaseStore(wh, SCHEMA).list()).map((l) => l.key)).toEqual(['on']);
    await wh.close();
    wh = undefined;

    const next = await holder(['controller', path, '-']).exited;
    expect(next.code, next.err).toBe(0);
    expect(JSON.parse(next.out)).toMatchObject({ due: ['on'], skipped: [] });
    wh = await openDuckDb(path);
    const served = await requestOutcome(wh, SCHEMA, requestId);
    expect(served).toMatchObject({ picked: true, run: { status: 'Live', trigger: 'manual', members: 200 } });
    expect(await new LeaseStore(wh, SCHEMA).list()).toEqual([]);
  }, 60_000);

  it('`linked apply` killed holding the state lock: the next apply on this host takes it', async () => {
    const { path, dir } = await project();
    await killHolding(['lock', path, join(dir, 'ready')], join(dir, 'ready'));
    wh = await openDuckDb(path);
    const locks = new LockStore(wh, SCHEMA);
    const [left] = await locks.list();
    expect(left?.holder).toMatch(/\(pid \d+\)$/);
    const r = await locks.tryAcquire(stackLockName('s'), { holder: 'next apply', operation: 'apply' });
    expect(r.acquired).toBe(true);
    expect((await locks.list()).map((l) => l.holder)).toEqual(['next apply']);
  }, 60_000);
});
