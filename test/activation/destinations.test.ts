import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageIdOf } from '../../src/activation/build-event.js';
import { deliverAll } from '../../src/activation/deliver.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, openState, SCHEMA, seedBank, startServer, type TestServer } from './helpers.js';

const ENV = { BRAZE_KEY: 'braze-secret', ITERABLE_KEY: 'it-secret', CIO_KEY: 'cio-secret', WRITE_KEY: 'wk-secret', HOOK: 'Bearer h' };

/** Two emitters on one destination (a Track trigger and membership changed), no mappings: presets. */
async function deliverTo(wh: Warehouse, destination: Record<string, unknown>, rows = 2) {
  await applyResources(wh, {
    graph: GRAPH,
    audiences: [AUDIENCE],
    destinations: [destination],
    emitters: [
      { key: 'entered', audience: 'overdue-cards', destination: destination.key, trigger: 'audience_entered', enrich: { traits: ['email'] } },
      { key: 'membership', audience: 'overdue-cards', destination: destination.key, trigger: 'audience_membership_changed', enrich: { traits: ['email', 'plan'] } },
    ],
  }, new Date('2026-11-28T09:00:00Z'));
  await insertOutbox(wh, Array.from({ length: rows }, (_, i) => ({ kind: 'entered' as const, profileId: `u${i + 1}`, createdAt: new Date('2026-11-28T10:00:00Z') })));
  return deliverAll(wh, SCHEMA, { env: ENV });
}

describe('destination request formats and auth (REFERENCE.md)', () => {
  let wh: Warehouse;
  let server: TestServer;
  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 200);
    server = await startServer();
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  it('Braze: POST {endpoint}/users/track, Bearer api key, events and attributes, at most 75 per request', async () => {
    const summary = await deliverTo(wh, { key: 'braze', type: 'braze', settings: { apiKey: { secret: 'BRAZE_KEY' }, appId: 'bank-app', endpoint: `${server.url}/braze/` } }, 160);
    expect(summary.sent).toBe(320);
    for (const r of server.requests) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/braze/users/track');
      expect(r.headers.authorization).toBe('Bearer braze-secret');
      expect(r.headers['content-type']).toMatch(/application\/json/);
    }
    const events = server.requests.filter((r) => (r.body as any).events);
    const attributes = server.requests.filter((r) => (r.body as any).attributes);
    expect(events.map((r) => (r.body as any).events.length).sort((a, b) => b - a)).toEqual([75, 75, 10]);
    expect(attributes.map((r) => (r.body as any).attributes.length).sort((a, b) => b - a)).toEqual([75, 75, 10]);
    const first = (events.find((r) => (r.body as any).events.some((e: any) => e.external_id === 'u1'))!.body as any).events.find((e: any) => e.external_id === 'u1');
    expect(first).toEqual({
      external_id: 'u1',
      app_id: 'bank-app',
      name: 'Audience Entered',
      time: '2026-11-28T10:00:00.000Z',
      properties: { audience_key: 'overdue-cards', 'overdue-cards': true, email: 'u1@example.com', message_id: messageIdOf('entered', 'outbox', 1) },
    });
    const attr = attributes.flatMap((r) => (r.body as any).attributes).find((a: any) => a.external_id === 'u2');
    // Identify traits carry only `<audience_key>`; email is Braze's standard attribute.
    expect(attr).toEqual({ external_id: 'u2', 'overdue-cards': true, email: 'u2@example.com', plan: 'premium' });
    // Requests of more than one item say so.
    expect(server.requests.every((r) => r.headers['x-braze-batch'] === 'true')).toBe(true);
  });

  it('Iterable: Api-Key header, trackBulk and bulkUpdate on the configured base URL', async () => {
    const summary = await deliverTo(wh, {
      key: 'iterable',
      type: 'iterable',
      settings: { apiKey: { secret: 'ITERABLE_KEY' }, dataCenterLocation: 'europe', endpoint: `${server.url}/it` },
    });
    expect(summary.sent).toBe(4);
    const track = server.requests.find((r) => r.url === '/it/api/events/trackBulk')!;
    const update = server.requests.find((r) => r.url === '/it/api/users/bulkUpdate')!;
    expect(track.headers['api-key']).toBe('it-secret');
    expect(update.headers['api-key']).toBe('it-secret');
    const e = (track.body as any).events.find((x: any) => x.userId === 'u1');
    expect(e).toMatchObject({ email: 'u1@example.com', userId: 'u1', eventName: 'Audience Entered', createdAt: Date.parse('2026-11-28T10:00:00Z') / 1000 });
    expect(e.id).toMatch(/^[0-9a-f]{32}$/);
    expect(e.dataFields).toMatchObject({ audience_key: 'overdue-cards', email: 'u1@example.com' });
    const u = (update.body as any).users.find((x: any) => x.userId === 'u2');
    expect(u).toEqual({ email: 'u2@example.com', userId: 'u2', dataFields: { 'overdue-cards': true, email: 'u2@example.com', plan: 'premium' }, mergeNestedObjects: false });
  });

  it('Customer.io: Basic siteId:apiKey, /api/v2/batch with person events and identifies', async () => {
    const summary = await deliverTo(wh, {
      key: 'cio',
      type: 'customerio',
      settings: { siteId: 'site-1', apiKey: { secret: 'CIO_KEY' }, accountRegion: 'EU', endpoint: server.url },
    });
    expect(summary.sent).toBe(4);
    expect(server.requests.every((r) => r.url === '/api/v2/batch')).toBe(true);
    expect(server.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('site-1:cio-secret').toString('base64')}`);
    const all = server.requests.flatMap((r) => (r.body as any).batch);
    expect(all.find((b: any) => b.action === 'event' && b.identifiers.id === 'u1')).toMatchObject({
      type: 'person',
      action: 'event',
      identifiers: { id: 'u1' },
      name: 'Audience Entered',
      timestamp: Date.parse('2026-11-28T10:00:00Z') / 1000,
      attributes: { email: 'u1@example.com' },
    });
    expect(all.find((b: any) => b.action === 'identify' && b.identifiers.id === 'u1')).toMatchObject({ type: 'person', attributes: { plan: 'premium' } });
  });

  it('Segment: POST /v1/batch with the write key as Basic user, events rebuilt as Segment\'s sendTrack / sendIdentify do', async () => {
    const summary = await deliverTo(wh, { key: 'seg', type: 'segment', settings: { writeKey: { secret: 'WRITE_KEY' }, endpoint: server.url } });
    expect(summary.sent).toBe(4);
    for (const r of server.requests) {
      expect(r.url).toBe('/v1/batch');
      expect(r.headers.authorization).toBe(`Basic ${Buffer.from('wk-secret:').toString('base64')}`);
    }
    const batch = server.requests.flatMap((r) => (r.body as any).batch);
    expect(batch.map((e: any) => e.type).sort()).toEqual(['identify', 'identify', 'track', 'track']);
    const track = batch.find((e: any) => e.type === 'track' && e.userId === 'u1');
    expect(track).toEqual({
      type: 'track',
      event: 'Audience Entered',
      userId: 'u1',
      timestamp: '2026-11-28T10:00:00.000Z',
      messageId: messageIdOf('entered', 'outbox', 1),
      properties: { audience_key: 'overdue-cards', 'overdue-cards': true, email: 'u1@example.com' },
    });
    const identify = batch.find((e: any) => e.type === 'identify' && e.userId === 'u1');
    expect(identify).toEqual({
      type: 'identify',
      userId: 'u1',
      timestamp: '2026-11-28T10:00:00.000Z',
      messageId: messageIdOf('membership', 'outbox', 1),
      traits: { 'overdue-cards': true, email: 'u1@example.com', plan: 'premium' },
    });
  });

  it('webhook without batch: one JSON object per request, headers from secrets', async () => {
    const summary = await deliverTo(wh, { key: 'hook', type: 'webhook', settings: { url: `${server.url}/in`, headers: { Authorization: { secret: 'HOOK' } } } }, 3);
    expect(summary.sent).toBe(6);
    expect(server.requests).toHaveLength(6);
    expect(server.requests.every((r) => !Array.isArray(r.body) && r.headers.authorization === 'Bearer h')).toBe(true);
  });

  it('an emitter mapping (mapping-kit) overrides the preset fields it names', async () => {
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'braze', type: 'braze', settings: { apiKey: { secret: 'BRAZE_KEY' }, appId: 'app', endpoint: server.url } }],
      emitters: [
        {
          key: 'entered',
          audience: 'overdue-cards',
          destination: 'braze',
          trigger: 'audience_entered',
          enrich: { traits: ['email', 'first_name'] },
          mapping: { name: { '@template': 'Overdue: {{properties.first_name}}' }, properties: { email: { '@path': '$.properties.email' } } },
        },
      ],
    });
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u7' }]);
    await deliverAll(wh, SCHEMA, { env: ENV });
    expect((server.requests[0].body as any).events[0]).toMatchObject({ external_id: 'u7', name: 'Overdue: Name7', properties: { email: 'u7@example.com' } });
  });
});
