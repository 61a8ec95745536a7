import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCatalog, diffCatalog, keyKind, literalFits, snapshotCatalog } from '../../src/graph/catalog.js';
import { Desired } from '../../src/model/desired.js';
import type { Diagnostic } from '../../src/model/diagnostics.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';

/** A small bank: profiles → accounts → cards, cards ↔ offers through a junction, a classic audience. */
const SCHEMA = [
  `CREATE TABLE profiles (user_id VARCHAR, email VARCHAR, plan VARCHAR, credit_score INTEGER, created_at TIMESTAMP, is_employee BOOLEAN)`,
  `CREATE TABLE accounts (account_id VARCHAR, user_id VARCHAR, type VARCHAR, balance DOUBLE, opened_at DATE)`,
  `CREATE TABLE credit_cards (card_id VARCHAR, account_id VARCHAR, credit_limit DOUBLE, balance DOUBLE, due_date DATE)`,
  `CREATE TABLE offers (offer_id VARCHAR, category VARCHAR)`,
  `CREATE TABLE card_offers (card_offer_id VARCHAR, card_id VARCHAR, offer_id VARCHAR)`,
  `CREATE TABLE events (event_id VARCHAR, user_id VARCHAR, event VARCHAR, ts TIMESTAMP, properties JSON)`,
  `CREATE TABLE vip_list (user_id VARCHAR)`,
  `INSERT INTO profiles VALUES ('u1','a@x','premium',700,'2026-01-01',false), ('u2','b@x','basic',NULL,'2026-01-02',true)`,
  `INSERT INTO accounts VALUES ('a1','u1','savings',100,'2025-01-01'), ('a2','u2','credit',5,'2025-02-01')`,
  `INSERT INTO credit_cards VALUES ('c1','a2',1000,1500,'2026-01-01')`,
];

function desired(overrides: { audiences?: unknown[]; emitters?: unknown[]; graph?: Record<string, unknown> } = {}): Desired {
  return Desired.parse({
    stack: 'bank',
    warehouse: { type: 'duckdb', path: ':memory:' },
    graph: {
      profile: { table: 'main.profiles', id: 'user_id', traits: ['email', 'plan', 'credit_score', 'created_at', 'is_employee'], identifiers: ['user_id'] },
      events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'properties' },
      entities: [
        { slug: 'account', name: 'Account', table: 'main.accounts', primaryKey: 'account_id' },
        { slug: 'credit_card', name: 'Card', table: 'main.credit_cards', primaryKey: 'card_id' },
        { slug: 'offer', name: 'Offer', table: 'main.offers', primaryKey: 'offer_id' },
      ],
      relationships: [
        { slug: 'accounts', name: 'Accounts', entity: 'account', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'user_id', entityColumn: 'user_id' } },
        { slug: 'cards', name: 'Cards', entity: 'credit_card', parent: 'accounts', join: { type: 'entity', parentColumn: 'account_id', entityColumn: 'account_id' } },
        {
          slug: 'offers',
          name: 'Offers',
          entity: 'offer',
          parent: 'cards',
          join: { type: 'junction', table: 'main.card_offers', primaryKey: 'card_offer_id', parentColumn: 'card_id', junctionParentColumn: 'card_id', junctionEntityColumn: 'offer_id', entityColumn: 'offer_id' },
        },
      ],
      ...overrides.graph,
    },
    classicAudiences: [{ key: 'vip-list', table: 'main.vip_list', profileIdColumn: 'user_id' }],
    audiences: overrides.audiences ?? [],
    destinations: [{ key: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:1/hook' } }].filter(() => false),
    emitters: overrides.emitters ?? [],
  });
}

const audience = (key: string, condition: unknown) => ({ key, name: key, condition });

let wh: DuckDbWarehouse;
beforeEach(async () => {
  wh = await openDuckDb(':memory:');
  for (const sql of SCHEMA) await wh.query(sql);
});
afterEach(() => wh.close());

const brief = (ds: Diagnostic[]) => ds.map((d) => ({ code: d.code, message: d.message, resource: d.resource, attribute: d.attribute }));

describe('checkCatalog', () => {
  it('a graph and audiences that fit the warehouse produce no findings', async () => {
    const d = desired({
      audiences: [
        audience('ok', {
          kind: 'and',
          conditions: [
            { kind: 'trait', trait: 'plan', operator: 'one_of', value: ['premium', 'private'] },
            { kind: 'trait', trait: 'credit_score', operator: 'gte', value: { literal: 700 } },
            { kind: 'trait', trait: 'created_at', operator: 'within_last', value: { amount: 30, unit: 'days' } },
            {
              kind: 'entity',
              relationship: 'accounts',
              count: { op: 'at_least', value: 1 },
              where: {
                kind: 'entity',
                relationship: 'cards',
                count: { op: 'at_least', value: 1 },
                where: {
                  kind: 'and',
                  conditions: [
                    { kind: 'column', column: 'balance', operator: 'gt', value: { relationship: 'accounts', column: 'balance' } },
                    { kind: 'column', column: 'due_date', operator: 'before_date', value: '2026-02-01' },
                    { kind: 'column', column: 'balance', operator: 'lt', value: { relationship: 'cards', column: 'credit_limit' } },
                  ],
                },
              },
            },
            { kind: 'event', name: 'Payment Made', where: [], count: { op: 'at_least', value: 1 } },
            { kind: 'audience', audience: 'vip-list', source: 'classic', negate: false },
          ],
        }),
      ],
    });
    expect(await checkCatalog(d, wh)).toEqual([]);
  });

  it('tables missing in the warehouse: profile, events, entity, junction, classic audience', async () => {
    for (const t of ['profiles', 'events', 'offers', 'card_offers', 'vip_list']) await wh.query(`DROP TABLE ${t}`);
    const ds = brief(await checkCatalog(desired(), wh));
    expect(ds.filter((d) => d.code === 'TABLE_MISSING')).toEqual([
      { code: 'TABLE_MISSING', message: 'Table main.profiles (Data Graph profile) does not exist in the warehouse', resource: 'data_graph.graph', attribute: 'profile.table' },
      { code: 'TABLE_MISSING', message: 'Table main.events (Data Graph events) does not exist in the warehouse', resource: 'data_graph.graph', attribute: 'events.table' },
      { code: 'TABLE_MISSING', message: 'Table main.offers (entity offer) does not exist in the warehouse', resource: 'data_graph.graph', attribute: 'entities[2].table' },
      {
        code: 'TABLE_MISSING',
        message: 'Table main.card_offers (junction of relationship offers) does not exist in the warehouse',
        resource: 'data_graph.graph',
        attribute: 'relationships[2].join.table',
      },
      { code: 'TABLE_MISSING', message: 'Table main.vip_list (classic audience vip-list) does not exist in the warehouse', resource: 'classic_audience.vip-list', attribute: 'table' },
    ]);
    // A missing table is reported once, not once per column.
    expect(ds.filter((d) => d.code === 'WAREHOUSE_COLUMN_MISSING')).toEqual([]);
  });

  it('a misspelt table: TABLE_MISSING with the closest table the warehouse has, written as the reference was', async () => {
    const d = desired({ audiences: [] });
    d.graph.entities[0]!.table = 'main.acounts';
    d.graph.entities[1]!.table = 'credit_card';
    d.graph.events!.table = 'mian.events';
    d.classicAudiences[0]!.table = 'main.nothing_like_it';
    const ds = await checkCatalog(d, wh);
    expect(ds.filter((x) => x.code === 'TABLE_MISSING').map((x) => [x.attribute, x.hint])).toEqual([
      ['events.table', 'Did you mean "main.events"?'],
      ['entities[0].table', 'Did you mean "main.accounts"?'],
      ['entities[1].table', 'Did you mean "credit_cards"?'],
      ['table', undefined],
    ]);
  });

  it('graph columns missing in the warehouse', async () => {
    await wh.query('ALTER TABLE profiles DROP COLUMN email');
    await wh.query('ALTER TABLE events DROP COLUMN properties');
    const ds = brief(await checkCatalog(desired({ graph: { entities: desiredEntitiesWithColumns() } }), wh));
    expect(ds).toEqual([
      { code: 'WAREHOUSE_COLUMN_MISSING', message: 'Column email (profile trait) does not exist in warehouse table main.profiles', resource: 'data_graph.graph', attribute: 'profile.traits[0]' },
      { code: 'WAREHOUSE_COLUMN_MISSING', message: 'Column properties (events properties) does not exist in warehouse table main.events', resource: 'data_graph.graph', attribute: 'events.properties' },
      {
        code: 'WAREHOUSE_COLUMN_MISSING',
        message: 'Column nickname (entity account column) does not exist in warehouse table main.accounts',
        resource: 'data_graph.graph',
        attribute: 'entities[0].columns[1]',
      },
    ]);
  });

  it('join key missing: the seed’s message, once per relationship', async () => {
    await wh.query('ALTER TABLE credit_cards DROP COLUMN account_id');
    await wh.query('ALTER TABLE card_offers DROP COLUMN offer_id');
    const ds = brief(await checkCatalog(desired(), wh));
    expect(ds).toEqual([
      { code: 'JOIN_KEY_MISSING', message: 'Join key missing from Data Graph for relation: cards', resource: 'data_graph.graph', attribute: 'relationships[1].join.entityColumn' },
      {
        code: 'JOIN_KEY_MISSING',
        message: 'Join key missing from Data Graph for relation: offers',
        resource: 'data_graph.graph',
        attribute: 'relationships[2].join.junctionEntityColumn',
      },
    ]);
  });

  it('join keys of strings and integers; a floating-point key gets the seed’s message', async () => {
    await wh.query('CREATE OR REPLACE TABLE accounts (account_id VARCHAR, user_id DOUBLE, type VARCHAR, balance DOUBLE, opened_at DATE)');
    expect(brief(await checkCatalog(desired(), wh))).toEqual([
      { code: 'JOIN_KEY_TYPE', message: 'Relationship key should be a string: accounts', resource: 'data_graph.graph', attribute: 'relationships[0].join.entityColumn' },
    ]);
    // An integer joined to the string profile id: joined on a cast, with a warning that says what it costs.
    await wh.query('CREATE OR REPLACE TABLE accounts (account_id VARCHAR, user_id INTEGER, type VARCHAR, balance DOUBLE, opened_at DATE)');
    const ds = await checkCatalog(desired(), wh);
    expect(ds.map((d) => [d.severity, d.code, d.attribute])).toEqual([['warning', 'JOIN_KEY_CAST', 'relationships[0].join']]);
    expect(ds[0]!.message).toMatch(/^Relationship accounts joins an integer key to a string key: the join compares both as text/);
    // Segment's rule, when the graph opts into it: strings only.
    const strict = desired();
    strict.graph.joinKeys = 'string-only';
    expect(brief(await checkCatalog(strict, wh))).toEqual([
      { code: 'JOIN_KEY_TYPE', message: 'Relationship key should be a string: accounts', resource: 'data_graph.graph', attribute: 'relationships[0].join.entityColumn' },
    ]);
  });

  it('an events timestamp stored as text, a number or a time of day is refused with the fix; dates and timestamps pass', async () => {
    const timestampOf = async (type: string) => {
      await wh.query(`CREATE OR REPLACE TABLE events (event_id VARCHAR, user_id VARCHAR, event VARCHAR, ts ${type}, properties JSON)`);
      return brief(await checkCatalog(desired(), wh));
    };
    expect(await timestampOf('VARCHAR')).toEqual([
      {
        code: 'EVENTS_TIMESTAMP_TYPE',
        message:
          'The events timestamp column ts of main.events (Data Graph events) is VARCHAR, not a date or time: event conditions compare it with timestamps. ' +
          'Store it as TIMESTAMP or DATE (on Snowflake TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ or DATE), or point events.table at a view that casts it, e.g. CAST(ts AS TIMESTAMP) AS ts.',
        resource: 'data_graph.graph',
        attribute: 'events.timestamp',
      },
    ]);
    for (const type of ['BIGINT', 'TIME']) expect((await timestampOf(type)).map((d) => [d.code, d.message.includes(` is ${type}, `)])).toEqual([['EVENTS_TIMESTAMP_TYPE', true]]);
    for (const type of ['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_MS', 'DATE']) expect(await timestampOf(type)).toEqual([]);
  });

  it('duplicate primary keys in an entity table: the seed’s message with our column', async () => {
    await wh.query("INSERT INTO accounts VALUES ('a1','u2','checking',1,'2025-03-01')");
    const ds = brief(await checkCatalog(desired(), wh));
    expect(ds).toEqual([
      {
        code: 'DUPLICATE_PRIMARY_KEY',
        message:
          'Duplicate records have been detected. This could be because the model query returned multiple records for the same ID column (account_id), or the Segment records table itself has duplicate records.',
        resource: 'data_graph.graph',
        attribute: 'entities[0].primaryKey',
      },
    ]);
    expect(await checkCatalog(desired(), wh, { duplicateKeys: false })).toEqual([]);
  });

  it('duplicate profile ids are reported too; NULL keys are not duplicates', async () => {
    await wh.query("INSERT INTO profiles VALUES ('u1','c@x','basic',1,'2026-01-01',false)");
    await wh.query("INSERT INTO credit_cards VALUES (NULL,'a2',1,1,'2026-01-01'), (NULL,'a2',1,1,'2026-01-01')");
    const ds = await checkCatalog(desired(), wh);
    expect(ds.map((d) => [d.code, d.attribute])).toEqual([['DUPLICATE_PRIMARY_KEY', 'profile.id']]);
    expect(ds[0].message).toContain('(user_id)');
  });

  it('a number or words compared with a date or timestamp column: the hint gives the ISO form', async () => {
    const d = desired({
      audiences: [
        audience('dates-as-numbers', {
          kind: 'and',
          conditions: [
            { kind: 'trait', trait: 'created_at', operator: 'gte', value: { literal: 19980101 } },
            {
              kind: 'entity',
              relationship: 'accounts',
              count: { op: 'at_least', value: 1 },
              where: { kind: 'column', column: 'opened_at', operator: 'equals', value: { literal: 'yesterday' } },
            },
          ],
        }),
      ],
    });
    expect((await checkCatalog(d, wh)).map((x) => [x.code, x.message, x.hint])).toEqual([
      [
        'LITERAL_TYPE_MISMATCH',
        'Value 19980101 does not match the type of column main.profiles.created_at (TIMESTAMP)',
        "The column holds timestamps: compare with an ISO-8601 date or timestamp, e.g. '1998-01-01'; for a time relative to now, withinLast(days(n)).",
      ],
      [
        'LITERAL_TYPE_MISMATCH',
        "Value 'yesterday' does not match the type of column main.accounts.opened_at (DATE)",
        "The column holds dates: compare with an ISO-8601 date or timestamp, e.g. '2026-12-01' or '2026-12-01T08:30:00Z'; for a time relative to now, withinLast(days(n)).",
      ],
    ]);
  });

  it('a literal whose type does not match its column, and operators that do not apply', async () => {
    const d = desired({
      audiences: [
        audience('bad-literals', {
          kind: 'and',
          conditions: [
            { kind: 'trait', trait: 'credit_score', operator: 'equals', value: { literal: 'abc' } },
            { kind: 'trait', trait: 'credit_score', operator: 'gt', value: { literal: '2026-01-01' } },
            { kind: 'trait', trait: 'plan', operator: 'one_of', value: ['basic', 3] },
            { kind: 'trait', trait: 'is_employee', operator: 'equals', value: { literal: 'yes' } },
            { kind: 'trait', trait: 'credit_score', operator: 'contains', value: { literal: '7' } },
            { kind: 'trait', trait: 'plan', operator: 'within_last', value: { amount: 3, unit: 'days' } },
            { kind: 'trait', trait: 'credit_score', operator: 'equals', value: { literal: '700' } },
            {
              kind: 'entity',
              relationship: 'accounts',
              count: { op: 'at_least', value: 1 },
              where: {
                kind: 'or',
                conditions: [
                  { kind: 'column', column: 'opened_at', operator: 'equals', value: { literal: 'yesterday' } },
                  { kind: 'column', column: 'balance', operator: 'equals', value: { trait: 'plan' } },
                  { kind: 'column', column: 'opened_at', operator: 'one_of', value: ['2025-01-01', '1997-02-30'] },
                ],
              },
            },
          ],
        }),
      ],
    });
    const ds = brief(await checkCatalog(d, wh));
    expect(ds).toEqual([
      {
        code: 'LITERAL_TYPE_MISMATCH',
        message: "Value 'abc' does not match the type of column main.profiles.credit_score (INTEGER)",
        resource: 'audience.bad-literals',
        attribute: 'condition.conditions[0].value',
      },
      {
        code: 'LITERAL_TYPE_MISMATCH',
        message: "Value '2026-01-01' does not match the type of column main.profiles.credit_score (INTEGER)",
        resource: 'audience.bad-literals',
        attribute: 'condition.conditions[1].value',
      },
      {
        code: 'LITERAL_TYPE_MISMATCH',
        message: 'Value 3 does not match the type of column main.profiles.plan (VARCHAR)',
        resource: 'audience.bad-literals',
        attribute: 'condition.conditions[2].value',
      },
      {
        code: 'LITERAL_TYPE_MISMATCH',
        message: "Value 'yes' does not match the type of column main.profiles.is_employee (BOOLEAN)",
        resource: 'audience.bad-literals',
        attribute: 'condition.conditions[3].value',
      },
      {
        code: 'OPERATOR_TYPE_MISMATCH',
        message: 'Operator contains does not apply to column main.profiles.credit_score (INTEGER): it needs a string column',
        resource: 'audience.bad-literals',
        attribute: 'condition.conditions[4]',
      },
      {
        code: 'OPERATOR_TYPE_MISMATCH',
        message: 'Operator within_last does not apply to column main.profiles.plan (VARCHAR): it needs a date or timestamp column',
        resource: 'audience.bad-literals',
        attribute: 'condition.conditions[5]',
      },
      {
        code: 'LITERAL_TYPE_MISMATCH',
        message: "Value 'yesterday' does not match the type of column main.accounts.opened_at (DATE)",
        resource: 'audience.bad-literals',
        attribute: 'condition.conditions[7].where.conditions[0].value',
      },
      {
        code: 'OPERAND_TYPE_MISMATCH',
        message: 'Column main.accounts.balance (DOUBLE) cannot be compared with main.profiles.plan (VARCHAR)',
        resource: 'audience.bad-literals',
        attribute: 'condition.conditions[7].where.conditions[1].value',
      },
      {
        code: 'LITERAL_TYPE_MISMATCH',
        message: "Value '1997-02-30' is not a valid date for column main.accounts.opened_at (DATE): February 1997 has 28 days",
        resource: 'audience.bad-literals',
        attribute: 'condition.conditions[7].where.conditions[2].value',
      },
    ]);
  });

  it('a boolean or a number written for a text column, a boolean for a number column, text for a boolean column: the literal to write, as a hint', async () => {
    const d = desired({
      audiences: [
        audience('as-text', {
          kind: 'and',
          conditions: [
            { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: true } },
            { kind: 'trait', trait: 'plan', operator: 'one_of', value: [7] },
            { kind: 'trait', trait: 'is_employee', operator: 'equals', value: { literal: 'TRUE' } },
            { kind: 'trait', trait: 'is_employee', operator: 'equals', value: { literal: 'yes' } },
            { kind: 'trait', trait: 'credit_score', operator: 'equals', value: { literal: false } },
          ],
        }),
      ],
    });
    expect((await checkCatalog(d, wh)).map((x) => [x.code, x.attribute, x.hint])).toEqual([
      ['LITERAL_TYPE_MISMATCH', 'condition.conditions[0].value', 'The column holds text: compare with the text it holds, e.g. "true" (oneOf lists several spellings), or point the table at a view that casts the column.'],
      ['LITERAL_TYPE_MISMATCH', 'condition.conditions[1].value', 'The column holds text: compare with the text it holds, e.g. "7" (oneOf lists several spellings), or point the table at a view that casts the column.'],
      ['LITERAL_TYPE_MISMATCH', 'condition.conditions[2].value', 'The column holds booleans: write the boolean itself, true, not text.'],
      ['LITERAL_TYPE_MISMATCH', 'condition.conditions[3].value', undefined],
      ['LITERAL_TYPE_MISMATCH', 'condition.conditions[4].value', 'The column holds numbers: compare with 0 if it keeps booleans as 1 and 0.'],
    ]);
  });

  it('condition and enrichment columns missing in the warehouse; the audience filter limits the check', async () => {
    const d = desired({
      audiences: [
        audience('missing-cols', {
          kind: 'and',
          conditions: [
            { kind: 'trait', trait: 'country', operator: 'equals', value: { literal: 'US' } },
            {
              kind: 'entity',
              relationship: 'accounts',
              count: { op: 'at_least', value: 1 },
              where: {
                kind: 'entity',
                relationship: 'cards',
                count: { op: 'at_least', value: 1 },
                where: { kind: 'column', column: 'apr', operator: 'gt', value: { relationship: 'accounts', column: 'interest' } },
              },
            },
          ],
        }),
        audience('other', { kind: 'trait', trait: 'nope', operator: 'exists' }),
      ],
      emitters: [
        {
          key: 'em',
          audience: 'missing-cols',
          destination: 'hook',
          trigger: 'entity_added',
          entityPath: ['accounts', 'cards'],
          enrich: { traits: ['email', 'phone'], entities: [{ relationship: 'cards', columns: ['balance', 'tier'] }] },
        },
      ],
    });
    const ds = brief(await checkCatalog(d, wh, { audiences: ['missing-cols'] }));
    expect(ds).toEqual([
      {
        code: 'WAREHOUSE_COLUMN_MISSING',
        message: 'Column country (profile trait) does not exist in warehouse table main.profiles',
        resource: 'audience.missing-cols',
        attribute: 'condition.conditions[0].trait',
      },
      {
        code: 'WAREHOUSE_COLUMN_MISSING',
        message: 'Column apr (entity credit_card column) does not exist in warehouse table main.credit_cards',
        resource: 'audience.missing-cols',
        attribute: 'condition.conditions[1].where.where.column',
      },
      {
        code: 'WAREHOUSE_COLUMN_MISSING',
        message: 'Column phone (enrichment trait) does not exist in warehouse table main.profiles',
        resource: 'event_emitter.em',
        attribute: 'enrich.traits[1]',
      },
      {
        code: 'WAREHOUSE_COLUMN_MISSING',
        message: 'Column tier (enrichment column of credit_card) does not exist in warehouse table main.credit_cards',
        resource: 'event_emitter.em',
        attribute: 'enrich.entities[0].columns[1]',
      },
    ]);
    // No column close to apr: the hint lists the table's columns, as the catalog has them.
    const hints = (await checkCatalog(d, wh, { audiences: ['missing-cols'] })).map((x) => x.hint);
    expect(hints[1]).toBe('Known: account_id, balance, card_id, credit_limit, due_date.');
    // Without the filter the other audience is checked as well.
    const all = await checkCatalog(d, wh);
    expect(all.some((x) => x.resource === 'audience.other' && x.message.startsWith('Column nope'))).toBe(true);
  });

  it('identifiers with quotes, semicolons and unicode are quoted, never run as SQL', async () => {
    await wh.query(`CREATE SCHEMA "we""ird;"`);
    await wh.query(`CREATE TABLE "we""ird;"."pro files; DROP TABLE accounts; --" ("id ☃" VARCHAR, "it's" VARCHAR)`);
    await wh.query(`INSERT INTO "we""ird;"."pro files; DROP TABLE accounts; --" VALUES ('x', 'a'), ('x', 'b')`);
    const d = desired({
      graph: {
        profile: { table: 'we"ird;.pro files; DROP TABLE accounts; --', id: 'id ☃', traits: ["it's"], identifiers: ['id ☃'] },
        events: undefined,
        entities: [],
        relationships: [],
      },
    });
    const ds = await checkCatalog({ ...d, classicAudiences: [] }, wh);
    expect(ds.map((x) => x.code)).toEqual(['DUPLICATE_PRIMARY_KEY']);
    expect(ds[0].message).toContain('(id ☃)');
    expect(await wh.describeTable('main.accounts')).toBeDefined();
  });
});

describe('diffCatalog (drift)', () => {
  it('no drift on an unchanged warehouse', async () => {
    const d = desired();
    const snap = await snapshotCatalog(d.graph, wh);
    expect(snap['main.accounts']).toEqual({ account_id: 'VARCHAR', user_id: 'VARCHAR' });
    expect(await diffCatalog(d.graph, wh, snap)).toEqual([]);
  });

  it('dropped tables, dropped columns, changed types and join keys that stopped being strings', async () => {
    const d = desired();
    const snap = await snapshotCatalog(d.graph, wh, d.classicAudiences);
    await wh.query('DROP TABLE offers');
    await wh.query('ALTER TABLE profiles DROP COLUMN plan');
    await wh.query('ALTER TABLE profiles ALTER credit_score TYPE DOUBLE');
    await wh.query('CREATE OR REPLACE TABLE credit_cards (card_id VARCHAR, account_id DOUBLE, credit_limit DOUBLE, balance DOUBLE, due_date DATE)');
    const ds = brief(await diffCatalog(d.graph, wh, snap, d.classicAudiences));
    expect(ds).toEqual([
      { code: 'DRIFT_TABLE_DROPPED', message: 'Table main.offers (entity offer) no longer exists in the warehouse', resource: 'data_graph.graph', attribute: 'entities[2].table' },
      { code: 'DRIFT_COLUMN_DROPPED', message: 'Column plan (profile trait) no longer exists in warehouse table main.profiles', resource: 'data_graph.graph', attribute: 'profile.traits[1]' },
      {
        code: 'DRIFT_TYPE_CHANGED',
        message: 'Column main.profiles.credit_score (profile trait) changed type from INTEGER to DOUBLE',
        resource: 'data_graph.graph',
        attribute: 'profile.traits[2]',
      },
      {
        code: 'DRIFT_TYPE_CHANGED',
        message: 'Column main.credit_cards.account_id (join key of relationship cards) changed type from VARCHAR to DOUBLE',
        resource: 'data_graph.graph',
        attribute: 'relationships[1].join.entityColumn',
      },
      { code: 'DRIFT_JOIN_KEY_TYPE', message: 'Relationship key should be a string: cards', resource: 'data_graph.graph', attribute: 'relationships[1].join.entityColumn' },
    ]);
  });
  it('an events timestamp that became text since the apply', async () => {
    const d = desired();
    const snap = await snapshotCatalog(d.graph, wh);
    await wh.query('CREATE OR REPLACE TABLE events (event_id VARCHAR, user_id VARCHAR, event VARCHAR, ts VARCHAR, properties JSON)');
    expect((await diffCatalog(d.graph, wh, snap)).map((x) => [x.code, x.attribute])).toEqual([
      ['DRIFT_TYPE_CHANGED', 'events.timestamp'],
      ['DRIFT_EVENTS_TIMESTAMP_TYPE', 'events.timestamp'],
    ]);
    // Applied before the check refused it: drift says so even with no snapshot to compare with.
    expect(brief(await diffCatalog(d.graph, wh))).toEqual([
      {
        code: 'DRIFT_EVENTS_TIMESTAMP_TYPE',
        message: expect.stringMatching(/^The events timestamp column ts of main\.events \(Data Graph events\) is VARCHAR, not a date or time/),
        resource: 'data_graph.graph',
        attribute: 'events.timestamp',
      },
    ]);
  });
});

describe('keyKind', () => {
  it('reads integers, text and neither from either warehouse’s spelling of a type', () => {
    const integers = ['INT', 'INTEGER', 'BIGINT', 'HUGEINT', 'NUMBER', 'NUMBER(38,0)', 'NUMBER(10)', 'DECIMAL(38,0)', 'NUMERIC(18, 0)', 'number(38,0)'];
    const strings = ['TEXT', 'VARCHAR', 'VARCHAR(16777216)', 'STRING', 'UUID'];
    const neither = ['NUMBER(38,2)', 'NUMBER(10,3)', 'DECIMAL(10,2)', 'NUMERIC(38, 2)', 'FLOAT', 'DOUBLE', 'REAL', 'DATE', 'BOOLEAN', 'TIMESTAMP_NTZ'];
    expect(integers.map(keyKind)).toEqual(integers.map(() => 'integer'));
    expect(strings.map(keyKind)).toEqual(strings.map(() => 'string'));
    expect(neither.map(keyKind)).toEqual(neither.map(() => undefined));
  });
});

describe('literalFits', () => {
  it('decides per type family', () => {
    expect([literalFits('number', 3), literalFits('number', '3.5'), literalFits('number', 'x'), literalFits('number', '')]).toEqual([true, true, false, false]);
    expect([literalFits('date', '2026-01-01'), literalFits('timestamp', '2026-01-01T10:00:00Z'), literalFits('date', '2026-13-45'), literalFits('date', 5)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect([literalFits('boolean', true), literalFits('string', 'x'), literalFits('string', 1), literalFits('json', 1)]).toEqual([true, true, false, true]);
    // Dates that are not in the calendar do not fit, though Date.parse and the warehouses roll them over.
    expect(['1997-02-30', '1997-02-30T10:00:00Z', '1900-02-29', '1997-04-31', '1997-01-01T24:00'].map((v) => literalFits('date', v))).toEqual([false, false, false, false, false]);
    expect(['2000-02-29', '1996-02-29T23:59:59.999+14:00', '1997-12-31 00:00'].map((v) => literalFits('timestamp', v))).toEqual([true, true, true]);
  });
});

function desiredEntitiesWithColumns() {
  return [
    { slug: 'account', name: 'Account', table: 'main.accounts', primaryKey: 'account_id', columns: ['type', 'nickname'] },
    { slug: 'credit_card', name: 'Card', table: 'main.credit_cards', primaryKey: 'card_id' },
    { slug: 'offer', name: 'Offer', table: 'main.offers', primaryKey: 'offer_id' },
  ];
}
