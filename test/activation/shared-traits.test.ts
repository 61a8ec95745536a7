import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { SharedTraitReads } from '../../src/activation/enrich/shared-traits.js';
import { valuesKeys } from '../../src/activation/enrich/keys.js';
import { chainKey, fetchEnrichment } from '../../src/activation/enrich/fetch.js';
import { planEnrichment } from '../../src/activation/enrich/plan.js';
import { EventEmitter } from '../../src/model/emitter.js';
import type { SourceRow } from '../../src/state/delivery/types.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { FaultyWarehouse } from '../compute/faulty.js';
import { recordingWarehouse } from '../support/recording-warehouse.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, openState, SCHEMA, seedBank, startServer, type TestServer } from './helpers.js';

const PROFILE = { table: 'main.profiles', id: 'user_id', traits: ['email', 'first_name', 'plan'], identifiers: ['user_id'] };
/** What a plan asks of the profile: `traits`, its id cast to text. */
const traitsOf = (traits: string[]) => ({ profile: PROFILE, traits, textKeys: [] });
const row = (id: number, profileId: string): SourceRow => ({
  source: 'outbox',
  id,
  audienceKey: 'a',
  kind: 'entered',
  profileId,
  entityId: null,
  entityPath: null,
  createdAt: '2026-12-01T00:00:00.000Z',
});
/** A read of the profile table (the traits query), as the warehouse received it. */
const isTraitsRead = (sql: string) => /FROM "main"\."profiles" AS "p"\s+JOIN/.test(sql);

describe('SharedTraitReads', () => {
  let wh: Warehouse;

  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 10);
  });
  afterEach(async () => {
    await wh.close();
  });

  /** The warehouse (a plain object), with a connection busy until `free()`: requests made meanwhile wait together. */
  function busyUntilFreed(inner: Warehouse) {
    let free!: () => void;
    const freed = new Promise<void>((r) => (free = r));
    const busy: Warehouse = { ...inner, whenFree: async (fn) => (await freed, fn(inner)) };
    return { busy, free };
  }

  it('serves the pages waiting together with one read, each with its own profiles and traits only', async () => {
    const { wh: recorded, statements } = recordingWarehouse(wh);
    const { busy, free } = busyUntilFreed(recorded);
    const reads = new SharedTraitReads();
    const a = [row(1, 'u1'), row(2, 'u2')];
    const b = [row(3, 'u2'), row(4, 'u3')];
    const first = reads.read(busy, traitsOf(['email']), valuesKeys(a), a);
    const second = reads.read(busy, traitsOf(['first_name', 'plan']), valuesKeys(b), b);
    free();
    expect(await first).toEqual(new Map([
      ['u1', { email: 'u1@example.com' }],
      ['u2', { email: 'u2@example.com' }],
    ]));
    expect(await second).toEqual(new Map([
      ['u2', { first_name: 'Name2', plan: 'premium' }],
      ['u3', { first_name: 'Name3', plan: 'premium' }],
    ]));
    expect(statements.filter((s) => isTraitsRead(s.sql))).toHaveLength(1);
    expect({ reads: reads.reads, requests: reads.requests }).toEqual({ reads: 1, requests: 2 });

    // A page that asks once the read went out starts the next one.
    const c = [row(5, 'u4')];
    expect(await reads.read(busy, traitsOf(['plan']), valuesKeys(c), c)).toEqual(new Map([['u4', { plan: 'premium' }]]));
    expect(reads.reads).toBe(2);
  });

  it('one page whose trait the table lacks fails alone: the others are read apart and answered', async () => {
    const { busy, free } = busyUntilFreed(recordingWarehouse(wh).wh);
    const reads = new SharedTraitReads();
    const a = [row(1, 'u1')];
    const b = [row(2, 'u2')];
    const good = reads.read(busy, traitsOf(['email']), valuesKeys(a), a);
    const bad = reads.read(busy, traitsOf(['nickname']), valuesKeys(b), b);
    free();
    expect(await good).toEqual(new Map([['u1', { email: 'u1@example.com' }]]));
    await expect(bad).rejects.toThrow(/nickname/);
  });

  it('a warehouse that closed before the read ran fails the pages waiting for it, and the next page reads anew', async () => {
    const inner = recordingWarehouse(wh).wh;
    let closed = true;
    const closing: Warehouse = { ...inner, whenFree: async (fn) => (closed ? Promise.reject(new Error('The daemon has closed its warehouse')) : fn(inner)) };
    const reads = new SharedTraitReads();
    const a = [row(1, 'u1')];
    await expect(reads.read(closing, traitsOf(['email']), valuesKeys(a), a)).rejects.toThrow(/closed/);
    closed = false;
    expect(await reads.read(closing, traitsOf(['email']), valuesKeys(a), a)).toEqual(new Map([['u1', { email: 'u1@example.com' }]]));
  });

  it('a page\'s other enrichment queries are asked for while its traits wait for the shared read', async () => {
    const { wh: recorded, statements } = recordingWarehouse(wh);
    const { busy, free } = busyUntilFreed(recorded);
    const plan = planEnrichment(GRAPH, AUDIENCE, EventEmitter.parse({
      key: 'card-added',
      audience: 'overdue-cards',
      destination: 'hook',
      trigger: 'entity_added',
      entityPath: ['accounts', 'cards'],
      enrich: { traits: ['email'], entities: [{ relationship: 'accounts', columns: ['type'] }] },
    }));
    const rows: SourceRow[] = [{ ...row(1, 'u1'), kind: 'entity_added', entityPath: 'accounts.cards', entityId: 'c1' }];
    const reads = new SharedTraitReads();
    const data = fetchEnrichment(busy, GRAPH, plan, rows, valuesKeys(rows), undefined, reads);
    await new Promise((r) => setTimeout(r, 50));
    // The trait read waits for the connection; the chain's query went out meanwhile.
    const isChainRead = (sql: string) => sql.includes('AS "__eid"');
    expect(statements.filter((s) => isChainRead(s.sql))).toHaveLength(1);
    expect(statements.filter((s) => isTraitsRead(s.sql) && !isChainRead(s.sql))).toHaveLength(0);
    free();
    const got = await data;
    expect(got.traits.get('u1')).toEqual({ email: 'u1@example.com' });
    expect(got.chains.get(chainKey('u1', 'c1'))).toMatchObject([{ account_id: 'a1' }, {}]);
  });

  it('where statements do not queue, pages that ask in the same turn share a read', async () => {
    const { wh: recorded, statements } = recordingWarehouse(wh);
    const reads = new SharedTraitReads();
    const a = [row(1, 'u5')];
    const b = [row(2, 'u6')];
    const [x, y] = await Promise.all([reads.read(recorded, traitsOf(['email']), valuesKeys(a), a), reads.read(recorded, traitsOf(['email']), valuesKeys(b), b)]);
    expect([x.get('u5'), y.get('u6')]).toEqual([{ email: 'u5@example.com' }, { email: 'u6@example.com' }]);
    expect(statements.filter((s) => isTraitsRead(s.sql))).toHaveLength(1);
  });
});

describe('deliverAll with several emitters on one profile table', () => {
  let wh: Warehouse;
  let server: TestServer;

  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 20);
    server = await startServer((_req, _n, res) => json(res, 200, {}));
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [
        { key: 'one', type: 'webhook', settings: { url: `${server.url}/one`, batch: true } },
        { key: 'two', type: 'webhook', settings: { url: `${server.url}/two`, batch: true } },
      ],
      emitters: [
        { key: 'emails', audience: 'overdue-cards', destination: 'one', trigger: 'audience_entered', enrich: { traits: ['email'] } },
        { key: 'names', audience: 'overdue-cards', destination: 'two', trigger: 'audience_entered', enrich: { traits: ['first_name'] } },
      ],
    });
    await insertOutbox(wh, Array.from({ length: 12 }, (_, i) => ({ kind: 'entered' as const, profileId: `u${i + 1}` })));
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  const received = (path: string) =>
    server.requests.filter((r) => r.url === path).flatMap((r) => r.body as { userId: string; properties: Record<string, unknown> }[]);

  it('reads the traits of both emitters\' pages once, and each event carries its own emitter\'s traits', async () => {
    const { wh: recorded, statements } = recordingWarehouse(wh);
    const summary = await deliverAll(recorded, SCHEMA, { pageSize: 5 });
    expect(summary.emitters.map((e) => [e.emitterKey, e.status, e.sent])).toEqual([
      ['emails', 'delivered', 12],
      ['names', 'delivered', 12],
    ]);
    // Three pages each (5, 5, 2): the pages of the two emitters are read together.
    expect(statements.filter((s) => isTraitsRead(s.sql))).toHaveLength(3);
    for (const e of received('/one')) expect(e.properties).toMatchObject({ email: `${e.userId}@example.com` });
    for (const e of received('/one')) expect(e.properties).not.toHaveProperty('first_name');
    for (const e of received('/two')) expect(e.properties).toMatchObject({ first_name: `Name${e.userId.slice(1)}` });
    for (const e of received('/two')) expect(e.properties).not.toHaveProperty('email');
  });

  it('a shared read that fails is made again for each page apart, and both emitters deliver', async () => {
    const fault = { pattern: /UNION ALL/, times: 1, error: () => new Error('IO Error: read failed') };
    const flaky = new FaultyWarehouse(wh, [fault]);
    const summary = await deliverAll(flaky, SCHEMA, { pageSize: 20 });
    expect(flaky.hits.get(fault)).toBe(1);
    expect(summary.emitters.map((e) => [e.emitterKey, e.status, e.sent])).toEqual([
      ['emails', 'delivered', 12],
      ['names', 'delivered', 12],
    ]);
  });
});
