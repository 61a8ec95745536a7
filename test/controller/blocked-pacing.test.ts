import { describe, expect, it } from 'vitest';
import { Destination } from '../../src/model/destination.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { whileWaiting } from '../../src/controller/file-waiters.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { json } from '../activation/helpers.js';
import { cleanUpAfterEach, deliveryRecords, makeProject, promote, SCHEMA, untilDaemon as until, type Spawned } from './daemon-project.js';

/*
 * A destination that refuses the credentials: the daemon's emitter is blocked and waits for a
 * person. A real `linked run` process, a webhook on 127.0.0.1 answering 401 at /hook and 200 at
 * /fixed, the destination applied anew (written as `linked apply` writes it) while the daemon runs.
 */
const { running, serve } = cleanUpAfterEach();

type Pass = { ts: string; status: string; requests: number; sent: number };
const passes = (d: Spawned) => deliveryRecords<Pass>(d);

describe('linked run: a blocked emitter', () => {
  it('is tried with one request at a growing interval, as `linked status` tells, and at once when its destination is applied anew', async () => {
    const server = await serve((req, _n, res) => json(res, req.url === '/fixed' ? 200 : 401, {}));
    // 50 users, every fifth premium: 10 events, one request each.
    const p = await makeProject(server.url, { users: 50 });
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--log-format', 'json');
    running.push(daemon);

    await until('three blocked passes', () => passes(daemon).filter((r) => r.status === 'blocked').length >= 3, daemon);
    const [first, second, third] = passes(daemon);
    // The first pass finds the destination refusing: the requests in flight (4 of them, at most).
    expect(first.requests).toBeGreaterThanOrEqual(1);
    // Blocked, each try probes with one request, and waits as long as the emitter has been blocked (10 s at least).
    expect([second.requests, third.requests]).toEqual([1, 1]);
    const gap = (a: Pass, b: Pass) => Date.parse(b.ts) - Date.parse(a.ts);
    expect(gap(first, second)).toBeGreaterThanOrEqual(9_000);
    expect(gap(second, third)).toBeGreaterThanOrEqual(gap(first, second) - 1_000);
    expect(server.requests.filter((r) => r.url === '/hook')).toHaveLength(first.requests + 2);

    const status = await p.linked('status', '--json');
    expect(status.code, status.err).toBe(0);
    const [health] = status.json().delivery as { state: string; nextTryAt: string | null; lastFailureAt: string }[];
    expect(health.state).toBe('blocked');
    // Blocked about 10 s at the third try: the next waits as long, from it.
    const nextTry = Date.parse(health.nextTryAt!);
    expect(nextTry - Date.parse(health.lastFailureAt)).toBeGreaterThanOrEqual(10_000);

    // The fix: the destination applied anew with a URL that accepts. The daemon tries at its next look, not at nextTryAt.
    const fixed = Destination.parse({ key: 'hook', type: 'webhook', settings: { url: `${server.url}/fixed`, batch: false } });
    const wh = await whileWaiting(p.db, () => openDuckDb(p.db));
    try {
      await writeResource(wh, SCHEMA, 'destination', 'hook', fixed, { applyId: 'b', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 'bank' }, false);
    } finally {
      await wh.close();
    }
    await until('a delivered pass', () => passes(daemon).some((r) => r.status === 'delivered'), daemon);
    const delivered = passes(daemon).find((r) => r.status === 'delivered')!;
    expect(delivered.sent).toBe(10);
    expect(Date.parse(delivered.ts)).toBeLessThan(nextTry - 3_000);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 150_000);

  it('goes at the next look once `linked deliver` by hand ended the block, not at its next try', async () => {
    let refusing = true;
    const server = await serve((_req, _n, res) => json(res, refusing ? 401 : 200, {}));
    const p = await makeProject(server.url, { users: 50 });
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--log-format', 'json');
    running.push(daemon);
    await until('three blocked passes', () => passes(daemon).filter((r) => r.status === 'blocked').length >= 3, daemon);
    const status = await p.linked('status', '--json');
    expect(status.code, status.err).toBe(0);
    const nextTry = Date.parse((status.json().delivery as { nextTryAt: string }[])[0].nextTryAt);

    // The credentials fixed on the destination's side; a person delivers by hand.
    refusing = false;
    const byHand = await p.linked('deliver', '--json');
    expect(byHand.code, byHand.err).toBe(0);
    expect(byHand.json()).toMatchObject({ sent: 10 });
    // New events: the daemon delivers them at its next look, its wait over since the block is.
    await promote(p.db, ['u1', 'u2']);
    const compute = await p.linked('compute', 'premium', '--json');
    expect(compute.json()).toMatchObject({ status: 'Live', entered: 2 });
    await until('the new events delivered', () => passes(daemon).some((r) => r.status === 'delivered' && r.sent === 2), daemon);
    const delivered = passes(daemon).find((r) => r.status === 'delivered')!;
    expect(Date.parse(delivered.ts)).toBeLessThan(nextTry - 3_000);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 150_000);
});
