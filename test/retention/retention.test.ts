import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { Desired } from '../../src/model/index.js';
import { SnapshotStore } from '../../src/state/compute/snapshot.js';
import { collectGarbage } from '../../src/state/retention/retention.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, openState, SCHEMA, seedBank, startServer, tempDir, type TestServer } from '../activation/helpers.js';
import { writeManifest } from '../plan/fixtures.js';
import { linkedInProcess } from '../support/linked-cli.js';

const DAY = 86_400_000;

describe('retention: linked gc and collectGarbage', () => {
  let dir: string;
  let wh: Warehouse;
  let server: TestServer;

  beforeEach(async () => {
    dir = tempDir();
    wh = await openState(join(dir, 'w.duckdb'));
    await seedBank(wh, 5);
    server = await startServer();
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook`, batch: true } }],
      emitters: [{ key: 'changes', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_membership_changed' }],
    });
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  /** u1 in then out, u2 in, u3 in/out/in: delivered; then u2 out, not delivered. */
  async function history(): Promise<number[]> {
    const delivered = await insertOutbox(wh, [
      { kind: 'entered', profileId: 'u1' },
      { kind: 'exited', profileId: 'u1' },
      { kind: 'entered', profileId: 'u2' },
      { kind: 'entered', profileId: 'u3' },
      { kind: 'exited', profileId: 'u3' },
      { kind: 'entered', profileId: 'u3' },
    ]);
    expect((await deliverAll(wh, SCHEMA)).sent).toBe(6);
    const pending = await insertOutbox(wh, [{ kind: 'exited', profileId: 'u2' }]);
    return [...delivered, ...pending];
  }

  const members = async () => (await wh.query<{ p: string }>(`SELECT profile_id AS p FROM "${SCHEMA}"."membership" ORDER BY 1`)).rows.map((r) => r.p);
  const outboxIds = async () => (await wh.query<{ id: number }>(`SELECT id FROM "${SCHEMA}"."outbox" ORDER BY id`)).rows.map((r) => Number(r.id));

  it('compacts delivered outbox rows so the snapshot rebuilds the same, keeps what is undelivered, drops old records', async () => {
    const ids = await history();
    const snapshot = new SnapshotStore(wh, SCHEMA);
    await snapshot.rebuildMembers('overdue-cards');
    const before = await members();
    expect(before).toEqual(['u3']);
    await wh.query(
      `INSERT INTO "${SCHEMA}"."runs" (id, audience_key, status, started_at, ended_at, trigger) VALUES
        ('r-old', 'overdue-cards', 'Live', now() - INTERVAL 50 DAY, now() - INTERVAL 50 DAY, 'schedule'),
        ('run-1', 'overdue-cards', 'Live', now() - INTERVAL 50 DAY, now() - INTERVAL 50 DAY, 'schedule')`,
    );
    const dead = (id: number, replayed: string) =>
      `(${id}, 'changes', 'hook', 'r', 'outbox', ${id}, 'm${id}', 'u1', 'Audience Membership Changed', '{}', 'DESTINATION_REJECTED', 'HTTP 400', 400, NULL, now(), 1, NULL, ${replayed})`;
    await wh.query(`INSERT INTO "${SCHEMA}"."dead_letters" VALUES ${dead(1, 'now()')}, ${dead(2, 'NULL')}`);

    // Forty days on, with a thirty-day retention, everything written today is old.
    const later = new Date(Date.now() + 40 * DAY);
    const dry = await collectGarbage(wh, SCHEMA, { retentionMs: 30 * DAY, now: later, dryRun: true });
    expect(await outboxIds()).toEqual(ids);
    const counts = await collectGarbage(wh, SCHEMA, { retentionMs: 30 * DAY, now: later });
    expect(counts).toEqual(dry);
    expect(counts).toMatchObject({ outboxRows: 4, deliveryPages: 1, deliveryRuns: 1, replayedDeadLetters: 1, runs: 1 });
    // Kept: u2's entered (its exit is not delivered), u3's latest entered, the undelivered exit.
    expect(await outboxIds()).toEqual([ids[2], ids[5], ids[6]]);
    await snapshot.rebuildMembers('overdue-cards');
    expect(await members()).toEqual(before);
    expect((await wh.query(`SELECT id FROM "${SCHEMA}"."dead_letters"`)).rows.map((r) => Number(r.id))).toEqual([2]);
    expect((await wh.query(`SELECT id FROM "${SCHEMA}"."runs"`)).rows.map((r) => r.id)).toEqual(['run-1']);

    // Nothing more to collect; within the retention, nothing at all.
    expect(Object.values(await collectGarbage(wh, SCHEMA, { retentionMs: 30 * DAY, now: later })).every((n) => n === 0)).toBe(true);
  });

  it('a dry run counts exactly what the collection then removes, runs named only by compacted rows included', async () => {
    // Run r-gone's only rows, u1 in then out, are delivered with the others and compacted away:
    // once they are gone nothing names r-gone, so the collection removes it too.
    await wh.query(
      `INSERT INTO "${SCHEMA}"."runs" (id, audience_key, status, started_at, ended_at, trigger) VALUES
        ('r-gone', 'overdue-cards', 'Live', now(), now(), 'schedule'), ('run-1', 'overdue-cards', 'Live', now(), now(), 'schedule')`,
    );
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u1' }, { kind: 'exited', profileId: 'u1' }], 'r-gone');
    expect((await deliverAll(wh, SCHEMA)).sent).toBe(2);
    await history();
    const tables = {
      outboxRows: 'outbox',
      backfillRows: 'delivery_backfill',
      deliveryPages: 'delivery_pages',
      deliveryEvents: 'delivery_events',
      deliveryRuns: 'delivery_runs',
      replayedDeadLetters: 'dead_letters',
      runs: 'runs',
      computeRequests: 'compute_requests',
    } as const;
    const rows = async () => {
      const n: Record<string, number> = {};
      for (const [area, table] of Object.entries(tables)) n[area] = Number((await wh.query<{ n: unknown }>(`SELECT count(*) AS n FROM "${SCHEMA}"."${table}"`)).rows[0]!.n);
      return n;
    };
    const later = new Date(Date.now() + 40 * DAY);
    const before = await rows();
    const dry = await collectGarbage(wh, SCHEMA, { retentionMs: 30 * DAY, now: later, dryRun: true });
    expect(await rows()).toEqual(before);
    const counts = await collectGarbage(wh, SCHEMA, { retentionMs: 30 * DAY, now: later });
    const after = await rows();
    const removed = Object.fromEntries(Object.keys(tables).map((area) => [area, before[area]! - after[area]!]));
    expect(removed).toEqual(counts);
    expect(dry).toEqual(counts);
    expect(dry).toMatchObject({ outboxRows: 6, runs: 1 });
    expect((await wh.query(`SELECT id FROM "${SCHEMA}"."runs"`)).rows.map((r) => r.id)).toEqual(['run-1']);
  });

  it('an emitter that never delivered holds its audience\'s rows back', async () => {
    await insertOutbox(wh, [
      { kind: 'entered', profileId: 'u1' },
      { kind: 'exited', profileId: 'u1' },
    ]);
    const counts = await collectGarbage(wh, SCHEMA, { retentionMs: DAY, now: new Date(Date.now() + 10 * DAY) });
    expect(counts.outboxRows).toBe(0);
    expect((await outboxIds()).length).toBe(2);
  });

  it('an emitter whose applied spec cannot be read holds back every audience\'s rows after its cursor', async () => {
    await history();
    await applyResources(wh, { emitters: [{ key: 'mystery', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered' }] });
    // Its audience, and so the rows it still owes, are unknown until it is applied again.
    await wh.query(`UPDATE "${SCHEMA}"."resources" SET spec = '{"key":"mystery","trigger":"from_the_future"}' WHERE key = 'mystery'`);
    const counts = await collectGarbage(wh, SCHEMA, { retentionMs: DAY, now: new Date(Date.now() + 10 * DAY) });
    expect(counts.outboxRows).toBe(0);
    expect((await outboxIds()).length).toBe(7);
  });

  it('linked gc --dry-run --json counts, removes nothing, and refuses a retention under a day', async () => {
    await history();
    await wh.close();
    writeManifest(dir, Desired.parse({ stack: 'bank', warehouse: { type: 'duckdb', path: 'w.duckdb' }, graph: GRAPH, audiences: [AUDIENCE] }));
    const linked = (...args: string[]) => linkedInProcess(['gc', ...args, '--dir', dir]);
    let r = await linked('--dry-run', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ dryRun: true, retentionDays: 30, total: 0 });
    expect(out.fileBytes).toBeGreaterThan(0);
    r = await linked('--retention-days', '0');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--retention-days must be .* at least 1/);
    wh = await openDuckDb(join(dir, 'w.duckdb'));
    expect((await outboxIds()).length).toBe(7);
  });
});
