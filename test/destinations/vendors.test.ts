import type http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { isUlid, ulidOf } from '../../src/activation/destinations/customerio/ulid.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, openState, SCHEMA, seedBank, startServer, type Recorded, type TestServer } from '../activation/helpers.js';

/*
 * Each vendor imitated on 127.0.0.1 with its documented answers, partial failures included:
 * what the requests carry, and what becomes of the events a 2xx answer refuses.
 */

const ENV = { BRAZE_KEY: 'braze-secret', ITERABLE_KEY: 'it-secret', CIO_KEY: 'cio-secret', WRITE_KEY: 'wk-secret' };
const AT = new Date('2026-11-28T10:00:00Z');

type Respond = (req: Recorded, n: number, res: http.ServerResponse) => void;

const destinationOf = (type: string, url: string): Record<string, unknown> =>
  ({
    braze: { key: 'dest', type: 'braze', settings: { apiKey: { secret: 'BRAZE_KEY' }, appId: 'app-1', endpoint: url } },
    iterable: { key: 'dest', type: 'iterable', settings: { apiKey: { secret: 'ITERABLE_KEY' }, endpoint: url } },
    customerio: { key: 'dest', type: 'customerio', settings: { siteId: 'site-1', apiKey: { secret: 'CIO_KEY' }, endpoint: url } },
    segment: { key: 'dest', type: 'segment', settings: { writeKey: { secret: 'WRITE_KEY' }, endpoint: url } },
    webhook: { key: 'dest', type: 'webhook', settings: { url: `${url}/hook`, batch: true } },
  })[type]!;

/** The items of a request to any of the vendors, in order. */
const itemsOf = (r: Recorded): any[] => {
  const b = r.body as any;
  return Array.isArray(b) ? b : (b.events ?? b.attributes ?? b.users ?? b.batch ?? [b]);
};
const userOf = (item: any): string => item.external_id ?? item.userId ?? item.identifiers?.id;

describe('vendors as they answer (partial failures, missing values, ids, dates)', () => {
  let wh: Warehouse;
  let server: TestServer | undefined;
  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 5);
    // A profile without email or plan.
    await wh.query(`INSERT INTO main.profiles VALUES ('u0', NULL, 'Zero', NULL)`);
    await wh.query(`INSERT INTO main.accounts VALUES ('a0', 'u0', 'credit')`);
    await wh.query(`INSERT INTO main.credit_cards VALUES ('c0', 'a0', 2000, DATE '2026-12-01')`);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await wh.close();
  });

  async function run(type: string, respond: Respond | undefined, emitters: Record<string, unknown>[], rows: Parameters<typeof insertOutbox>[1]) {
    server = await startServer(respond);
    await applyResources(wh, { graph: GRAPH, audiences: [AUDIENCE], destinations: [destinationOf(type, server.url)], emitters: emitters.map((e) => ({ audience: 'overdue-cards', destination: 'dest', ...e })) }, new Date('2026-11-28T09:00:00Z'));
    await insertOutbox(wh, rows.map((r) => ({ createdAt: AT, ...r })));
    return deliverAll(wh, SCHEMA, { env: ENV, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
  }

  const deadLetters = async () =>
    (await wh.query<{ user_id: string; reason: string; http_status: number; response_body: string; reason_code: string }>(`SELECT user_id, reason, http_status, response_body, reason_code FROM "${SCHEMA}".dead_letters ORDER BY user_id`)).rows;

  const entered = [{ key: 'entered', trigger: 'audience_entered', enrich: { traits: ['email'] } }];
  const threeEntered = [{ kind: 'entered' as const, profileId: 'u1' }, { kind: 'entered' as const, profileId: 'u2' }, { kind: 'entered' as const, profileId: 'u3' }];

  it('Braze: a 201 with errors[] dead-letters exactly the items it names, with Braze\'s message', async () => {
    const summary = await run(
      'braze',
      (req, _n, res) => {
        const index = itemsOf(req).findIndex((i) => userOf(i) === 'u2');
        json(res, 201, { message: 'success', errors: index < 0 ? [] : [{ type: "'name' is required", input_array: 'events', index }] });
      },
      entered,
      threeEntered,
    );
    expect(summary).toMatchObject({ sent: 2, deadLettered: 1, failed: 0 });
    const dl = await deadLetters();
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ user_id: 'u2', http_status: 201, reason: "Braze: 'name' is required", reason_code: 'DESTINATION_REJECTED' });
    expect(JSON.parse(dl[0].response_body)).toMatchObject({ input_array: 'events' });
    // The delivery log (what `status` and `deliveries --runs` read) counts them too.
    const runs = await wh.query<{ sent: unknown; dead_lettered: unknown; status: string }>(`SELECT sent, dead_lettered, status FROM "${SCHEMA}".delivery_runs WHERE run_id = ?`, [summary.runId]);
    expect(runs.rows.map((r) => [Number(r.sent), Number(r.dead_lettered), r.status])).toEqual([[2, 1, 'delivered']]);
  });

  it.each([
    ['braze', (key: string, index: number): [number, object] => [201, { message: 'success', errors: [{ type: `api key ${key} not allowed for this app`, input_array: 'events', index }] }]],
    ['customerio', (key: string, index: number): [number, object] => [207, { errors: [{ batch_index: index, reason: `auth ${key}`, field: 'identifiers', message: `key ${key} bad` }] }]],
  ] as const)('%s: a per-item message that quotes the API key is masked wherever it is kept or shown', async (type, answer) => {
    const key = type === 'braze' ? ENV.BRAZE_KEY : ENV.CIO_KEY;
    const summary = await run(
      type,
      (req, _n, res) => {
        const [status, body] = answer(key, itemsOf(req).findIndex((i) => userOf(i) === 'u2'));
        json(res, status, body);
      },
      entered,
      threeEntered,
    );
    expect(summary).toMatchObject({ sent: 2, deadLettered: 1 });
    const dl = await deadLetters();
    expect(dl[0].reason).toContain('(redacted)');
    const runs = await wh.query(`SELECT * FROM "${SCHEMA}".delivery_runs`);
    for (const kept of [JSON.stringify(summary), JSON.stringify(dl), JSON.stringify(runs.rows)]) expect(kept).not.toContain(key);
  });

  it('an event whose mapped payload fails the action\'s schema is dead-lettered with no HTTP status: no request carried it', async () => {
    // Braze requires the event name; u0 has no email to name it by.
    const named = [{ key: 'entered', trigger: 'audience_entered', enrich: { traits: ['email'] }, mapping: { name: { '@path': '$.properties.email' } } }];
    const summary = await run('braze', (_req, _n, res) => json(res, 201, { message: 'success' }), named, [
      { kind: 'entered' as const, profileId: 'u0' },
      { kind: 'entered' as const, profileId: 'u1' },
    ]);
    expect(summary).toMatchObject({ sent: 1, deadLettered: 1 });
    const [dl] = await deadLetters();
    expect(dl).toMatchObject({ user_id: 'u0', http_status: null, reason_code: 'DESTINATION_REJECTED' });
    expect(dl.reason).toMatch(/name/);
  });

  it('Iterable: failCount / failedUpdates dead-letter the users they list, by email or userId', async () => {
    const summary = await run(
      'iterable',
      (req, _n, res) => {
        const items = itemsOf(req);
        const bad = items.filter((i) => i.userId === 'u2' || i.userId === 'u3');
        json(res, 200, {
          successCount: items.length - bad.length,
          failCount: bad.length,
          invalidEmails: [],
          invalidUserIds: [],
          failedUpdates: { conflictEmails: bad.filter((i) => i.userId === 'u2').map((i) => i.email), notFoundUserIds: bad.filter((i) => i.userId === 'u3').map((i) => i.userId), forgottenEmails: [] },
        });
      },
      entered,
      threeEntered,
    );
    expect(summary).toMatchObject({ sent: 1, deadLettered: 2 });
    const dl = await deadLetters();
    expect(dl.map((d) => [d.user_id, d.reason, d.http_status])).toEqual([
      ['u2', 'Iterable: conflictEmails', 200],
      ['u3', 'Iterable: notFoundUserIds', 200],
    ]);
  });

  it('Customer.io: a 207 with batch errors dead-letters the items at their batch_index', async () => {
    const summary = await run(
      'customerio',
      (req, _n, res) => {
        const index = itemsOf(req).findIndex((i) => userOf(i) === 'u3');
        json(res, 207, { errors: [{ batch_index: index, reason: 'invalid', field: 'name', message: 'name must be shorter than 100 characters' }] });
      },
      entered,
      threeEntered,
    );
    expect(summary).toMatchObject({ sent: 2, deadLettered: 1 });
    // The status Customer.io answered (207), not one made up for the item.
    expect((await deadLetters()).map((d) => [d.user_id, d.reason, d.http_status])).toEqual([['u3', 'Customer.io: invalid: name: name must be shorter than 100 characters', 207]]);
  });

  // Every destination: a profile without email sends no email, so the vendor keeps the one it has.
  for (const type of ['braze', 'iterable', 'customerio', 'segment', 'webhook']) {
    it(`${type}: a profile without email keeps its email at the vendor (no email, no null)`, async () => {
      const summary = await run(
        type,
        undefined,
        [
          { key: 'entered', trigger: 'audience_entered', enrich: { traits: ['email', 'plan'] } },
          { key: 'membership', trigger: 'audience_membership_changed', enrich: { traits: ['email', 'plan'] } },
        ],
        [{ kind: 'entered', profileId: 'u0' }, { kind: 'entered', profileId: 'u1' }],
      );
      expect(summary).toMatchObject({ sent: 4, deadLettered: 0 });
      const items = server!.requests.flatMap(itemsOf);
      const of = (u: string) => items.filter((i) => JSON.stringify(i).includes(`"${u}"`));
      expect(of('u0')).toHaveLength(2);
      for (const item of of('u0')) {
        expect(JSON.stringify(item)).not.toMatch(/"email"/);
        expect(JSON.stringify(item)).not.toMatch(/null/);
      }
      // The profile that has one still sends it.
      expect(of('u1').every((i) => JSON.stringify(i).includes('u1@example.com'))).toBe(true);
    });
  }

  it('Customer.io: event ids are ULIDs derived from the messageId (the same on every resend); identifies carry the timestamp', async () => {
    await run('customerio', undefined, [...entered, { key: 'membership', trigger: 'audience_membership_changed' }], [{ kind: 'entered', profileId: 'u1' }]);
    const items = server!.requests.flatMap(itemsOf);
    const event = items.find((i) => i.action === 'event');
    const identify = items.find((i) => i.action === 'identify');
    expect(isUlid(event.id)).toBe(true);
    expect(event.id.slice(0, 10)).toBe(ulidOf('0'.repeat(32), AT.getTime()).slice(0, 10));
    expect(event).toMatchObject({ timestamp: AT.getTime() / 1000, attributes: { email: 'u1@example.com' } });
    expect(identify).toMatchObject({ identifiers: { id: 'u1' }, timestamp: AT.getTime() / 1000, attributes: { 'overdue-cards': true } });
    expect(identify.attributes.audience_key).toBeUndefined();
    // Deterministic, and distinct per messageId.
    expect(ulidOf('a'.repeat(32), 1)).toBe(ulidOf('a'.repeat(32), 1));
    expect(ulidOf('a'.repeat(32), 1)).not.toBe(ulidOf('b'.repeat(32), 1));
  });

  const cardAdded = [
    { key: 'card', trigger: 'entity_added', entityPath: ['accounts', 'cards'], enrich: { traits: ['email'], entities: [{ relationship: 'cards', columns: ['balance', 'due_date'] }] } },
  ];
  const cardRow = [{ kind: 'entity_added' as const, profileId: 'u1', entityPath: 'accounts.cards', entityId: 'c1' }];
  const DUE = Date.UTC(2026, 11, 1);

  // A DATE column as each vendor types a date.
  const dates: [string, unknown][] = [
    ['iterable', '2026-12-01 00:00:00 +00:00'],
    ['customerio', DUE / 1000],
    ['braze', '2026-12-01T00:00:00.000Z'],
    ['webhook', '2026-12-01'],
  ];
  for (const [type, expected] of dates) {
    it(`dates per destination: ${type} gets a DATE column as ${JSON.stringify(expected)}`, async () => {
      const summary = await run(type, undefined, cardAdded, cardRow);
      expect(summary).toMatchObject({ sent: 1, deadLettered: 0 });
      const item = server!.requests.flatMap(itemsOf)[0];
      expect((item.dataFields ?? item.attributes ?? item.properties).cards__due_date).toEqual(expected);
    });
  }

  // A FLOAT column can hold NaN or Infinity, which JSON writes as null: Braze would remove the attribute.
  it('braze: a NaN or infinite trigger-entity column is left out, as a NULL one is, never sent as null', async () => {
    await wh.query(`UPDATE main.credit_cards SET balance = 'NaN' WHERE card_id = 'c1'`);
    await wh.query(`UPDATE main.credit_cards SET balance = '-Infinity' WHERE card_id = 'c2'`);
    const summary = await run('braze', undefined, cardAdded, [...cardRow, { kind: 'entity_added' as const, profileId: 'u2', entityPath: 'accounts.cards', entityId: 'c2' }]);
    expect(summary).toMatchObject({ sent: 2, deadLettered: 0 });
    const items = server!.requests.flatMap(itemsOf).filter((i) => i.name);
    expect(items.map((i) => [userOf(i), 'cards__balance' in i.properties, i.properties.cards__due_date])).toEqual([
      ['u1', false, '2026-12-01T00:00:00.000Z'],
      ['u2', false, '2026-12-01T00:00:00.000Z'],
    ]);
  });

  it('Braze: standard attributes typed, reserved keys out of custom attributes', async () => {
    await wh.query(`ALTER TABLE main.profiles ADD COLUMN birthday DATE`);
    await wh.query(`ALTER TABLE main.profiles ADD COLUMN gender VARCHAR`);
    await wh.query(`UPDATE main.profiles SET birthday = DATE '1990-05-17', gender = 'female' WHERE user_id = 'u1'`);
    const graph = { ...GRAPH, profile: { ...GRAPH.profile, traits: [...GRAPH.profile.traits, 'birthday', 'gender', 'external_id'] } };
    await wh.query(`ALTER TABLE main.profiles ADD COLUMN external_id VARCHAR`);
    await wh.query(`UPDATE main.profiles SET external_id = 'spoof'`);
    server = await startServer();
    await applyResources(wh, {
      graph,
      audiences: [AUDIENCE],
      destinations: [destinationOf('braze', server.url)],
      emitters: [{ key: 'membership', audience: 'overdue-cards', destination: 'dest', trigger: 'audience_membership_changed', enrich: { traits: ['email', 'birthday', 'gender', 'external_id', 'plan'] } }],
    });
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u1' }]);
    await deliverAll(wh, SCHEMA, { env: ENV });
    const request = server.requests[0];
    // One item: no batch header.
    expect(request.headers['x-braze-batch']).toBeUndefined();
    // As Segment's action: the trait stays a custom attribute too (a time for Braze); the spoofed
    // external_id trait is stripped, the user's own id wins.
    expect((request.body as any).attributes[0]).toEqual({
      external_id: 'u1',
      email: 'u1@example.com',
      dob: '1990-05-17',
      gender: 'F',
      birthday: '1990-05-17T00:00:00.000Z',
      'overdue-cards': true,
      plan: 'premium',
    });
  });
});
