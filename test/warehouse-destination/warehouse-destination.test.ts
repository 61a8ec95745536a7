import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { messageIdOf } from '../../src/activation/build-event.js';
import { Destination } from '../../src/model/destination.js';
import { DaemonObservability } from '../../src/observe/daemon.js';
import { createLogger } from '../../src/observe/log.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, openState, SCHEMA, seedBank, startServer, type TestServer } from '../activation/helpers.js';

/*
 * Destination.warehouse: the same events a webhook gets, as rows of a table in the stack's own
 * DuckDB, once per messageId; and the daemon's delivery hooks counting both destinations.
 */
describe('the warehouse destination', () => {
  let wh: Warehouse;
  let server: TestServer;

  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 5);
    server = await startServer();
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  const resources = () => ({
    graph: GRAPH,
    audiences: [AUDIENCE],
    destinations: [
      { key: 'changes', type: 'warehouse', settings: { table: 'main.audience_changes' } },
      { key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook`, batch: true } },
    ],
    emitters: [
      { key: 'to-table', audience: 'overdue-cards', destination: 'changes', trigger: 'audience_membership_changed', enrich: { traits: ['email'] } },
      { key: 'to-hook', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_membership_changed', enrich: { traits: ['email'] } },
    ],
  });

  it('creates the table, writes each event once, and a second delivery of the same messageIds inserts nothing', async () => {
    await applyResources(wh, resources());
    const ids = await insertOutbox(wh, [
      { kind: 'entered', profileId: 'u1' },
      { kind: 'entered', profileId: 'u2' },
      { kind: 'exited', profileId: 'u3' },
    ]);
    const logged: string[] = [];
    const logger = createLogger({ format: 'json', write: (l) => logged.push(l) });
    const observe = new DaemonObservability({ schema: SCHEMA, staleAfterMs: 60_000, logger });
    const summary = await deliverAll(wh, SCHEMA, observe.deliveryHooks());
    expect(summary.emitters.map((e) => [e.emitterKey, e.status, e.sent]).sort()).toEqual([
      ['to-hook', 'delivered', 3],
      ['to-table', 'delivered', 3],
    ]);

    const { rows } = await wh.query<Record<string, unknown>>(
      `SELECT message_id, type, event, user_id, audience_key, emitter_key, CAST(properties AS VARCHAR) AS properties, CAST(traits AS VARCHAR) AS traits
         FROM main.audience_changes ORDER BY user_id`,
    );
    expect(rows.map((r) => [r.message_id, r.user_id, r.type, r.event, r.audience_key, r.emitter_key])).toEqual(
      ids.map((id, i) => [messageIdOf('to-table', 'outbox', id), `u${i + 1}`, 'identify', null, 'overdue-cards', 'to-table']),
    );
    // The same Identify events as the webhook's: traits carry membership and the enrichment.
    const hookEvents = (server.requests[0].body as { userId: string; traits: unknown }[]).map((e) => [e.userId, e.traits]);
    expect(rows.map((r) => [r.user_id, JSON.parse(String(r.traits))])).toEqual(hookEvents);
    expect(JSON.parse(String(rows[2].traits))).toMatchObject({ email: 'u3@example.com', 'overdue-cards': false });

    // A resend (crash before the cursor's commit): rewind the cursor and deliver again.
    await wh.query(`UPDATE "${SCHEMA}"."delivery_cursors" SET last_outbox_id = 0 WHERE emitter_key = 'to-table'`);
    const again = await deliverAll(wh, SCHEMA, { emitters: ['to-table'] });
    expect(again.sent).toBe(3);
    const { rows: count } = await wh.query<{ n: number }>(`SELECT COUNT(*)::INTEGER AS n FROM main.audience_changes`);
    expect(count[0].n).toBe(3);

    // One JSON line per delivered batch, per emitter.
    const batches = logged.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === 'batch');
    expect(batches.map((b) => [b.emitter, b.destination, b.sent, b.dead_lettered]).sort()).toEqual([
      ['to-hook', 'hook', 3, 0],
      ['to-table', 'changes', 3, 0],
    ]);

    // The hooks counted both destinations' batches and timed their requests.
    const text = await observe.metrics.text();
    expect(text).toContain('linked_events_sent_total{destination="changes",emitter="to-table"} 3');
    expect(text).toContain('linked_events_sent_total{destination="hook",emitter="to-hook"} 3');
    expect(text).toMatch(/linked_destination_request_duration_seconds_count\{destination="changes",outcome="ok"\} 1\n/);
    expect(text).toMatch(/linked_destination_request_duration_seconds_count\{destination="hook",outcome="ok"\} 1\n/);
  });

  it('takes table, schema.table or database.schema.table, and nothing else', () => {
    const parse = (table: string) => Destination.safeParse({ key: 'changes', type: 'warehouse', settings: { table } }).success;
    expect(['t', 'analytics.audience_changes', 'DB.ANALYTICS.CHANGES'].map(parse)).toEqual([true, true, true]);
    expect(['', 'a.b.c.d', 'x; DROP TABLE y', 'a..b', '"quoted"'].map(parse)).toEqual([false, false, false, false, false]);
  });

  it('a table it cannot write leaves the events after the cursor (retried, as a 5xx would be)', async () => {
    await applyResources(wh, { ...resources(), destinations: [{ key: 'changes', type: 'warehouse', settings: { table: 'missing_schema.audience_changes' } }], emitters: [resources().emitters[0]] });
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u1' }]);
    const summary = await deliverAll(wh, SCHEMA, { retry: { maxAttempts: 1 } });
    expect(summary.emitters[0]).toMatchObject({ emitterKey: 'to-table', status: 'partial', sent: 0, failed: 1, deadLettered: 0 });
    expect(summary.emitters[0].lastError).toMatch(/missing_schema/);
  });
});
