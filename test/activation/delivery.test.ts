import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { messageIdOf } from '../../src/activation/build-event.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, openState, SCHEMA, seedBank, startServer, type TestServer } from './helpers.js';

const ENV = { HOOK_TOKEN: 'tok-123-hook' };

describe('deliverAll', () => {
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

  const webhook = (batch = true) => ({
    key: 'hook',
    type: 'webhook',
    settings: { url: `${server.url}/hook`, batch, headers: { Authorization: { secret: 'HOOK_TOKEN' }, 'X-Static': 'yes' } },
  });

  it('sends Entity Added events enriched from the warehouse, shaped as REFERENCE.md shows', async () => {
    const before = new Date(Date.now() - 60_000);
    await insertOutbox(wh, [{ kind: 'entity_added', profileId: 'u9', entityPath: 'accounts.cards', entityId: 'c9', createdAt: before }]);
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [webhook()],
      emitters: [
        {
          key: 'card-added',
          audience: 'overdue-cards',
          destination: 'hook',
          trigger: 'entity_added',
          entityPath: ['accounts', 'cards'],
          enrich: { traits: ['email', 'first_name'], entities: [{ relationship: 'cards', columns: ['balance', 'due_date'] }, { relationship: 'accounts', columns: ['type'] }] },
        },
      ],
    });
    const ids = await insertOutbox(wh, [
      { kind: 'entity_added', profileId: 'u1', entityPath: 'accounts.cards', entityId: 'c1' },
      { kind: 'entity_added', profileId: 'u2', entityPath: 'accounts.cards', entityId: 'c2' },
      { kind: 'entered', profileId: 'u3' },
      { kind: 'entity_added', profileId: 'u3', entityPath: 'accounts.cards', entityId: 'c3', baseline: true },
    ]);

    const summary = await deliverAll(wh, SCHEMA, { env: ENV });
    expect(summary.emitters).toMatchObject([{ emitterKey: 'card-added', status: 'delivered', sent: 2, deadLettered: 0 }]);
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    expect(req.headers.authorization).toBe('tok-123-hook');
    expect(req.headers['x-static']).toBe('yes');
    const body = req.body as any[];
    expect(body.map((e) => e.userId)).toEqual(['u1', 'u2']);
    const e = body[0];
    expect(e).toMatchObject({
      type: 'track',
      event: 'Entity Added',
      userId: 'u1',
      messageId: messageIdOf('card-added', 'outbox', ids[0]),
      context: { personas: { computation_key: 'overdue-cards', computation_class: 'audience', event_emitter_id: 'card-added', namespace: 'bank' } },
      properties: {
        audience_key: 'overdue-cards',
        'overdue-cards': true,
        email: 'u1@example.com',
        first_name: 'Name1',
        cards__card_id: 'c1',
        cards__balance: 1001,
        cards____entity: 'credit_card',
        accounts: [{ account_id: 'a1', type: 'credit', __entity: 'account' }],
        _entity_context: { accounts: { account_id: 'a1', type: 'credit', __entity: 'account', cards: { card_id: 'c1', balance: 1001, __entity: 'credit_card' } } },
      },
    });
    expect(String(e.properties.cards__due_date)).toMatch(/^2026-12-01/);

    // The record of what was sent to whom, with the same messageIds.
    const { rows } = await wh.query<{ user_id: string; message_id: string; status: string; event: string }>(
      `SELECT user_id, message_id, status, event FROM "${SCHEMA}".delivery_log ORDER BY source_id`,
    );
    expect(rows).toEqual([
      { user_id: 'u1', message_id: body[0].messageId, status: 'sent', event: 'Entity Added' },
      { user_id: 'u2', message_id: body[1].messageId, status: 'sent', event: 'Entity Added' },
    ]);
    // A second run sends nothing: the cursor moved past what the destination acknowledged.
    const again = await deliverAll(wh, SCHEMA, { env: ENV });
    expect(again.sent).toBe(0);
    expect(server.requests).toHaveLength(1);
    const log = await wh.query<{ sent: unknown; status: string }>(`SELECT sent, status FROM "${SCHEMA}".delivery_runs WHERE run_id = ?`, [summary.runId]);
    expect(log.rows).toEqual([{ sent: 2, status: 'delivered' }]);
  });

  it('backfills current members for an emitter with sendForCurrent, then follows the outbox', async () => {
    await wh.query(`INSERT INTO "${SCHEMA}".membership VALUES ('overdue-cards', 'u1', 'run-0'), ('overdue-cards', 'u2', 'run-0')`);
    await insertOutbox(wh, [
      { kind: 'entered', profileId: 'u1', baseline: true, createdAt: new Date(Date.now() - 60_000) },
      { kind: 'entered', profileId: 'u2', baseline: true, createdAt: new Date(Date.now() - 60_000) },
    ]);
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [webhook()],
      emitters: [
        { key: 'entered-now', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true },
        { key: 'entered-new', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', eventName: 'Became Overdue' },
        { key: 'membership', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_membership_changed', enrich: { traits: ['plan'] } },
      ],
    });
    // A later run (outbox and snapshot move together, as compute commits them).
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u3' }, { kind: 'exited', profileId: 'u1' }]);
    await wh.query(`DELETE FROM "${SCHEMA}".membership WHERE profile_id = 'u1'`);
    await wh.query(`INSERT INTO "${SCHEMA}".membership VALUES ('overdue-cards', 'u3', 'run-1')`);
    const summary = await deliverAll(wh, SCHEMA, { env: ENV });
    const byEmitter = Object.fromEntries(summary.emitters.map((e) => [e.emitterKey, e.sent]));
    // entered-now: the current members (u2, u3) from the snapshot; the others: changes after they were applied.
    expect(byEmitter).toEqual({ 'entered-now': 2, 'entered-new': 1, membership: 2 });
    const events = server.requests.flatMap((r) => r.body as any[]);
    const of = (k: string) => events.filter((e) => e.context.personas.event_emitter_id === k);
    expect(of('entered-now').map((e) => e.userId).sort()).toEqual(['u2', 'u3']);
    // Later changes reach it from the outbox.
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u4' }]);
    const later = await deliverAll(wh, SCHEMA, { env: ENV, emitters: ['entered-now'] });
    expect(later.sent).toBe(1);
    expect((server.requests.at(-1)!.body as any[]).map((e) => e.userId)).toEqual(['u4']);
    expect(of('entered-new')).toMatchObject([{ type: 'track', event: 'Became Overdue', userId: 'u3' }]);
    expect(of('membership')).toMatchObject([
      { type: 'identify', userId: 'u3', traits: { 'overdue-cards': true, plan: 'premium' } },
      { type: 'identify', userId: 'u1', traits: { 'overdue-cards': false } },
    ]);
    expect(of('membership')[0].event).toBeUndefined();
  });

  it('dead-letters an event over 32 KB with the reason and sends the others', async () => {
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [webhook()],
      emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', enrich: { traits: ['first_name'] } }],
    });
    await wh.query(`UPDATE main.profiles SET first_name = repeat('x', 40000) WHERE user_id = 'u2'`);
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u1' }, { kind: 'entered', profileId: 'u2' }, { kind: 'entered', profileId: 'u3' }]);
    const summary = await deliverAll(wh, SCHEMA, { env: ENV });
    expect(summary).toMatchObject({ sent: 2, deadLettered: 1 });
    expect((server.requests[0].body as any[]).map((e) => e.userId)).toEqual(['u1', 'u3']);
    const { rows } = await wh.query<{ user_id: string; reason_code: string; reason: string }>(
      `SELECT user_id, reason_code, reason FROM "${SCHEMA}".dead_letters`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: 'u2', reason_code: 'EVENT_TOO_LARGE' });
    expect(rows[0].reason).toMatch(/32 KB/);
  });

  /** An Audience Entered emitter to the webhook, with one event waiting. */
  const oneEnteredForWebhook = async () => {
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [webhook()],
      emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered' }],
    });
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u1' }]);
  };

  it('blocks the emitter on a missing secret, names the variable, and keeps the rows', async () => {
    await oneEnteredForWebhook();
    const failed = await deliverAll(wh, SCHEMA, { env: {} });
    expect(failed.emitters[0]).toMatchObject({ status: 'blocked', blockedReason: 'secret HOOK_TOKEN not set', deadLettered: 0 });
    expect(failed.emitters[0].lastError).toMatch(/HOOK_TOKEN is not set/);
    const ok = await deliverAll(wh, SCHEMA, { env: ENV });
    expect(ok.sent).toBe(1);
  });

  it('refuses a secret too short to be masked: the emitter blocks before any request, naming the variable, never the value', async () => {
    await oneEnteredForWebhook();
    const short = await deliverAll(wh, SCHEMA, { env: { HOOK_TOKEN: 'q7z' } });
    expect(short.emitters[0]).toMatchObject({ status: 'blocked', blockedReason: 'secret HOOK_TOKEN too short', sent: 0, deadLettered: 0 });
    expect(short.emitters[0].lastError).toMatch(/HOOK_TOKEN is shorter than 8 characters.*set HOOK_TOKEN to the full credential/);
    expect(server.requests).toHaveLength(0);
    expect(JSON.stringify(short)).not.toContain('q7z');
    const ok = await deliverAll(wh, SCHEMA, { env: ENV });
    expect(ok.sent).toBe(1);
  });
});
