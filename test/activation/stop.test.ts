import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageIdOf } from '../../src/activation/build-event.js';
import { deliverAll, type DeliverOptions, type DeliverySummary } from '../../src/activation/deliver.js';
import { readDeliveryHealth } from '../../src/activation/health.js';
import { listDeadLetters } from '../../src/activation/inspect.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, openState, SCHEMA, seedBank, startServer, type Recorded, type TestServer } from './helpers.js';

/*
 * A delivery stopped by its signal (a daemon's SIGTERM) while a destination is down: the wait
 * before the next attempt ends at once, the stop adds no failure, and nothing is lost or resent.
 */

const MINUTE = 60_000;
/** A backoff of a minute from the first failure. */
const SLOW_BACKOFF: DeliverOptions['retry'] = { baseDelayMs: MINUTE, maxDelayMs: MINUTE, maxAttempts: 6 };
const RETRY_AFTER_A_MINUTE = { 'Retry-After': '60' };

/** A clock the test moves: delivery reads it for the record and the retry budget. */
function clock(start = Date.now()) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('delivery stopped by its signal', () => {
  let wh: Warehouse;
  let server: TestServer;
  /** How the destination answers each request. */
  let answer: (res: ServerResponse, req: Recorded) => void | Promise<void>;
  let ids: number[];

  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 6);
    server = await startServer((req, _n, res) => answer(res, req));
    await applyResources(
      wh,
      {
        graph: GRAPH,
        audiences: [AUDIENCE],
        destinations: [{ key: 'hook', type: 'webhook', batchSize: 3, settings: { url: `${server.url}/hook`, batch: true } }],
        emitters: [{ key: 'changes', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered' }],
      },
      new Date(Date.now() - MINUTE),
    );
    ids = await insertOutbox(wh, Array.from({ length: 6 }, (_, i) => ({ kind: 'entered' as const, profileId: `u${i + 1}` })));
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  /** Waits until the destination has had `n` requests (and its answers reached the sender). */
  async function requestsArrived(n: number) {
    for (let i = 0; i < 200 && server.requests.length < n; i++) await settle(10);
    expect(server.requests.length).toBe(n);
    await settle(100);
  }

  /** How long the delivery took to end from now, or undefined when it still runs 3 s later. */
  async function timeToEnd(delivering: Promise<DeliverySummary>): Promise<number | undefined> {
    const from = performance.now();
    return Promise.race([delivering.then(() => performance.now() - from), settle(3000).then(() => undefined)]);
  }

  it.each([
    ['waiting out its backoff', { retry: SLOW_BACKOFF }, {}],
    ['waiting out a Retry-After', {}, RETRY_AFTER_A_MINUTE],
  ])('ends promptly while %s, records only the failed attempts, and delivers every event once after restart', async (_what, options: DeliverOptions, headers) => {
    const c = clock();
    const started = c.now().toISOString();
    answer = (res) => json(res, 503, { error: 'down for maintenance' }, headers);
    const abort = new AbortController();
    const delivering = deliverAll(wh, SCHEMA, { ...options, now: c.now, signal: abort.signal });
    // Both batches (three users each) failed once and wait to retry.
    await requestsArrived(2);
    c.advance(10 * MINUTE);

    abort.abort();
    const ms = await timeToEnd(delivering);
    expect(ms, 'still delivering 3 s after the stop').toBeDefined();
    expect(ms!).toBeLessThan(1000);
    expect((await delivering).emitters[0]).toMatchObject({ status: 'partial', sent: 0, failed: 6, deadLettered: 0, requests: 2, retries: 0, consecutiveFailures: 2 });
    expect(server.requests).toHaveLength(2);

    // Health: the two real failures, the budget from the first of them, nothing dead-lettered.
    expect(await readDeliveryHealth(wh, SCHEMA, { now: c.now() })).toMatchObject([
      { emitterKey: 'changes', state: 'retrying', pending: 6, consecutiveFailures: 2, failingSince: started, deadLetters: 0, lastHttpStatus: 503 },
    ]);
    expect(await listDeadLetters(wh, SCHEMA)).toEqual([]);

    // Restarted with the destination back: every event once.
    answer = (res) => json(res, 200, { ok: true });
    const resumed = await deliverAll(wh, SCHEMA, { now: c.now });
    expect(resumed.emitters[0]).toMatchObject({ status: 'delivered', sent: 6, deadLettered: 0 });
    const delivered = server.requests.slice(2).flatMap((r) => (r.body as { messageId: string }[]).map((e) => e.messageId));
    expect(delivered.sort()).toEqual(ids.map((id) => messageIdOf('changes', 'outbox', id)).sort());
    expect(await readDeliveryHealth(wh, SCHEMA, { now: c.now() })).toMatchObject([{ state: 'up_to_date', pending: 0, consecutiveFailures: 0, failingSince: null }]);
  });

  it('lets the requests in flight finish: an acknowledged batch is recorded, a failed one is not retried', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The first batch (u1 to u3) is acknowledged, the second refused for now; both only once the stop came.
    answer = async (res, req) => {
      await held;
      if ((req.body as { userId: string }[]).some((e) => e.userId === 'u1')) json(res, 200, { ok: true });
      else json(res, 503, { error: 'down for maintenance' }, RETRY_AFTER_A_MINUTE);
    };
    const abort = new AbortController();
    const delivering = deliverAll(wh, SCHEMA, { signal: abort.signal });
    for (let i = 0; i < 200 && server.requests.length < 2; i++) await settle(10);
    expect(server.requests).toHaveLength(2);
    abort.abort();
    release();
    const ms = await timeToEnd(delivering);
    expect(ms, 'still delivering 3 s after the answers').toBeDefined();
    expect(ms!).toBeLessThan(1000);
    expect((await delivering).emitters[0]).toMatchObject({ status: 'partial', sent: 3, failed: 3, requests: 2, retries: 0, consecutiveFailures: 1 });
    expect(await readDeliveryHealth(wh, SCHEMA)).toMatchObject([{ state: 'retrying', pending: 3, consecutiveFailures: 1, deadLetters: 0 }]);
    const acknowledged = server.requests.map((r) => r.body as { userId: string; messageId: string }[]).find((events) => events.some((e) => e.userId === 'u1'))!;

    answer = (res) => json(res, 200, { ok: true });
    expect((await deliverAll(wh, SCHEMA)).emitters[0]).toMatchObject({ status: 'delivered', sent: 3 });
    const resent = server.requests.slice(2).flatMap((r) => (r.body as { messageId: string }[]).map((e) => e.messageId));
    expect(resent).toHaveLength(3);
    expect(resent.filter((m) => acknowledged.some((e) => e.messageId === m))).toEqual([]);
  });
});
