import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { FaultyWarehouse } from '../compute/faulty.js';
import { recordingWarehouse } from '../support/recording-warehouse.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, openState, SCHEMA, seedBank, startServer, type TestServer } from './helpers.js';

/** Reads of several pages (readPages): every event once, in outbox order, enriched from its own block; a stop mid-block resumes at the stop. */
describe('deliverAll with reads of several pages', () => {
  let wh: Warehouse;
  let server: TestServer;
  let failAt = 0;

  beforeEach(async () => {
    failAt = 0;
    wh = await openState();
    await seedBank(wh, 40);
    server = await startServer((_req, n, res) => (n === failAt ? json(res, 503, { error: 'down' }) : json(res, 200, {})));
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', batchSize: 2, settings: { url: `${server.url}/hook`, batch: true } }],
      emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', enrich: { traits: ['email'] } }],
    });
    // Users repeat across pages and reads: u1..u15, then u1..u15 again.
    await insertOutbox(wh, [...Array.from({ length: 15 }, (_, i) => ({ kind: 'entered' as const, profileId: `u${i + 1}` })), ...Array.from({ length: 15 }, (_, i) => ({ kind: 'entered' as const, profileId: `u${i + 1}` }))]);
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  const sent = () => server.requests.flatMap((r) => (Array.isArray(r.body) ? (r.body as { userId: string; properties: { email: string } }[]) : []));

  it('sends every event once, in order, each with its own profile\'s traits', async () => {
    const summary = await deliverAll(wh, SCHEMA, { pageSize: 4, readPages: 3, concurrency: 1 });
    expect(summary.emitters).toMatchObject([{ status: 'delivered', sent: 30 }]);
    const events = sent();
    expect(events.map((e) => e.userId)).toEqual([...Array.from({ length: 15 }, (_, i) => `u${i + 1}`), ...Array.from({ length: 15 }, (_, i) => `u${i + 1}`)]);
    for (const e of events) expect(e.properties.email).toBe(`${e.userId}@example.com`);
    expect((await deliverAll(wh, SCHEMA, { pageSize: 4, readPages: 3 })).sent).toBe(0);
  });

  it('reads the outbox no further once a read comes back short', async () => {
    const outboxReads = async (readPages: number) => {
      const { wh: recorded, statements } = recordingWarehouse(wh);
      await wh.query(`UPDATE ${SCHEMA}.delivery_cursors SET last_outbox_id = 0`);
      await deliverAll(recorded, SCHEMA, { pageSize: 4, readPages, concurrency: 1 });
      return statements.filter((s) => /FROM "\w+"\."outbox" AS "o"/.test(s.sql) && /LIMIT/.test(s.sql)).length;
    };
    // 30 rows: reads of 12, 12 and 6 rows; the last two look among the ids the first spanned, and
    // the short one past them once more. Then 30 rows in one read of 40.
    expect(await outboxReads(3)).toBe(4);
    expect(await outboxReads(10)).toBe(1);
    expect(sent()).toHaveLength(60);
  });

  it('skipWhenEmpty: an empty emitter records nothing; a pending one reads its cursor and first rows once', async () => {
    const reads = (statements: { sql: string }[]) => ({
      cursor: statements.filter((s) => /FROM "\w+"\."delivery_cursors"/.test(s.sql) && s.sql.startsWith('SELECT')).length,
      outbox: statements.filter((s) => /FROM "\w+"\."outbox" AS "o"/.test(s.sql) && /LIMIT/.test(s.sql)).length,
      runs: statements.filter((s) => s.sql.startsWith(`INSERT INTO "${SCHEMA}"."delivery_runs"`)).length,
    });
    const pending = recordingWarehouse(wh);
    const first = await deliverAll(pending.wh, SCHEMA, { pageSize: 100, concurrency: 1, skipWhenEmpty: true });
    expect(first.emitters).toMatchObject([{ status: 'delivered', sent: 30 }]);
    expect(reads(pending.statements)).toEqual({ cursor: 1, outbox: 1, runs: 1 });

    const empty = recordingWarehouse(wh);
    const second = await deliverAll(empty.wh, SCHEMA, { pageSize: 100, skipWhenEmpty: true });
    expect(second.emitters).toEqual([]);
    expect(reads(empty.statements)).toEqual({ cursor: 1, outbox: 1, runs: 0 });
  });

  it('skipWhenEmpty: a first read that fails is made again, and the delivery goes on', async () => {
    const fault = { pattern: /FROM "\w+"\."outbox" AS "o"/, times: 1, error: () => new Error('IO Error: read failed') };
    const flaky = new FaultyWarehouse(wh, [fault]);
    const summary = await deliverAll(flaky, SCHEMA, { pageSize: 100, skipWhenEmpty: true });
    expect(flaky.hits.get(fault)).toBeGreaterThan(1);
    expect(summary.emitters).toMatchObject([{ status: 'delivered', sent: 30 }]);
  });

  it('stops at a failed request inside a read and resumes there, losing nothing read ahead', async () => {
    failAt = 4; // the 4th request: the second page of the first read (rows 7-8).
    const first = await deliverAll(wh, SCHEMA, { pageSize: 4, readPages: 3, concurrency: 1, retry: { maxAttempts: 1 } });
    expect(first.emitters[0].status).toBe('partial');
    const firstIds = sent().map((e) => e.userId);
    failAt = 0;
    const second = await deliverAll(wh, SCHEMA, { pageSize: 4, readPages: 3, concurrency: 1 });
    expect(second.emitters[0].status).toBe('delivered');
    expect(first.sent + second.sent).toBe(30);
    const all = sent().map((e) => e.userId);
    // What the second run sent is the rest, from the stop on.
    expect(all.slice(firstIds.length)).toEqual([...Array.from({ length: 15 }, (_, i) => `u${i + 1}`), ...Array.from({ length: 15 }, (_, i) => `u${i + 1}`)].slice(first.sent));
  });
});

/** Sending and recording overlap by one page: while page n is sent, page n - 1 may still be recorded, never n - 2. */
describe('deliverAll with commits slower than sends', () => {
  let wh: Warehouse;
  let server: TestServer;
  let recorded = 0;
  const recordedWhenSent: number[] = [];

  beforeEach(async () => {
    recorded = 0;
    recordedWhenSent.length = 0;
    wh = await openState();
    await seedBank(wh, 20);
    server = await startServer((_req, _n, res) => {
      recordedWhenSent.push(recorded);
      json(res, 200, {});
    });
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', batchSize: 2, settings: { url: `${server.url}/hook`, batch: true } }],
      emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered' }],
    });
    await insertOutbox(wh, Array.from({ length: 12 }, (_, i) => ({ kind: 'entered' as const, profileId: `u${i + 1}` })));
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  it('sends a page only once every page before the previous one is recorded, so a crash resends at most two pages', async () => {
    const slowRecords = new FaultyWarehouse(wh, [{ pattern: /^INSERT INTO "\w+"\."delivery_pages"/, times: Number.POSITIVE_INFINITY, delayMs: 100 }]);
    // Called once each page's record is committed.
    const onProgress = () => recorded++;
    const summary = await deliverAll(slowRecords, SCHEMA, { pageSize: 2, concurrency: 1, onProgress });
    expect(summary.emitters).toMatchObject([{ status: 'delivered', sent: 12 }]);
    // One request per page of two events: page n went out once pages 0 .. n - 2 were recorded.
    expect(recordedWhenSent).toHaveLength(6);
    recordedWhenSent.forEach((done, n) => expect(done, `pages recorded when page ${n} was sent`).toBeGreaterThanOrEqual(n - 1));
  });
});

/**
 * The next page's requests start while the page before has its last ones in flight (waiting for
 * them left the destination with fewer requests in flight at every page's end), yet a user's
 * later event never goes before the earlier one is answered, across pages as inside one.
 */
describe('deliverAll sending the next page beside the last requests of the page before', () => {
  let wh: Warehouse;
  let server: TestServer;
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  it("starts page 2 while page 1's last request is unanswered, and sends u5's Exited only after its Entered was answered", async () => {
    wh = await openState();
    await seedBank(wh, 10);
    let releaseHeld!: () => void;
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    const arrivals: string[] = [];
    server = await startServer(async (req, _n, res) => {
      const e = req.body as { userId: string; traits: Record<string, boolean> };
      const name = `${e.userId} ${e.traits['overdue-cards'] ? 'in' : 'out'}`;
      arrivals.push(name);
      // Page 1's last request is answered once page 2's first arrives (or after 3 s, when it never does).
      if (name === 'u5 in') await Promise.race([held, new Promise((r) => setTimeout(r, 3000))]);
      if (name === 'u6 in') releaseHeld();
      arrivals.push(`${name} answered`);
      json(res, 200, {});
    });
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook`, batch: false } }],
      emitters: [{ key: 'membership', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_membership_changed' }],
    });
    // Page 1: u1..u5 entered; page 2: u5 exited, u6..u9 entered.
    await insertOutbox(wh, [
      ...['u1', 'u2', 'u3', 'u4', 'u5'].map((profileId) => ({ kind: 'entered' as const, profileId })),
      { kind: 'exited' as const, profileId: 'u5' },
      ...['u6', 'u7', 'u8', 'u9'].map((profileId) => ({ kind: 'entered' as const, profileId })),
    ]);
    const summary = await deliverAll(wh, SCHEMA, { pageSize: 5, concurrency: 4 });
    expect(summary.emitters).toMatchObject([{ status: 'delivered', sent: 10 }]);
    const at = (name: string) => arrivals.indexOf(name);
    expect(at('u6 in'), arrivals.join(', ')).toBeLessThan(at('u5 in answered'));
    expect(at('u5 out'), arrivals.join(', ')).toBeGreaterThan(at('u5 in answered'));
  });
});
