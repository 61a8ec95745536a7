import { describe, expect, it } from 'vitest';
import { json, type TestServer } from '../activation/helpers.js';
import { cleanUpAfterEach, makeProject } from './daemon-project.js';

/*
 * A page's requests after one that stopped are not sent: a destination that is down, or refuses
 * the credentials, gets the requests in flight (4 by default), not every request of the page; and
 * SIGTERM waits for the requests in flight, not for the rest of the page. Real processes and a
 * real webhook on 127.0.0.1; the webhook is not batched, so each event is one request.
 */
const { running, serve } = cleanUpAfterEach();

const IN_FLIGHT = 4;
const messageIds = (requests: TestServer['requests']) => requests.map((r) => (r.body as { messageId: string }).messageId);

describe("a page's requests after a stop", () => {
  it('a destination that refuses the credentials gets the requests in flight, not the whole page', async () => {
    const server = await serve((_req, _n, res) => json(res, 401, { error: 'bad token' }));
    const p = await makeProject(server.url, { users: 100 });
    const r = await p.linked('run', '--once', '--json');
    expect(r.code, r.err).toBe(1);
    expect(r.json().deliveries).toMatchObject([{ emitterKey: 'premium-entered', status: 'blocked', sent: 0 }]);
    // 20 events wait; before, each of them went with the refused credentials.
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.length).toBeLessThanOrEqual(IN_FLIGHT);
    const status = await p.linked('status', '--json');
    expect(status.json().delivery).toMatchObject([{ state: 'blocked', pending: 20, deadLetters: 0 }]);
  }, 120_000);

  it('a destination that is down gets the first requests in flight, then only the first batch\'s retries', async () => {
    // Down for good: 6 attempts a batch (the default policy), about 15 s of backoff.
    const server = await serve((_req, _n, res) => json(res, 500, { error: 'down' }));
    const p = await makeProject(server.url, { users: 100 });
    const r = await p.linked('run', '--once', '--json');
    expect(r.code, r.err).toBe(1);
    expect(r.json().deliveries).toMatchObject([{ emitterKey: 'premium-entered', status: 'partial', sent: 0, failed: 20, deadLettered: 0 }]);
    // The first batch's 6 attempts and the first attempts of the 3 beside it; before, about 6 of
    // each of the 20 (every batch retried on its own while the first was failing).
    expect(server.requests.length).toBeLessThanOrEqual(6 + IN_FLIGHT - 1);
  }, 120_000);

  it('a destination that is down is not retried past the first request that gave up', async () => {
    // Down for an hour: each request gives up at its first answer (a Retry-After beyond the policy's).
    const server = await serve((_req, _n, res) => json(res, 503, { error: 'maintenance' }, { 'Retry-After': '3600' }));
    const p = await makeProject(server.url, { users: 100 });
    const r = await p.linked('run', '--once', '--json');
    expect(r.code, r.err).toBe(1);
    expect(r.json().deliveries).toMatchObject([{ emitterKey: 'premium-entered', status: 'partial', sent: 0, failed: 20, deadLettered: 0 }]);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.length).toBeLessThanOrEqual(IN_FLIGHT);
  }, 120_000);

  it('SIGTERM during a page waits for the requests in flight only; the rest go once, after the restart', async () => {
    let release!: () => void;
    const arrived = new Promise<void>((r) => (release = r));
    // Slow: 400 ms a request, so the page of 40 requests takes about 4 s at 4 in flight.
    const server = await serve((_req, _n, res) => {
      release();
      setTimeout(() => json(res, 200, {}), 400);
    });
    const p = await makeProject(server.url, { users: 200 });
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--json');
    running.push(daemon);
    await arrived;
    daemon.child.kill('SIGTERM');
    const end = await daemon.exited;
    expect(end.code, end.err).toBe(0);
    const beforeStop = server.requests.length;
    expect(beforeStop).toBeLessThanOrEqual(2 * IN_FLIGHT);
    const delivery = end.out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === 'delivery');
    expect(delivery).toMatchObject([{ emitterKey: 'premium-entered', status: 'partial', sent: beforeStop, failed: 0 }]);
    // A stop is no failure of the destination's: nothing counted against it.
    const status = await p.linked('status', '--json');
    expect(status.json().delivery).toMatchObject([{ state: 'pending', pending: 40 - beforeStop, consecutiveFailures: 0 }]);

    const rest = await p.linked('deliver', '--json');
    expect(rest.code, rest.err).toBe(0);
    expect(rest.json()).toMatchObject({ sent: 40 - beforeStop });
    const ids = messageIds(server.requests);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  }, 120_000);
});
