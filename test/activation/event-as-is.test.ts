import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SegmentEvent } from '../../src/activation/build-event.js';
import { actionChoiceOf } from '../../src/activation/map.js';
import { ActionRunner } from '../../src/activation/send/runner.js';
import { Destination } from '../../src/model/destination.js';
import { EventEmitter } from '../../src/model/emitter.js';
import { startServer, type TestServer } from './helpers.js';

const emitter = (mapping?: Record<string, unknown>) =>
  EventEmitter.parse({ key: 'e', audience: 'a', destination: 'hook', trigger: 'audience_entered', ...(mapping ? { mapping } : {}) });
const hook = (url: string, batch: boolean) => Destination.parse({ key: 'hook', type: 'webhook', settings: { url, batch } });

/** Events of every shape delivery builds, with what JSON writes in its own way: undefined, unicode, nested lists. */
function events(): SegmentEvent[] {
  const context = { personas: { computation_class: 'audience', computation_key: 'a', namespace: 'spa_x' }, traits: { email: 'ü@example.com', plan: null } };
  return [
    { type: 'track', event: 'Audience Entered', userId: 'u1', messageId: 'm1', timestamp: '2026-12-07T00:00:00.000Z', properties: { audience_key: 'a', a: true, gone: undefined }, context },
    { type: 'identify', userId: 'u2', messageId: 'm2', timestamp: '2026-12-07T00:00:01.000Z', traits: { a: false, n: 1.5, big: '12345678901234567890' }, context },
    {
      type: 'track',
      event: 'Entity Added',
      userId: 'u3',
      messageId: 'm3',
      timestamp: '2026-12-07T00:00:02.000Z',
      properties: { audience_key: 'a', _entity_context: { cards: [{ id: 'c1', tags: ['x', undefined, null] }] }, line: 'a\u2028b "quoted" \\' },
      context,
    },
  ] as unknown as SegmentEvent[];
}

describe("an emitter whose mapping hands the event as it is (the webhook's default)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('is run with no mapping only for exactly { data: { "@path": "$." } } of the webhook', () => {
    const url = 'http://127.0.0.1:9/hook';
    expect(actionChoiceOf(hook(url, true), emitter()).eventAsIs).toBe(true);
    expect(actionChoiceOf(hook(url, true), emitter({ data: { '@path': '$.' } })).eventAsIs).toBe(true);
    expect(actionChoiceOf(hook(url, true), emitter({ data: { '@path': '$.properties' } })).eventAsIs).toBeUndefined();
    expect(actionChoiceOf(hook(url, true), emitter({ data: { '@path': '$.' }, note: 'x' })).eventAsIs).toBeUndefined();
    const braze = Destination.parse({ key: 'hook', type: 'braze', settings: { apiKey: { secret: 'K' }, appId: 'x', endpoint: 'https://rest.iad-01.braze.com' } });
    expect(actionChoiceOf(braze, emitter()).eventAsIs).toBeUndefined();
  });

  it('sends the very bytes mapping-kit would have made of the events, batched or one by one', async () => {
    const runner = new ActionRunner();
    for (const batch of [true, false]) {
      const destination = hook(`${server.url}/hook`, batch);
      const choice = actionChoiceOf(destination, emitter());
      const sent = (eventAsIs: boolean) => (batch ? [events()] : events().map((e) => [e])).map((chunk) => runner.send(destination, { ...choice, eventAsIs }, chunk, { timeoutMs: 5000 }));
      const before = server.requests.length;
      for (const outcome of await Promise.all(sent(false))) expect(outcome.kind).toBe('done');
      const mapped = server.requests.slice(before).map((r) => r.raw);
      for (const outcome of await Promise.all(sent(true))) expect(outcome).toEqual({ kind: 'done', events: expect.arrayContaining([{ kind: 'sent', status: 200 }]) });
      const asIs = server.requests.slice(before + mapped.length).map((r) => r.raw);
      expect(asIs.sort()).toEqual(mapped.sort());
      expect(mapped).toHaveLength(batch ? 1 : 3);
      expect(JSON.parse(mapped.find((b) => b.includes('"m3"'))!)).toMatchObject(batch ? [{}, {}, { properties: { _entity_context: { cards: [{ tags: ['x', null, null] }] } } }] : { messageId: 'm3' });
    }
  });
});
