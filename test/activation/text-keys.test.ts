import { afterEach, beforeEach, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { snapshotCatalog, textKeysFromSnapshot } from '../../src/graph/catalog.js';
import { CatalogSnapshotStore } from '../../src/state/apply/catalog-snapshots.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { recordingWarehouse } from '../support/recording-warehouse.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, openState, SCHEMA, seedBank, startServer, type TestServer } from './helpers.js';

/*
 * Ids compare as text (the outbox stores them so). An id column the apply's catalog snapshot says
 * is text already is compared as it is: a cast on a join key keeps DuckDB from running the join in
 * parallel (docs/destinations.md, Enrichment) and any warehouse from pruning by it. Without a
 * snapshot, or for an integer id, the cast stays.
 */

it('text keys: the profile id and the entity keys the snapshot says are text, column names matched case-insensitively', () => {
  const snapshot = {
    'main.profiles': { USER_ID: 'VARCHAR', email: 'VARCHAR' },
    'main.accounts': { account_id: 'BIGINT', user_id: 'VARCHAR' },
    'main.credit_cards': { card_id: 'VARCHAR(36)', account_id: 'BIGINT' },
  };
  expect(textKeysFromSnapshot(GRAPH, snapshot)).toEqual(['main.profiles.user_id', 'main.credit_cards.card_id']);
  expect(textKeysFromSnapshot(GRAPH, {})).toEqual([]);
});

let wh: Warehouse;
let server: TestServer;
beforeEach(async () => {
  wh = await openState();
  server = await startServer();
});
afterEach(async () => {
  await server.close();
  await wh.close();
});

/** Applies the bank's emitters (traits, the trigger chain, another relationship) and queues three events. */
async function queueEvents(): Promise<void> {
  await applyResources(
    wh,
    {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/h`, batch: true } }],
      emitters: [
        { key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', enrich: { traits: ['email'], entities: [{ relationship: 'cards', columns: ['balance'] }] } },
        { key: 'added', audience: 'overdue-cards', destination: 'hook', trigger: 'entity_added', entityPath: ['accounts', 'cards'], enrich: { traits: ['plan'], entities: [{ relationship: 'accounts', columns: ['type'] }] } },
      ],
    },
    new Date(Date.now() - 60_000),
  );
  await insertOutbox(wh, [
    { kind: 'entered', profileId: 'u1' },
    { kind: 'entered', profileId: 'u2' },
    { kind: 'entity_added', profileId: 'u2', entityPath: 'accounts.cards', entityId: 'c2' },
  ]);
}

/** Delivers; returns the events received (ordered) and the enrichment statements sent. */
async function deliver(): Promise<{ events: unknown[]; enrichment: string[] }> {
  const recorded = recordingWarehouse(wh);
  expect((await deliverAll(recorded.wh, SCHEMA)).sent).toBe(3);
  const events = server.requests
    .flatMap((r) => r.body as Record<string, unknown>[])
    .map(({ messageId: _m, timestamp: _t, sentAt: _s, receivedAt: _r, ...e }) => e)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return { events, enrichment: recorded.statements.map((s) => s.sql).filter((s) => /FROM "main"\.("profiles"|"accounts"|"credit_cards")/.test(s)) };
}

it('ids the catalog says are text are compared without a cast, and the events are the same as with one', async () => {
  await seedBank(wh, 3);
  await queueEvents();
  const cast = await deliver();
  expect(cast.enrichment.length).toBeGreaterThanOrEqual(3);
  expect(cast.enrichment.every((s) => s.includes('CAST("p"."user_id" AS VARCHAR)') || s.includes('CAST("a"."'))).toBe(true);

  // The apply's snapshot: every id column of the bank is VARCHAR.
  await new CatalogSnapshotStore(wh, SCHEMA).write('bank', GRAPH.key, await snapshotCatalog(GRAPH, wh), new Date(), 'apply-snapshot');
  await wh.query(`DELETE FROM "${SCHEMA}"."delivery_cursors"`);
  server.requests.length = 0;
  const plain = await deliver();
  expect(plain.enrichment.filter((s) => /CAST\("\w+"\."(user_id|account_id|card_id)" AS VARCHAR\)/.test(s))).toEqual([]);
  expect(plain.enrichment.some((s) => s.includes('"p"."user_id" = "k"."profile_id"'))).toBe(true);
  expect(plain.events).toEqual(cast.events);
  expect(plain.events).toHaveLength(3);
});

it('an integer profile id keeps its cast (compared as the text the outbox holds)', async () => {
  await seedBank(wh, 3);
  await wh.query(`CREATE OR REPLACE TABLE main.profiles AS SELECT CAST(substr(user_id, 2) AS INTEGER) AS user_id, email, first_name, plan FROM main.profiles`);
  await wh.query(`UPDATE main.accounts SET user_id = substr(user_id, 2)`);
  await new CatalogSnapshotStore(wh, SCHEMA).write('bank', GRAPH.key, await snapshotCatalog(GRAPH, wh), new Date(), 'apply-snapshot');
  await applyResources(
    wh,
    {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/h`, batch: true } }],
      emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', enrich: { traits: ['email'] } }],
    },
    new Date(Date.now() - 60_000),
  );
  await insertOutbox(wh, [{ kind: 'entered', profileId: '1' }, { kind: 'entered', profileId: '2' }, { kind: 'entered', profileId: '3' }]);
  const recorded = recordingWarehouse(wh);
  expect((await deliverAll(recorded.wh, SCHEMA)).sent).toBe(3);
  const traitsRead = recorded.statements.map((s) => s.sql).find((s) => /FROM "main"\."profiles"/.test(s));
  expect(traitsRead).toContain('CAST("p"."user_id" AS VARCHAR)');
  const events = server.requests.flatMap((r) => r.body as { userId: string; properties: { email: string } }[]);
  expect(events.map((e) => [e.userId, e.properties.email]).sort()).toEqual([
    ['1', 'u1@example.com'],
    ['2', 'u2@example.com'],
    ['3', 'u3@example.com'],
  ]);
});
