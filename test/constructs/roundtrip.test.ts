import { afterEach, describe, expect, it } from 'vitest';
import {
  Audience,
  ClassicAudience,
  Destination,
  EventEmitter,
  Schedule,
  SnowflakeAuth,
  Trigger,
  Warehouse,
  LinkedAudiencesStack,
  App,
  DataGraph,
  all,
  any,
  col,
  days,
  event,
  hours,
  minutes,
  not,
  notPartOf,
  partOf,
  prop,
  secret,
  trait,
  type Condition,
  type ProfileScope,
} from '../../constructs/index.js';
import { Condition as ConditionSchema, type Condition as ConditionModel } from '../../src/model/condition.js';
import { bankStack, cleanup, synthAndLoad, tempDir } from './helpers.js';

afterEach(cleanup);

type Bank = ReturnType<typeof bankStack>;

/**
 * Declares one audience per case, synthesizes to cdk.tf.json, loads it back through the manifest
 * loader and returns the loaded conditions by audience key.
 */
async function roundTrip(cases: Record<string, (b: Bank) => Condition<ProfileScope>>): Promise<Record<string, ConditionModel>> {
  const b = bankStack();
  for (const [key, where] of Object.entries(cases)) new Audience(b.stack, key, { where: where(b) });
  const desired = await synthAndLoad(b.app, b.outdir);
  return Object.fromEntries(desired.audiences.map((a) => [a.key, a.condition]));
}

const ONE = { op: 'at_least', value: 1 } as const;

describe('condition round trip: construct -> cdk.tf.json -> model', () => {
  it('trait conditions, every operator family, literal and trait operands', async () => {
    const expected: Record<string, ConditionModel> = {
      equals: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } },
      'not-equals': { kind: 'trait', trait: 'credit_score', operator: 'not_equals', value: { literal: 700 } },
      gt: { kind: 'trait', trait: 'credit_score', operator: 'gt', value: { literal: 720 } },
      lte: { kind: 'trait', trait: 'credit_score', operator: 'lte', value: { trait: 'credit_limit' } },
      contains: { kind: 'trait', trait: 'email', operator: 'contains', value: { literal: '@bank' } },
      'not-contains': { kind: 'trait', trait: 'email', operator: 'not_contains', value: { literal: 'test' } },
      'starts-with': { kind: 'trait', trait: 'email', operator: 'starts_with', value: { literal: 'a' } },
      'ends-with': { kind: 'trait', trait: 'email', operator: 'ends_with', value: { literal: '.com' } },
      exists: { kind: 'trait', trait: 'email', operator: 'exists' },
      'not-exists': { kind: 'trait', trait: 'plan', operator: 'not_exists' },
      'one-of': { kind: 'trait', trait: 'country', operator: 'one_of', value: ['US', 'GB'] },
      'none-of': { kind: 'trait', trait: 'country', operator: 'none_of', value: ['FR'] },
      before: { kind: 'trait', trait: 'created_at', operator: 'before_date', value: '2026-01-01' },
      after: { kind: 'trait', trait: 'created_at', operator: 'after_date', value: '2025-06-30T12:00:00.000Z' },
      'within-last': { kind: 'trait', trait: 'created_at', operator: 'within_last', value: { amount: 30, unit: 'days' } },
      'within-next': { kind: 'trait', trait: 'created_at', operator: 'within_next', value: { amount: 2, unit: 'hours' } },
    };
    const loaded = await roundTrip({
      equals: () => trait('plan').equals('premium'),
      'not-equals': () => trait('credit_score').notEquals(700),
      gt: () => trait('credit_score').gt(720),
      lte: () => trait('credit_score').lte(trait('credit_limit')),
      contains: () => trait('email').contains('@bank'),
      'not-contains': () => trait('email').notContains('test'),
      'starts-with': () => trait('email').startsWith('a'),
      'ends-with': () => trait('email').endsWith('.com'),
      exists: () => trait('email').exists(),
      'not-exists': () => trait('plan').notExists(),
      'one-of': () => trait('country').oneOf('US', 'GB'),
      'none-of': () => trait('country').noneOf(['FR']),
      before: () => trait('created_at').before('2026-01-01'),
      after: () => trait('created_at').after(new Date(Date.UTC(2025, 5, 30, 12))),
      'within-last': () => trait('created_at').withinLast(days(30)),
      'within-next': () => trait('created_at').withinNext(hours(2)),
    });
    expect(loaded).toEqual(expected);
  });

  it('entity conditions: nesting, counts, literal / same-row / ancestor / trait operands, many-to-many', async () => {
    const loaded = await roundTrip({
      unfiltered: (b) => b.accounts.atLeast(2),
      nested: (b) =>
        b.accounts
          .where(
            col('type').equals('credit'),
            b.cards
              .where(
                col('balance').gt(1000),
                col('balance').lt(col('credit_limit')),
                b.transactions.where(col('amount').gt(b.cards.col('credit_limit')), col('category').equals('travel')).exactly(3),
              )
              .atMost(5),
          )
          .atLeast(1),
      'trait-operand': (b) => b.accounts.where(b.cards.where(col('credit_limit').gte(trait('credit_score')))),
      junction: (b) => b.accounts.where(b.cards.where(b.offers.where(col('category').equals('travel')).none())),
    });
    expect(loaded.unfiltered).toEqual({ kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 2 } });
    expect(loaded.nested).toEqual({
      kind: 'entity',
      relationship: 'accounts',
      count: ONE,
      where: {
        kind: 'and',
        conditions: [
          { kind: 'column', column: 'type', operator: 'equals', value: { literal: 'credit' } },
          {
            kind: 'entity',
            relationship: 'cards',
            count: { op: 'at_most', value: 5 },
            where: {
              kind: 'and',
              conditions: [
                { kind: 'column', column: 'balance', operator: 'gt', value: { literal: 1000 } },
                { kind: 'column', column: 'balance', operator: 'lt', value: { relationship: 'cards', column: 'credit_limit' } },
                {
                  kind: 'entity',
                  relationship: 'transactions',
                  count: { op: 'exactly', value: 3 },
                  where: {
                    kind: 'and',
                    conditions: [
                      { kind: 'column', column: 'amount', operator: 'gt', value: { relationship: 'cards', column: 'credit_limit' } },
                      { kind: 'column', column: 'category', operator: 'equals', value: { literal: 'travel' } },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    });
    expect(loaded['trait-operand']).toEqual({
      kind: 'entity',
      relationship: 'accounts',
      count: ONE,
      where: {
        kind: 'entity',
        relationship: 'cards',
        count: ONE,
        where: { kind: 'column', column: 'credit_limit', operator: 'gte', value: { trait: 'credit_score' } },
      },
    });
    expect(loaded.junction).toEqual({
      kind: 'entity',
      relationship: 'accounts',
      count: ONE,
      where: {
        kind: 'entity',
        relationship: 'cards',
        count: ONE,
        where: {
          kind: 'entity',
          relationship: 'offers',
          count: { op: 'exactly', value: 0 },
          where: { kind: 'column', column: 'category', operator: 'equals', value: { literal: 'travel' } },
        },
      },
    });
  });

  it('event conditions: property filters, counts, windows within and between', async () => {
    const loaded = await roundTrip({
      plain: () => event('Login'),
      filtered: () => event('Payment Made').where(prop('amount').gte(5), prop('method').oneOf('ach', 'card')).atLeast(2).within(days(30)),
      between: () => event('Login').between('2026-01-01', new Date(Date.UTC(2026, 1, 1))).atMost(3),
      none: () => event('Statement Viewed').within(minutes(90)).none(),
    });
    expect(loaded).toEqual({
      plain: { kind: 'event', name: 'Login', where: [], count: ONE },
      filtered: {
        kind: 'event',
        name: 'Payment Made',
        where: [
          { property: 'amount', operator: 'gte', value: { literal: 5 } },
          { property: 'method', operator: 'one_of', value: ['ach', 'card'] },
        ],
        count: { op: 'at_least', value: 2 },
        window: { type: 'within', amount: 30, unit: 'days' },
      },
      between: {
        kind: 'event',
        name: 'Login',
        where: [],
        count: { op: 'at_most', value: 3 },
        window: { type: 'between', from: '2026-01-01', to: '2026-02-01T00:00:00.000Z' },
      },
      none: { kind: 'event', name: 'Statement Viewed', where: [], count: { op: 'exactly', value: 0 }, window: { type: 'within', amount: 90, unit: 'minutes' } },
    });
  });

  it('audience membership conditions: linked and classic, part of and not part of', async () => {
    const b = bankStack();
    const vip = new ClassicAudience(b.stack, 'vip-list', { table: 'main.vip_list', profileIdColumn: 'user_id' });
    const base = new Audience(b.stack, 'premium', { where: trait('plan').equals('premium') });
    new Audience(b.stack, 'members', { where: all(partOf(base), notPartOf(vip)) });
    new Audience(b.stack, 'others', { where: any(notPartOf(base), partOf(vip)) });
    const desired = await synthAndLoad(b.app, b.outdir);
    const byKey = Object.fromEntries(desired.audiences.map((a) => [a.key, a.condition]));
    expect(byKey.members).toEqual({
      kind: 'and',
      conditions: [
        { kind: 'audience', audience: 'premium', source: 'linked', negate: false },
        { kind: 'audience', audience: 'vip-list', source: 'classic', negate: true },
      ],
    });
    expect(byKey.others).toEqual({
      kind: 'or',
      conditions: [
        { kind: 'audience', audience: 'premium', source: 'linked', negate: true },
        { kind: 'audience', audience: 'vip-list', source: 'classic', negate: false },
      ],
    });
  });

  it('and / or / not at the profile level and inside entity filters', async () => {
    const loaded = await roundTrip({
      logic: (b) =>
        all(
          any(trait('plan').equals('premium'), not(trait('country').equals('FR'))),
          b.accounts.where(any(col('type').equals('savings'), not(col('balance').lt(0)))),
          not(all(event('Login'), trait('email').exists())),
        ),
    });
    expect(loaded.logic).toEqual({
      kind: 'and',
      conditions: [
        {
          kind: 'or',
          conditions: [
            { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } },
            { kind: 'not', condition: { kind: 'trait', trait: 'country', operator: 'equals', value: { literal: 'FR' } } },
          ],
        },
        {
          kind: 'entity',
          relationship: 'accounts',
          count: ONE,
          where: {
            kind: 'or',
            conditions: [
              { kind: 'column', column: 'type', operator: 'equals', value: { literal: 'savings' } },
              { kind: 'not', condition: { kind: 'column', column: 'balance', operator: 'lt', value: { literal: 0 } } },
            ],
          },
        },
        {
          kind: 'not',
          condition: {
            kind: 'and',
            conditions: [
              { kind: 'event', name: 'Login', where: [], count: ONE },
              { kind: 'trait', trait: 'email', operator: 'exists' },
            ],
          },
        },
      ],
    });
    // The builder's output is exactly the model's shape: it parses unchanged.
    expect(ConditionSchema.parse(loaded.logic)).toEqual(loaded.logic);
  });
});

describe('resource round trip', () => {
  it('graph, classic audience, audience settings, destinations and emitters load back as declared', async () => {
    const b = bankStack();
    const vip = new ClassicAudience(b.stack, 'vip-list', { name: 'VIPs', table: 'main.vip_list', profileIdColumn: 'user_id', preventDestroy: true });
    const overdue = new Audience(b.stack, 'overdue', {
      key: 'overdue-cards',
      name: 'Overdue cards',
      description: 'cards past due',
      enabled: true,
      schedule: Schedule.cron('0 6 * * *'),
      where: all(partOf(vip), b.accounts.where(b.cards.where(col('balance').gt(1000)))),
    });
    const braze = Destination.braze(b.stack, 'braze', {
      apiKey: secret('BRAZE_API_KEY'),
      appId: 'bank-app',
      endpoint: 'https://rest.iad-01.braze.com',
      batchSize: 50,
      requestsPerSecond: 10,
    });
    const hook = Destination.webhook(b.stack, 'hook', { url: 'http://127.0.0.1:8787/hook', headers: { Authorization: secret('WEBHOOK_TOKEN'), 'X-Team': 'growth' } });
    Destination.iterable(b.stack, 'iterable', { apiKey: secret('ITERABLE_KEY'), dataCenterLocation: 'europe' });
    Destination.customerIo(b.stack, 'cio', { siteId: 'site', apiKey: secret('CIO_KEY'), accountRegion: 'EU' });
    Destination.segment(b.stack, 'segment', { writeKey: secret('SEGMENT_WRITE_KEY') });
    new EventEmitter(b.stack, 'card-added', {
      audience: overdue,
      destination: braze,
      trigger: Trigger.entityAdded(b.cards),
      sendForCurrent: true,
      eventName: 'Card Overdue',
      action: 'trackEvent',
      mapping: { event: { '@path': '$.event' } },
      enrich: { traits: ['email'], entities: [b.cards.columns('balance', 'due_date')] },
    });
    new EventEmitter(b.stack, 'entered', { audience: overdue, destination: hook, trigger: Trigger.audienceEntered() });
    const declared = b.stack.toDesired();
    const loaded = await synthAndLoad(b.app, b.outdir);

    // Same resources, whatever order cdk.tf.json lists them in.
    const byKey = <T extends { key: string }>(xs: T[]) => [...xs].sort((x, y) => x.key.localeCompare(y.key));
    expect(loaded.stack).toBe('bank');
    expect(loaded.warehouse).toEqual({ type: 'duckdb', path: 'bank.duckdb', stateSchema: 'LINKED_AUDIENCES' });
    expect(loaded.graph).toEqual(declared.graph);
    expect(byKey(loaded.audiences)).toEqual(byKey(declared.audiences));
    expect(byKey(loaded.destinations)).toEqual(byKey(declared.destinations));
    expect(byKey(loaded.emitters)).toEqual(byKey(declared.emitters));
    expect(loaded.classicAudiences).toEqual([{ key: 'vip-list', name: 'VIPs', table: 'main.vip_list', profileIdColumn: 'user_id', preventDestroy: true }]);

    expect(loaded.graph.relationships.find((r) => r.slug === 'offers')).toEqual({
      slug: 'offers',
      name: 'Offers',
      entity: 'offer',
      parent: 'cards',
      join: { type: 'junction', table: 'main.card_offers', primaryKey: 'card_offer_id', parentColumn: 'card_id', junctionParentColumn: 'card_id', junctionEntityColumn: 'offer_id', entityColumn: 'offer_id', columns: ['role', 'linked_at'] },
    });
    expect(loaded.emitters.find((e) => e.key === 'card-added')).toMatchObject({
      audience: 'overdue-cards',
      destination: 'braze',
      trigger: 'entity_added',
      entityPath: ['accounts', 'cards'],
      enrich: { traits: ['email'], entities: [{ relationship: 'cards', columns: ['balance', 'due_date'] }] },
    });
    expect(loaded.destinations.find((d) => d.key === 'hook')?.settings).toEqual({
      url: 'http://127.0.0.1:8787/hook',
      headers: { Authorization: { secret: 'WEBHOOK_TOKEN' }, 'X-Team': 'growth' },
      batch: false,
    });
    expect(loaded.audiences[0]).toMatchObject({ key: 'overdue-cards', enabled: true, schedule: { type: 'cron', expression: '0 6 * * *' } });
  });

  it('a destination and a classic audience without a name are named by their key at synth, as an audience is', async () => {
    const b = bankStack();
    Destination.webhook(b.stack, 'hook', { url: 'http://127.0.0.1:1/x' });
    Destination.segment(b.stack, 'seg', { key: 'segment-prod', writeKey: secret('SEGMENT_WRITE_KEY'), name: 'Segment (prod)' });
    new ClassicAudience(b.stack, 'vip-list', { table: 'main.vip_list', profileIdColumn: 'user_id' });
    const loaded = await synthAndLoad(b.app, b.outdir);
    const { readFileSync } = await import('node:fs');
    const json = JSON.parse(readFileSync(`${b.outdir}/stacks/bank/cdk.tf.json`, 'utf8'));
    expect(json.resource.linkedaudiences_destination.hook.name).toBe('hook');
    expect(json.resource.linkedaudiences_classic_audience['vip-list'].name).toBe('vip-list');
    expect(Object.fromEntries(loaded.destinations.map((d) => [d.key, d.name]))).toEqual({ hook: 'hook', 'segment-prod': 'Segment (prod)' });
    expect(loaded.classicAudiences.map((c) => c.name)).toEqual(['vip-list']);
  });

  it('writes literal keys and depends_on, no ${} expressions', async () => {
    const b = bankStack();
    const a = new Audience(b.stack, 'a', { where: trait('plan').equals('premium') });
    const d = Destination.webhook(b.stack, 'hook', { url: 'http://127.0.0.1:1/x' });
    new EventEmitter(b.stack, 'e', { audience: a, destination: d, trigger: Trigger.audienceExited() });
    b.app.synth();
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(`${b.outdir}/stacks/bank/cdk.tf.json`, 'utf8');
    expect(text).not.toContain('${');
    const json = JSON.parse(text);
    expect(json.resource.linkedaudiences_event_emitter.e).toMatchObject({
      audience: 'a',
      destination: 'hook',
      depends_on: ['linkedaudiences_data_graph.graph', 'linkedaudiences_audience.a', 'linkedaudiences_destination.hook'],
    });
    expect(json.provider.linkedaudiences).toEqual([{ type: 'duckdb', path: 'bank.duckdb' }]);
  });

  it('each construct has its typed L1 from construction: the model\'s defaults written at synth, overrides kept', async () => {
    const b = bankStack();
    const a = new Audience(b.stack, 'a', { where: trait('plan').equals('premium') });
    expect(a.resource.terraformResourceType).toBe('linkedaudiences_audience');
    a.resource.addOverride('lifecycle.ignore_changes', ['description']);
    b.app.synth();
    const { readFileSync } = await import('node:fs');
    const json = JSON.parse(readFileSync(`${b.outdir}/stacks/bank/cdk.tf.json`, 'utf8'));
    expect(json.resource.linkedaudiences_audience.a).toMatchObject({
      key: 'a',
      name: 'a',
      description: '',
      enabled: false,
      schedule: JSON.stringify({ type: 'interval', every: '1d' }),
      prevent_destroy: false,
      lifecycle: { ignore_changes: ['description'] },
    });
  });

  it('a Snowflake warehouse travels in the provider block with its auth JSON-encoded, secrets by reference', async () => {
    const outdir = tempDir();
    const app = new App({ outdir });
    const stack = new LinkedAudiencesStack(app, 'sf', {
      warehouse: Warehouse.snowflake({
        account: 'acme-xy12345',
        username: 'LINKED',
        database: 'ANALYTICS',
        warehouse: 'COMPUTE_WH',
        role: 'LINKED_ROLE',
        schema: 'PUBLIC',
        auth: SnowflakeAuth.keyPair(secret('SNOWFLAKE_PRIVATE_KEY'), secret('SNOWFLAKE_PASSPHRASE')),
      }),
    });
    new DataGraph(stack, 'graph', { profile: { table: 'PUBLIC.PROFILES', id: 'USER_ID' } });
    const loaded = await synthAndLoad(app, outdir);
    expect(loaded.warehouse).toEqual({
      type: 'snowflake',
      account: 'acme-xy12345',
      username: 'LINKED',
      database: 'ANALYTICS',
      warehouse: 'COMPUTE_WH',
      role: 'LINKED_ROLE',
      schema: 'PUBLIC',
      auth: { type: 'keypair', privateKey: { secret: 'SNOWFLAKE_PRIVATE_KEY' }, passphrase: { secret: 'SNOWFLAKE_PASSPHRASE' } },
      stateSchema: 'LINKED_AUDIENCES',
    });
  });
});
