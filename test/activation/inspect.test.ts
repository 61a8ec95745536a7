import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { readActivationModel } from '../../src/activation/emitter-context.js';
import { findDeliveries, listDeadLetters, readDeliveryRuns } from '../../src/activation/inspect.js';
import { previewEvents, testEvent } from '../../src/activation/preview.js';
import { replayDeadLetters } from '../../src/activation/replay.js';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import { runAudience } from '../../src/compute/run.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, openState, SCHEMA, seedBank, startServer, type TestServer } from './helpers.js';

const ENV = { BRAZE_KEY: 'braze-secret' };
const FAST = { retry: { baseDelayMs: 5, maxDelayMs: 20 }, env: ENV };

describe('dead letters, replay, previews, test events, the delivery record', () => {
  let wh: Warehouse;
  let server: TestServer;
  let refuse = new Set<string>();
  let refuseStatus = 400;

  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 10);
    refuse = new Set();
    refuseStatus = 400;
    server = await startServer((req, _n, res) => {
      const ids = ((req.body as any).events ?? []).map((e: any) => e.external_id);
      if (ids.some((id: string) => refuse.has(id))) return json(res, refuseStatus, { message: 'bad user' });
      json(res, 201, { message: 'success' });
    });
    await applyResources(
      wh,
      {
        graph: GRAPH,
        audiences: [AUDIENCE],
        destinations: [{ key: 'braze', type: 'braze', settings: { apiKey: { secret: 'BRAZE_KEY' }, appId: 'bank-app', endpoint: server.url } }],
        emitters: [
          {
            key: 'card-added',
            audience: 'overdue-cards',
            destination: 'braze',
            trigger: 'entity_added',
            entityPath: ['accounts', 'cards'],
            sendForCurrent: true,
            enrich: { traits: ['email'], entities: [{ relationship: 'cards', columns: ['balance'] }] },
          },
        ],
      },
      new Date(Date.now() - 60_000),
    );
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  it('lists dead letters and replays them once the destination accepts; the record finds who got what', async () => {
    refuse.add('u2');
    // Starts the emitter (empty snapshot), so the rows below are changes after its start.
    expect((await deliverAll(wh, SCHEMA, FAST)).sent).toBe(0);
    await insertOutbox(wh, [
      { kind: 'entity_added', profileId: 'u1', entityPath: 'accounts.cards', entityId: 'c1' },
      { kind: 'entity_added', profileId: 'u2', entityPath: 'accounts.cards', entityId: 'c2' },
    ]);
    const first = await deliverAll(wh, SCHEMA, FAST);
    expect(first).toMatchObject({ sent: 1, deadLettered: 1 });
    const letters = await listDeadLetters(wh, SCHEMA);
    expect(letters).toMatchObject([{ userId: 'u2', emitterKey: 'card-added', httpStatus: 400, responseBody: '{"message":"bad user"}', eventName: 'Entity Added' }]);

    const refusedAgain = await replayDeadLetters(wh, SCHEMA, { emitter: 'card-added' }, FAST);
    expect(refusedAgain).toMatchObject({ replayed: [], rejected: [{ id: letters[0].id }] });
    expect((await listDeadLetters(wh, SCHEMA))[0].replayCount).toBe(1);

    refuse.clear();
    const before = server.requests.length;
    const replayed = await replayDeadLetters(wh, SCHEMA, { ids: [letters[0].id] }, FAST);
    expect(replayed.replayed).toEqual([letters[0].id]);
    // The same event and messageId as the original attempt.
    const sent = (server.requests[before].body as any).events[0];
    expect(sent).toMatchObject({ external_id: 'u2', name: 'Entity Added', properties: { cards__card_id: 'c2', cards__balance: 1002 } });
    expect(await listDeadLetters(wh, SCHEMA)).toEqual([]);
    expect(await listDeadLetters(wh, SCHEMA, { includeReplayed: true })).toHaveLength(1);
    await expect(replayDeadLetters(wh, SCHEMA, { ids: [letters[0].id] }, FAST)).rejects.toThrow(/No unreplayed dead letter/);

    const forU2 = await findDeliveries(wh, SCHEMA, { userId: 'u2' });
    expect(forU2.map((d) => d.status).sort()).toEqual(['dead_lettered', 'sent']);
    // The replay's line names the entity, as the first attempt's does.
    expect(forU2.map((d) => d.entityId)).toEqual(['c2', 'c2']);
    expect(new Set(forU2.map((d) => d.messageId)).size).toBe(1);
    expect(await findDeliveries(wh, SCHEMA, { event: 'Entity Added', userId: 'u1' })).toMatchObject([{ status: 'sent', entityId: 'c1' }]);
    const runs = await readDeliveryRuns(wh, SCHEMA);
    expect(runs.find((r) => r.runId === first.runId && r.sent > 0)).toMatchObject({ sent: 1, deadLettered: 1, status: 'delivered' });
  });

  it('a dead letter refused again keeps the new answer whole, its reason code too; one a replay could not send stays a dead letter', async () => {
    // A retry budget of 0: the first 5xx dead-letters (RETRY_BUDGET_EXHAUSTED).
    await applyResources(wh, { destinations: [{ key: 'braze', type: 'braze', retryBudgetMinutes: 0, settings: { apiKey: { secret: 'BRAZE_KEY' }, appId: 'bank-app', endpoint: server.url } }] }, new Date(Date.now() - 60_000));
    expect((await deliverAll(wh, SCHEMA, FAST)).sent).toBe(0);
    await insertOutbox(wh, [{ kind: 'entity_added', profileId: 'u2', entityPath: 'accounts.cards', entityId: 'c2' }]);
    refuse.add('u2');
    refuseStatus = 503;
    expect(await deliverAll(wh, SCHEMA, FAST)).toMatchObject({ deadLettered: 1 });
    const [letter] = await listDeadLetters(wh, SCHEMA);
    expect(letter).toMatchObject({ reasonCode: 'RETRY_BUDGET_EXHAUSTED', httpStatus: 503 });

    refuseStatus = 422;
    expect(await replayDeadLetters(wh, SCHEMA, { ids: [letter.id] }, FAST)).toMatchObject({ rejected: [{ id: letter.id }] });
    expect((await listDeadLetters(wh, SCHEMA))[0]).toMatchObject({ reasonCode: 'DESTINATION_REJECTED', httpStatus: 422, replayCount: 1 });

    refuseStatus = 503;
    const pending = await replayDeadLetters(wh, SCHEMA, { ids: [letter.id] }, { ...FAST, retry: { ...FAST.retry, maxAttempts: 2 } });
    expect(pending.pending).toMatchObject([{ id: letter.id, reason: expect.stringContaining('still a dead letter') }]);
    expect(pending.pending[0].reason).not.toMatch(/resumes next run/);
    expect(await listDeadLetters(wh, SCHEMA)).toMatchObject([{ id: letter.id }]);
  });

  it('records outbox events as page ranges that expand to exactly the events sent, as they were sent', async () => {
    // A second emitter of the same rows, without sendForCurrent: baseline rows are not its.
    const newOnly = { key: 'card-added-new', audience: 'overdue-cards', destination: 'braze', trigger: 'entity_added', entityPath: ['accounts', 'cards'] };
    await applyResources(wh, { emitters: [newOnly] }, new Date(Date.now() - 60_000));
    expect((await deliverAll(wh, SCHEMA, FAST)).sent).toBe(0);
    await insertOutbox(wh, [
      { kind: 'entity_added', profileId: 'u1', entityPath: 'accounts.cards', entityId: 'c1' },
      { kind: 'entity_removed', profileId: 'u3', entityPath: 'accounts.cards', entityId: 'c3' },
      { kind: 'entity_added', profileId: 'u4', entityPath: 'accounts', entityId: 'a4' },
      { kind: 'entity_added', profileId: 'u6', entityPath: 'accounts.cards', entityId: 'c6', audienceKey: 'other' },
      { kind: 'entity_added', profileId: 'u5', entityPath: 'accounts.cards', entityId: 'c5', baseline: true },
      { kind: 'entity_added', profileId: 'u7', entityPath: 'accounts.cards', entityId: 'c7' },
    ]);
    expect(await deliverAll(wh, SCHEMA, FAST)).toMatchObject({ sent: 5 });
    const received = server.requests.flatMap((r) => (r.body as any).events.map((e: any) => `${e.external_id}|${e.properties.cards__card_id}`));
    const recorded = async (emitter: string) =>
      (await findDeliveries(wh, SCHEMA, { emitter })).map((d) => `${d.userId}|${d.entityId}|${d.status}`).sort();
    expect(received.sort()).toEqual(['u1|c1', 'u1|c1', 'u5|c5', 'u7|c7', 'u7|c7']);
    expect(await recorded('card-added')).toEqual(['u1|c1|sent', 'u5|c5|sent', 'u7|c7|sent']);
    expect(await recorded('card-added-new')).toEqual(['u1|c1|sent', 'u7|c7|sent']);
    // One range row per emitter's page, no row per event.
    const counts = await wh.query<{ pages: unknown; events: unknown }>(
      `SELECT (SELECT COUNT(*) FROM "${SCHEMA}".delivery_pages) AS pages, (SELECT COUNT(*) FROM "${SCHEMA}".delivery_events) AS events`,
    );
    expect(counts.rows[0]).toEqual({ pages: 2, events: 0 });
    // The range keeps the emitter's filter as it was: changing the emitter does not rewrite history.
    const changed = await wh.query(
      `UPDATE "${SCHEMA}".resources SET spec = replace(spec, '"sendForCurrent":true', '"sendForCurrent":false') WHERE kind = 'event_emitter' AND key = 'card-added'`,
    );
    expect(changed.rows[0]).toEqual({ Count: 1 });
    expect(await recorded('card-added')).toEqual(['u1|c1|sent', 'u5|c5|sent', 'u7|c7|sent']);
  });

  it('previews the next delivery without sending or writing, backfill included', async () => {
    await wh.query(`INSERT INTO "${SCHEMA}".entity_matches VALUES ('overdue-cards', 'accounts.cards', 'u5', 'c5', 'run-0')`);
    const model = await readActivationModel(wh, SCHEMA);
    const p = await previewEvents(wh, SCHEMA, model, 'card-added', 5);
    expect(p).toMatchObject({ started: false, pending: 1, action: 'trackEvent' });
    expect(p.events[0].event).toMatchObject({ userId: 'u5', properties: { cards__card_id: 'c5', cards__balance: 1005 } });
    expect(p.events[0].mapped).toMatchObject({ external_id: 'u5', name: 'Entity Added' });
    expect(server.requests).toHaveLength(0);
    const cursors = await wh.query(`SELECT * FROM "${SCHEMA}".delivery_cursors`);
    expect(cursors.rows).toEqual([]);
    // Delivery then sends exactly what was previewed.
    const s = await deliverAll(wh, SCHEMA, FAST);
    expect(s.sent).toBe(1);
    expect((server.requests[0].body as any).events[0].external_id).toBe('u5');
  });

  it('sends a test event built from the user\'s rows, or from example values for an unknown user', async () => {
    const model = await readActivationModel(wh, SCHEMA);
    const real = await testEvent(wh, SCHEMA, model, 'card-added', { userId: 'u3', env: ENV });
    expect(real).toMatchObject({ source: 'warehouse', sent: true, response: { status: 201, outcome: 'accepted' } });
    expect(real.event.properties).toMatchObject({ email: 'u3@example.com', cards__card_id: 'c3' });
    expect(real.headerNames).toEqual(['Authorization']);
    expect(JSON.stringify(real)).not.toContain('braze-secret');
    expect((server.requests[0].body as any).events[0]).toMatchObject({ external_id: 'u3', properties: { email: 'u3@example.com' } });

    const example = await testEvent(wh, SCHEMA, model, 'card-added', { userId: 'nobody', send: false });
    expect(example).toMatchObject({ source: 'example', sent: false, event: { userId: 'nobody', properties: { email: 'example email' } } });
    expect(server.requests).toHaveLength(1);
  });

  it('a test event of an entity trigger is one the emitter could send: a member and an entity that matched them at the last run', async () => {
    // Only u7's card is over 1,000: the first profile (u1) and its card c1 match nothing.
    await wh.query(`UPDATE main.credit_cards SET balance = 10 WHERE card_id <> 'c7'`);
    const applied = (await readAppliedModel(wh, SCHEMA))!;
    const run = await runAudience(wh, { schema: SCHEMA, audienceKey: AUDIENCE.key, trigger: 'manual', compile: () => compileAudience(applied, AUDIENCE.key, { dialect: 'duckdb', stateSchema: SCHEMA, now: new Date() }) });
    expect(run).toMatchObject({ status: 'Live', members: 1 });
    const model = await readActivationModel(wh, SCHEMA);
    const any = await testEvent(wh, SCHEMA, model, 'card-added', { send: false });
    expect(any).toMatchObject({ source: 'warehouse', fromLastRun: true, event: { userId: 'u7', properties: { cards__card_id: 'c7', cards__balance: 1007 } } });
    // A user who matched nothing still gets an event from their own rows, as before.
    const outsider = await testEvent(wh, SCHEMA, model, 'card-added', { userId: 'u2', send: false });
    expect(outsider).toMatchObject({ source: 'warehouse', fromLastRun: false, event: { userId: 'u2', properties: { cards__card_id: 'c2', cards__balance: 10 } } });
  });
});
