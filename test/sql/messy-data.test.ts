import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAudience } from '../../src/compute/compile.js';
import { MESSAGES } from '../../src/compute/policy.js';
import { runAudience } from '../../src/compute/run.js';
import { readRuns } from '../../src/compute/status.js';
import { castJoinsFromSnapshot, checkCatalog, diffCatalog, snapshotCatalog } from '../../src/graph/catalog.js';
import { Desired } from '../../src/model/desired.js';
import { previewAudience } from '../../src/preview/preview.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { explainProfile } from '../../src/why/explain.js';
import { repeatedIdNote } from '../../src/why/why.js';
import { previewContext } from '../../src/preview/preview.js';
import { compileMembership } from '../../src/sql/index.js';
import { SCHEMA, computeTables, freshWarehouse } from '../compute/helpers.js';
import { fixtureArgs } from '../support/fixture-process.js';
import { emulatedSnowflake } from '../support/snowflake-emulator/connect.js';

/*
 * Data as real warehouses hold it: profile ids that are NULL, empty or repeated, ids of another
 * type in the events table, properties that are not JSON, NaN in floating-point columns. Each case
 * is what a user meets on the first day against a production table.
 */

const audience = (key: string, condition: unknown) => ({ key, name: key, enabled: true, schedule: { type: 'interval', every: '1h' }, condition });
const emitter = (key: string, aud: string, path: string[]) => ({ key, audience: aud, destination: 'hook', trigger: 'entity_added', entityPath: path });

const desired = (audiences: unknown[], emitters: unknown[] = []) =>
  Desired.parse({
    stack: 'messy',
    warehouse: { type: 'duckdb', path: ':memory:' },
    graph: {
      profile: { table: 'main.profiles', id: 'user_id', traits: ['plan', 'score'], identifiers: ['user_id'] },
      events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'props' },
      entities: [{ slug: 'account', name: 'Account', table: 'main.accounts', primaryKey: 'account_id', columns: ['balance'] }],
      relationships: [
        { slug: 'accounts', name: 'Accounts', entity: 'account', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'user_id', entityColumn: 'user_id' } },
      ],
    },
    audiences,
    destinations: [{ key: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:1/x' } }],
    emitters,
  });

const premium = audience('premium', { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } });
const rich = audience('rich', { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'balance', operator: 'gt', value: { literal: 100 } } });
const premiumAndRich = audience('premium-rich', { kind: 'and', conditions: [premium.condition, rich.condition] });

async function compute(wh: Warehouse, d: Desired, key: string) {
  const castJoins = castJoinsFromSnapshot(d.graph, await snapshotCatalog(d.graph, wh));
  const compiled = compileAudience({ ...d, castJoins }, key, { dialect: 'duckdb', stateSchema: SCHEMA, now: new Date('2026-11-28T12:00:00Z') });
  return runAudience(wh, { schema: SCHEMA, audienceKey: key, trigger: 'manual', compile: () => compiled });
}

async function snapshot(wh: Warehouse, key: string): Promise<{ members: string[]; entities: string[] }> {
  const t = computeTables(wh);
  const members = (await wh.query<{ profile_id: string }>(`SELECT profile_id FROM ${t.membership} WHERE audience_key = ? ORDER BY 1`, [key])).rows.map((r) => r.profile_id);
  const entities = (await wh.query<{ k: string }>(`SELECT profile_id || '/' || entity_id AS k FROM ${t.entity_matches} WHERE audience_key = ? ORDER BY 1`, [key])).rows.map((r) => r.k);
  return { members, entities };
}

describe('profile ids that are no ids: NULL and empty text', () => {
  let wh: Warehouse;
  beforeAll(async () => {
    wh = (await freshWarehouse()).wh;
    await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, plan VARCHAR, score DOUBLE)`);
    // Two rows without an id of each kind: neither kind is a repeated id either.
    await wh.query(`INSERT INTO main.profiles VALUES ('u1', 'premium', 1), (NULL, 'premium', 1), (NULL, 'premium', 2), ('', 'premium', 1), ('', 'premium', 2), ('null', 'premium', 1)`);
    await wh.query(`CREATE TABLE main.accounts (account_id VARCHAR, user_id VARCHAR, balance DOUBLE)`);
    await wh.query(`INSERT INTO main.accounts VALUES ('a1', 'u1', 500), ('a2', '', 500), ('a3', NULL, 500), ('a4', 'null', 500)`);
    await wh.query(`CREATE TABLE main.events (user_id VARCHAR, event VARCHAR, ts TIMESTAMP, props VARCHAR)`);
  });
  afterAll(() => wh.close());

  it('are never members, nor matched entities, whatever their traits; the text "null" is an id like any other', async () => {
    const d = desired([premium, rich, premiumAndRich], [emitter('rich-accounts', 'rich', ['accounts']), emitter('both-accounts', 'premium-rich', ['accounts'])]);
    expect(await checkCatalog(d, wh)).toEqual([]);
    for (const key of ['premium', 'rich', 'premium-rich']) {
      const run = await compute(wh, d, key);
      expect(run.status, key).toBe('Live');
      expect(await snapshot(wh, key), key).toEqual({ members: ['null', 'u1'], entities: key === 'premium' ? [] : ['null/a4', 'u1/a1'] });
    }
    expect((await previewAudience(d, wh, 'premium')).members).toBe(2);
  });

  it('`why` refuses an empty id with the reason', async () => {
    const d = desired([premium]);
    const ctx = previewContext(d, 'duckdb', new Date());
    await expect(explainProfile(wh, premium.condition as never, ctx, '')).rejects.toMatchObject({ code: 'PROFILE_ID_EMPTY' });
  });
});

describe('a profile id held by two rows', () => {
  let wh: Warehouse;
  beforeAll(async () => {
    wh = (await freshWarehouse()).wh;
    await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, plan VARCHAR, score DOUBLE)`);
    await wh.query(`INSERT INTO main.profiles VALUES ('u1', 'premium', 1), ('u2', 'basic', 1)`);
    await wh.query(`CREATE TABLE main.accounts (account_id VARCHAR, user_id VARCHAR, balance DOUBLE)`);
    await wh.query(`CREATE TABLE main.events (user_id VARCHAR, event VARCHAR, ts TIMESTAMP, props VARCHAR)`);
  });
  afterAll(() => wh.close());

  it('fails the run with the seed\'s "Duplicate records" and names the id; the audience keeps its last members', async () => {
    const d = desired([premium]);
    expect(await compute(wh, d, 'premium')).toMatchObject({ status: 'Live', members: 1 });
    // After the apply, the same user arrives again with other traits.
    await wh.query(`INSERT INTO main.profiles VALUES ('u2', 'premium', 2)`);
    const run = await compute(wh, d, 'premium');
    expect(run.status).toBe('Failed');
    expect(run.error).toMatchObject({ code: 'DUPLICATE_RECORDS', message: MESSAGES.duplicate('user_id'), action: 'terminate' });
    const [last] = await readRuns(wh, SCHEMA, { audienceKey: 'premium' });
    expect(last!.errorDetail).toBe('More than one row of main.profiles has user_id "u2".');
    expect(await snapshot(wh, 'premium')).toEqual({ members: ['u1'], entities: [] });

    // `linked why` explains a row and says what the repeat does to runs.
    const explained = await explainProfile(wh, premium.condition as never, previewContext(d, 'duckdb', new Date()), 'u2');
    expect(explained).toMatchObject({ rows: 2, tree: { held: true } });
    expect(repeatedIdNote({ profileRows: explained.rows, member: explained.tree.held })).toBe(
      '2 profile rows have this id: runs of the audience fail with "Duplicate records" until it is unique (docs/operations.md, error policy), and the tree shows a row that satisfies the condition.',
    );

    const plan = await checkCatalog(d, wh);
    expect(plan.map((x) => [x.code, x.attribute, x.hint])).toEqual([['DUPLICATE_PRIMARY_KEY', 'profile.id', 'More than one row of main.profiles has user_id "u2".']]);

    await wh.query(`DELETE FROM main.profiles WHERE user_id = 'u2' AND score = 1`);
    expect(await compute(wh, d, 'premium')).toMatchObject({ status: 'Live', members: 2, entered: 1 });
  });
});

describe('ids stored as floating-point numbers or decimals', () => {
  it('are refused at plan: as text they read "1.0" on DuckDB and "1" on Snowflake', async () => {
    const wh = (await freshWarehouse()).wh;
    try {
      await wh.query(`CREATE TABLE main.profiles (user_id DOUBLE, plan VARCHAR, score DOUBLE)`);
      await wh.query(`CREATE TABLE main.accounts (account_id DECIMAL(10,2), user_id DOUBLE, balance DOUBLE)`);
      await wh.query(`CREATE TABLE main.events (user_id VARCHAR, event VARCHAR, ts TIMESTAMP, props VARCHAR)`);
      const found = await checkCatalog(desired([premium]), wh);
      expect(found.filter((x) => x.code === 'ID_TYPE').map((x) => [x.attribute, x.message])).toEqual([
        [
          'profile.id',
          'The profile id user_id of main.profiles is DOUBLE: ids go out as text, so they must be text or integers (a DOUBLE id has no one spelling as text). Store it as text or an integer, or point the table at a view that casts it, e.g. CAST(user_id AS BIGINT) AS user_id.',
        ],
        ['entities[0].primaryKey', expect.stringContaining('The entity account primary key account_id of main.accounts is DECIMAL(10,2): ids go out as text')],
      ]);
    } finally {
      await wh.close();
    }
  });
});

describe('ids stored as scaled NUMBERs on Snowflake', () => {
  it('are refused at plan as on DuckDB, naming the precision and scale; integer NUMBERs pass; a snapshot taken before the scale was read does not drift', async () => {
    const sf = await emulatedSnowflake();
    try {
      const create = async (profileId: string, accountId: string) => {
        for (const t of ['profiles', 'accounts', 'events']) await sf.wh.query(`DROP TABLE IF EXISTS "main"."${t}"`);
        await sf.wh.query(`CREATE TABLE "main"."profiles" ("user_id" ${profileId}, "plan" VARCHAR, "score" FLOAT)`);
        await sf.wh.query(`CREATE TABLE "main"."accounts" ("account_id" ${accountId}, "user_id" ${profileId}, "balance" NUMBER(12,2))`);
        await sf.wh.query(`CREATE TABLE "main"."events" ("user_id" VARCHAR, "event" VARCHAR, "ts" TIMESTAMP_NTZ, "props" VARCHAR)`);
      };
      const idTypes = async () => (await checkCatalog(desired([premium]), sf.wh)).filter((x) => x.code === 'ID_TYPE').map((x) => [x.attribute, x.message]);

      await create('NUMBER(38,2)', 'NUMERIC(10,3)');
      expect(await idTypes()).toEqual([
        [
          'profile.id',
          'The profile id user_id of main.profiles is NUMBER(38,2): ids go out as text, so they must be text or integers (a NUMBER(38,2) id has no one spelling as text). Store it as text or an integer, or point the table at a view that casts it, e.g. CAST(user_id AS BIGINT) AS user_id.',
        ],
        ['entities[0].primaryKey', expect.stringContaining('The entity account primary key account_id of main.accounts is NUMBER(10,3): ids go out as text')],
      ]);
      // The same reading refuses a scaled join key, as a DECIMAL(10,2) one is on DuckDB.
      expect((await checkCatalog(desired([premium]), sf.wh)).filter((x) => x.code === 'JOIN_KEY_TYPE').map((x) => [x.attribute, x.message])).toEqual([
        ['relationships[0].join.profileColumn', 'Relationship key should be a string: accounts'],
      ]);

      await create('NUMBER(38,0)', 'INT');
      expect(await idTypes()).toEqual([]);
      await create('DECIMAL(20,0)', 'BIGINT');
      expect(await idTypes()).toEqual([]);

      // Releases that did not read the scale recorded NUMBER for any NUMBER column.
      const graph = desired([premium]).graph;
      const drift = async (before: string) =>
        (await diffCatalog(graph, sf.wh, { 'main.accounts': { balance: before } })).filter((x) => x.code === 'DRIFT_TYPE_CHANGED').map((x) => x.message);
      expect(await drift('NUMBER')).toEqual([]);
      expect(await drift('NUMBER(12,2)')).toEqual([]);
      expect(await drift('NUMBER(38,0)')).toEqual(['Column main.accounts.balance (entity account column) changed type from NUMBER(38,0) to NUMBER(12,2)']);
    } finally {
      await sf.close();
    }
  });
});

describe('events whose profile key is text beside integer profile ids', () => {
  let wh: Warehouse;
  const loggedIn = audience('logged-in', { kind: 'event', name: 'Login', where: [], count: { op: 'at_least', value: 1 }, window: { type: 'within', amount: 30, unit: 'days' } });
  beforeAll(async () => {
    wh = (await freshWarehouse()).wh;
    // Ids past 2^53, as hashed surrogate keys are; the events carry them as strings, as Segment's userId is.
    await wh.query(`CREATE TABLE main.profiles (user_id BIGINT, plan VARCHAR, score DOUBLE)`);
    await wh.query(`INSERT INTO main.profiles VALUES (9007199254740993, 'premium', 1), (7, 'basic', 1), (8, 'basic', 1)`);
    await wh.query(`CREATE TABLE main.accounts (account_id VARCHAR, user_id BIGINT, balance DOUBLE)`);
    await wh.query(`CREATE TABLE main.events (user_id VARCHAR, event VARCHAR, ts TIMESTAMP, props VARCHAR)`);
    await wh.query(`INSERT INTO main.events VALUES ('9007199254740993', 'Login', '2026-11-27 10:00:00', '{}'), ('007', 'Login', '2026-11-27 10:00:00', '{}'),
      ('8', 'Login', '2026-11-27 10:00:00', '{}'), ('anonymous-3f2a', 'Login', '2026-11-27 10:00:00', '{}')`);
  });
  afterAll(() => wh.close());

  it('are compared as text, with a warning at plan; "007" is not 7', async () => {
    const d = desired([loggedIn]);
    expect((await checkCatalog(d, wh)).map((x) => [x.severity, x.code, x.attribute])).toEqual([['warning', 'EVENTS_KEY_CAST', 'events.profileKey']]);
    expect(await compute(wh, d, 'logged-in')).toMatchObject({ status: 'Live', members: 2 });
    expect(await snapshot(wh, 'logged-in')).toEqual({ members: ['8', '9007199254740993'], entities: [] });
    const ctx = previewContext(d, 'duckdb', new Date('2026-11-28T12:00:00Z'), castJoinsFromSnapshot(d.graph, await snapshotCatalog(d.graph, wh)));
    expect((await explainProfile(wh, loggedIn.condition as never, ctx, '9007199254740993')).tree.held).toBe(true);
    expect((await explainProfile(wh, loggedIn.condition as never, ctx, '7')).tree.held).toBe(false);
  });

  it('a profile key that cannot be compared with the id is refused at plan', async () => {
    await wh.query(`CREATE TABLE main.float_events AS SELECT CAST(8 AS DOUBLE) AS user_id, event, ts, props FROM main.events LIMIT 1`);
    const d = desired([loggedIn]);
    const textIds = Desired.parse({
      ...d,
      graph: { ...d.graph, profile: { ...d.graph.profile, table: 'main.text_profiles' }, events: { ...d.graph.events!, table: 'main.float_events' }, entities: [], relationships: [] },
    });
    await wh.query(`CREATE TABLE main.text_profiles AS SELECT CAST(user_id AS VARCHAR) AS user_id, plan, score FROM main.profiles`);
    const found = await checkCatalog(textIds, wh);
    expect(found.map((x) => [x.severity, x.code])).toEqual([['error', 'EVENTS_KEY_TYPE']]);
    expect(found[0]!.message).toBe(
      "The events profileKey main.float_events.user_id is DOUBLE and the profile id main.text_profiles.user_id is VARCHAR: event conditions cannot compare them. Store the events' profile key as text or an integer, as the profile id is (or point events.table at a view that casts it).",
    );
  });
});

describe('event properties that are not JSON', () => {
  let wh: Warehouse;
  const bigPayers = audience('big-payers', {
    kind: 'event',
    name: 'Payment Made',
    where: [{ property: 'amount', operator: 'gt', value: { literal: 100 } }],
    count: { op: 'at_least', value: 1 },
  });
  const withoutMethod = audience('without-method', {
    kind: 'event',
    name: 'Payment Made',
    where: [{ property: 'method', operator: 'not_exists' }],
    count: { op: 'at_least', value: 1 },
  });
  beforeAll(async () => {
    wh = (await freshWarehouse()).wh;
    await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, plan VARCHAR, score DOUBLE)`);
    await wh.query(`INSERT INTO main.profiles VALUES ('u1', 'premium', 1), ('u2', 'basic', 1), ('u3', 'basic', 1)`);
    await wh.query(`CREATE TABLE main.accounts (account_id VARCHAR, user_id VARCHAR, balance DOUBLE)`);
    await wh.query(`CREATE TABLE main.events (user_id VARCHAR, event VARCHAR, ts TIMESTAMP, props VARCHAR)`);
    // One good row among rows a tracking bug or a truncating loader left behind.
    await wh.query(`INSERT INTO main.events VALUES ('u1', 'Payment Made', '2026-11-27 10:00:00', '{"amount": 250, "method": "ach"}'),
      ('u2', 'Payment Made', '2026-11-27 10:00:00', '{"amount": 250, "meth'), ('u2', 'Payment Made', '2026-11-27 10:00:00', ''),
      ('u3', 'Payment Made', '2026-11-27 10:00:00', 'NaN'), ('u3', 'Payment Made', '2026-11-27 10:00:00', NULL)`);
  });
  afterAll(() => wh.close());

  it('have no properties: the audiences compute, and only not_exists holds for them', async () => {
    const d = desired([bigPayers, withoutMethod]);
    expect(await compute(wh, d, 'big-payers')).toMatchObject({ status: 'Live', members: 1 });
    expect(await snapshot(wh, 'big-payers')).toEqual({ members: ['u1'], entities: [] });
    expect(await compute(wh, d, 'without-method')).toMatchObject({ status: 'Live', members: 2 });
    expect(await snapshot(wh, 'without-method')).toEqual({ members: ['u2', 'u3'], entities: [] });
    const ctx = previewContext(d, 'duckdb', new Date('2026-11-28T12:00:00Z'));
    expect((await explainProfile(wh, bigPayers.condition as never, ctx, 'u2')).tree.held).toBe(false);
  });

  it('the same on emulated Snowflake (TRY_PARSE_JSON)', async () => {
    const sf = await emulatedSnowflake();
    try {
      await sf.wh.query(`CREATE TABLE "main"."profiles" ("user_id" VARCHAR, "plan" VARCHAR, "score" DOUBLE)`);
      await sf.wh.query(`CREATE TABLE "main"."events" ("user_id" VARCHAR, "event" VARCHAR, "ts" TIMESTAMP_NTZ, "props" VARCHAR)`);
      for (const r of (await wh.query<{ user_id: string }>(`SELECT user_id FROM main.profiles`)).rows) await sf.wh.query(`INSERT INTO "main"."profiles" VALUES (?, 'basic', 1)`, [r.user_id]);
      for (const e of (await wh.query<{ user_id: string; props: string | null }>(`SELECT user_id, props FROM main.events`)).rows) {
        await sf.wh.query(`INSERT INTO "main"."events" VALUES (?, 'Payment Made', '2026-11-27 10:00:00', ?)`, [e.user_id, e.props]);
      }
      const d = desired([bigPayers, withoutMethod]);
      const members = async (condition: unknown) => {
        const q = compileMembership(condition as never, previewContext(d, 'snowflake', new Date('2026-11-28T12:00:00Z')));
        return (await sf.wh.query<Record<string, string>>(q.sql, q.params)).rows.map((r) => Object.values(r)[0]).sort();
      };
      expect(await members(bigPayers.condition)).toEqual(['u1']);
      expect(await members(withoutMethod.condition)).toEqual(['u2', 'u3']);
    } finally {
      await sf.close();
    }
  });
});

describe('NaN in floating-point columns and properties', () => {
  let wh: Warehouse;
  const scored = audience('scored', { kind: 'trait', trait: 'score', operator: 'gt', value: { literal: 1 } });
  const notScored = audience('not-scored', { kind: 'not', condition: scored.condition });
  const bigPayers = audience('big-payers', { kind: 'event', name: 'Paid', where: [{ property: 'amount', operator: 'gte', value: { literal: 9 } }], count: { op: 'at_least', value: 1 } });
  beforeAll(async () => {
    wh = (await freshWarehouse()).wh;
    // A loader that writes NaN for a missing float (Spark, numpy) leaves these behind.
    await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, plan VARCHAR, score DOUBLE)`);
    await wh.query(`INSERT INTO main.profiles VALUES ('nan', 'premium', 'NaN'), ('inf', 'premium', 'Infinity'), ('five', 'premium', 5), ('null', 'premium', NULL)`);
    await wh.query(`CREATE TABLE main.accounts (account_id VARCHAR, user_id VARCHAR, balance DOUBLE)`);
    await wh.query(`INSERT INTO main.accounts VALUES ('a-nan', 'nan', 'NaN'), ('a-five', 'five', 500), ('a-nan-too', 'five', 'NaN')`);
    await wh.query(`CREATE TABLE main.events (user_id VARCHAR, event VARCHAR, ts TIMESTAMP, props VARCHAR)`);
    await wh.query(`INSERT INTO main.events VALUES ('nan', 'Paid', '2026-11-27 10:00:00', '{"amount": "NaN"}'), ('five', 'Paid', '2026-11-27 10:00:00', '{"amount": "12"}')`);
  });
  afterAll(() => wh.close());

  it('is greater than no number: not a member, not a matched entity; `not` takes it in, as it takes NULL', async () => {
    const d = desired([scored, notScored, rich, bigPayers], [emitter('rich-accounts', 'rich', ['accounts'])]);
    const members = async (key: string) => (await compute(wh, d, key), await snapshot(wh, key));
    expect(await members('scored')).toEqual({ members: ['five', 'inf'], entities: [] });
    expect(await members('not-scored')).toEqual({ members: ['nan', 'null'], entities: [] });
    expect(await members('rich')).toEqual({ members: ['five'], entities: ['five/a-five'] });
    expect(await members('big-payers')).toEqual({ members: ['five'], entities: [] });
    const ctx = previewContext(d, 'duckdb', new Date('2026-11-28T12:00:00Z'));
    expect((await explainProfile(wh, scored.condition as never, ctx, 'nan')).tree).toMatchObject({ held: false, decidedBy: 'score is "nan"' });
  });
});

describe('TIMESTAMPTZ columns on a machine whose time zone is not UTC', () => {
  it('are compared with windows in UTC, as on a server in UTC: a laptop in Paris or New York computes the same members', () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'timestamptz-window.ts');
    const args = fixtureArgs(fixture);
    const membersIn = (tz: string) => {
      const r = spawnSync(process.execPath, args, { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as unknown;
    };
    const expected = { events: ['inside'], traits: ['inside'], properties: ['inside'], offsetProperties: ['inside'] };
    for (const tz of ['UTC', 'Europe/Paris', 'America/New_York']) expect(membersIn(tz), tz).toEqual(expected);
  });
});
