import { afterEach, describe, expect, it } from 'vitest';
import { json, startServer, type TestServer } from '../activation/helpers.js';
import { makeProject, promote, type Spawned } from './daemon-project.js';

/*
 * `linked run` serving: it computes, then delivers, on one DuckDB file that other commands still
 * open meanwhile (they announce themselves; the daemon lets go of the file between statements).
 */
let server: TestServer | undefined;
const running: Spawned[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  await server?.close();
});

/** A webhook that holds every request until released: a destination as slow as the test wants. */
async function gatedWebhook() {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let first!: () => void;
  const arrived = new Promise<void>((r) => (first = r));
  server = await startServer(async (_req, _n, res) => {
    first();
    await gate;
    json(res, 200, {});
  });
  return { server, release: open, arrived };
}

const lines = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

describe('linked run (serving)', () => {
  it('delivers after each compute, while status and compute still answer; SIGTERM stops it cleanly', async () => {
    const hook = await gatedWebhook();
    const p = await makeProject(hook.server.url);
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--timeout', '60000', '--json');
    running.push(daemon);

    // The baseline run committed and its events are being sent: the destination holds them.
    await hook.arrived;
    const status = await p.linked('status', '--json');
    expect(status.code, status.err).toBe(0);
    expect(status.json().audiences).toMatchObject([{ audience: 'premium', status: 'Live', size: 10 }]);
    // Still delivering: no delivery pass has ended.
    expect(lines(daemon.output()).filter((l) => l.type === 'delivery')).toEqual([]);
    const runs = await p.linked('runs', 'premium', '--json');
    expect(runs.code, runs.err).toBe(0);
    expect(runs.json().runs).toMatchObject([{ status: 'Live', members: 10 }]);

    hook.release();
    await daemon.waitFor(/"type":"delivery"/);
    expect(lines(daemon.output()).filter((l) => l.type === 'delivery')).toMatchObject([
      { emitterKey: 'premium-entered', status: 'delivered', sent: 10, deadLettered: 0 },
    ]);
    // A look already under way when the baseline run committed finds its rows before the run's
    // kick does, so the first pass may be labelled a poll; either way it is this run's events.
    expect(['compute', 'poll']).toContain(lines(daemon.output()).find((l) => l.type === 'delivery')!.trigger);
    const deliveries = await p.linked('deliveries', '--json');
    expect(deliveries.code, deliveries.err).toBe(0);

    // New members, computed now on request by the running controller, are delivered after that run.
    await promote(p.db, ['u1', 'u2']);
    const compute = await p.linked('compute', 'premium', '--json');
    expect(compute.code, compute.err).toBe(0);
    expect(compute.json()).toMatchObject({ audienceKey: 'premium', status: 'Live', entered: 2 });
    await daemon.waitFor(/"sent":2/);
    expect(hook.server.requests.map((r) => (r.body as { userId: string }).userId).slice(10).sort()).toEqual(['u1', 'u2']);

    daemon.child.kill('SIGTERM');
    const end = await daemon.exited;
    expect(end.code, end.err).toBe(0);
    expect(hook.server.requests).toHaveLength(12);
  }, 180_000);

  it('SIGTERM while a destination is down ends the wait before the retry; the events go once after restart', async () => {
    // Down, asking for a minute's wait (within the default policy's two minutes), until it is back.
    let down = true;
    const hook = (server = await startServer((_req, _n, res) => (down ? json(res, 503, { error: 'maintenance' }, { 'Retry-After': '60' }) : json(res, 200, {}))));
    const p = await makeProject(hook.url, { users: 10 });
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--json');
    running.push(daemon);
    // The baseline's two events (one request each) failed once and wait to retry.
    for (let i = 0; i < 600 && hook.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(hook.requests).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 300));

    daemon.child.kill('SIGTERM');
    const end = await Promise.race([daemon.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
    expect(end, 'still running 5 s after SIGTERM').toBeDefined();
    expect(end!.code, end!.err).toBe(0);
    expect(lines(end!.out).filter((l) => l.type === 'delivery')).toMatchObject([{ emitterKey: 'premium-entered', status: 'partial', sent: 0, retries: 0, deadLettered: 0 }]);
    const status = await p.linked('status', '--json');
    expect(status.json().delivery).toMatchObject([{ emitterKey: 'premium-entered', state: 'retrying', pending: 2, consecutiveFailures: 2, deadLetters: 0 }]);

    down = false;
    const deliver = await p.linked('deliver', '--json');
    expect(deliver.code, deliver.err).toBe(0);
    expect(deliver.json()).toMatchObject({ sent: 2, deadLettered: 0 });
    const messageIds = (requests: typeof hook.requests) => requests.map((r) => (r.body as { messageId: string }).messageId).sort();
    expect(messageIds(hook.requests.slice(2))).toEqual(messageIds(hook.requests.slice(0, 2)));
  }, 180_000);

  it('--no-deliver leaves delivery to `linked deliver --watch`', async () => {
    server = await startServer();
    const p = await makeProject(server.url);
    const computer = p.spawnLinked('run', '--tick-seconds', '1', '--no-deliver', '--json');
    const deliverer = p.spawnLinked('deliver', '--watch', '--poll-seconds', '1', '--json');
    running.push(computer, deliverer);
    await computer.waitFor(/"type":"run"/);
    await deliverer.waitFor(/"type":"delivery"/);
    expect(lines(deliverer.output())).toMatchObject([{ type: 'delivery', emitterKey: 'premium-entered', sent: 10, status: 'delivered' }]);
    expect(lines(computer.output()).filter((l) => l.type === 'delivery')).toEqual([]);
    expect(server.requests).toHaveLength(10);
    computer.child.kill('SIGTERM');
    deliverer.child.kill('SIGTERM');
    expect((await computer.exited).code).toBe(0);
    expect((await deliverer.exited).code).toBe(0);
  }, 180_000);
});
