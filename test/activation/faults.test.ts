import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { messageIdOf } from '../../src/activation/build-event.js';
import { DEFAULT_RETRY_POLICY } from '../../src/activation/flow.js';
import { backoffDelay } from '../../src/retry.js';
import { parseRetryAfter } from '../../src/activation/send/classify.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, openState, SCHEMA, seedBank, startServer, type TestServer } from './helpers.js';

const FAST = { retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 8 }, timeoutMs: 300 };

async function setup(wh: Warehouse, url: string, batchSize?: number) {
  await applyResources(
    wh,
    {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', batchSize, settings: { url: `${url}/hook`, batch: true } }],
      emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', enrich: { traits: ['email'] } }],
    },
    new Date(Date.now() - 60_000),
  );
}

describe('delivery under faults', () => {
  let wh: Warehouse;
  let server: TestServer | undefined;
  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 300);
  });
  afterEach(async () => {
    await server?.close();
    await wh.close();
  });

  it('loses no event through 5xx, 429 with Retry-After, connection resets and slow responses', async () => {
    const acked = new Set<string>();
    let n = 0;
    server = await startServer(async (req, _i, res) => {
      n += 1;
      const fault = n % 5;
      if (fault === 1) return json(res, 503, { error: 'unavailable' });
      if (fault === 2) return json(res, 429, { error: 'slow down' }, { 'Retry-After': '0' });
      if (fault === 3) return void res.socket?.destroy();
      if (fault === 4) {
        // Beyond the client's timeout: the client gives up; the late answer is not an acknowledgement.
        await new Promise((r) => setTimeout(r, 600));
        if (!res.destroyed) json(res, 200, {});
        return;
      }
      for (const e of req.body as any[]) acked.add(e.messageId);
      json(res, 200, { ok: true });
    });
    await setup(wh, server.url, 40);
    const ids = await insertOutbox(wh, Array.from({ length: 300 }, (_, i) => ({ kind: 'entered' as const, profileId: `u${i + 1}` })));
    let total = 0;
    for (let run = 0; run < 20; run++) {
      const s = await deliverAll(wh, SCHEMA, { ...FAST, pageSize: 120 });
      total += s.sent;
      expect(s.deadLettered).toBe(0);
      if (s.emitters[0].status === 'delivered') break;
    }
    expect(total).toBe(300);
    for (const id of ids) expect(acked.has(messageIdOf('entered', 'outbox', id))).toBe(true);
    const { rows } = await wh.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM "${SCHEMA}".delivery_log WHERE status = 'sent'`);
    expect(Number(rows[0].n)).toBe(300);
    const cursor = await wh.query<{ id: unknown }>(`SELECT last_outbox_id AS id FROM "${SCHEMA}".delivery_cursors`);
    expect(Number(cursor.rows[0].id)).toBe(ids[ids.length - 1]);
  });

  it('waits for Retry-After before retrying a 429', async () => {
    const times: number[] = [];
    server = await startServer((_req, n, res) => {
      times.push(Date.now());
      if (n === 1) return json(res, 429, { error: 'rate' }, { 'Retry-After': '1' });
      json(res, 200, {});
    });
    await setup(wh, server.url);
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u1' }]);
    const s = await deliverAll(wh, SCHEMA, FAST);
    expect(s.sent).toBe(1);
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
  });

  it('stops at a destination that keeps failing, keeps the cursor before the failed batch, and resumes later', async () => {
    let down = true;
    server = await startServer((_req, _n, res) => (down ? json(res, 500, { error: 'down' }) : json(res, 200, {})));
    await setup(wh, server.url, 10);
    await insertOutbox(wh, Array.from({ length: 30 }, (_, i) => ({ kind: 'entered' as const, profileId: `u${i + 1}` })));
    const failed = await deliverAll(wh, SCHEMA, { ...FAST, retry: { ...FAST.retry, maxAttempts: 3 } });
    expect(failed.emitters[0]).toMatchObject({ status: 'partial', sent: 0, failed: 30 });
    expect(failed.emitters[0].lastError).toMatch(/HTTP 500/);
    const log = await wh.query<{ status: string; failed: unknown; last_error: string }>(`SELECT status, failed, last_error FROM "${SCHEMA}".delivery_runs`);
    expect(log.rows[0]).toMatchObject({ status: 'partial', failed: 30 });
    down = false;
    const ok = await deliverAll(wh, SCHEMA, FAST);
    expect(ok.emitters[0]).toMatchObject({ status: 'delivered', sent: 30 });
  });

  it('dead-letters what a destination refuses with a 4xx, with its response, isolating the bad event of a batch', async () => {
    server = await startServer((req, _n, res) => {
      const events = req.body as any[];
      if (events.some((e) => e.userId === 'u3')) return json(res, 400, { error: 'invalid user u3' });
      json(res, 200, {});
    });
    await setup(wh, server.url);
    await insertOutbox(wh, Array.from({ length: 8 }, (_, i) => ({ kind: 'entered' as const, profileId: `u${i + 1}` })));
    const s = await deliverAll(wh, SCHEMA, FAST);
    expect(s).toMatchObject({ sent: 7, deadLettered: 1 });
    const { rows } = await wh.query<Record<string, unknown>>(`SELECT user_id, reason_code, http_status, response_body FROM "${SCHEMA}".dead_letters`);
    expect(rows).toEqual([{ user_id: 'u3', reason_code: 'DESTINATION_REJECTED', http_status: 400, response_body: '{"error":"invalid user u3"}' }]);
  });

  it('parses Retry-After in seconds and as an HTTP date; backoff grows and stays capped', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    const p = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(p, 1, 'equal', () => 0)).toBe(50);
    expect(backoffDelay(p, 3, 'equal', () => 1)).toBe(400);
    expect(backoffDelay(p, 10, 'equal', () => 1)).toBe(1000);
  });
});
