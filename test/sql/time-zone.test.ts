import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, DataGraph, LinkedAudiencesStack, Warehouse } from '../../constructs/index.js';
import type { Condition } from '../../src/model/condition.js';
import { Desired } from '../../src/model/desired.js';
import { DataGraph as DataGraphModel } from '../../src/model/graph.js';
import { compileContext, compileMembership } from '../../src/sql/index.js';
import { nowPlusLiteral, utcTimestampLiteral } from '../../src/sql/time.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { cleanup, synthError, tempDir } from '../constructs/helpers.js';

/*
 * The stack's time zone decides where a day begins: literals without an offset, date-only bounds
 * and the days of relative windows are read in it, computed in TypeScript and bound in UTC.
 * Each profile has one event placed on a boundary that UTC and Paris see on different days.
 */
const profiles = [
  // 31 Dec 23:30 UTC is 1 Jan 00:30 in Paris: in "December" in UTC, not in Paris.
  ['late-utc', '2026-12-31 23:30:00'],
  // 30 Nov 23:30 UTC is 1 Dec 00:30 in Paris: in "December" in Paris, not in UTC.
  ['early-paris', '2026-11-30 23:30:00'],
  // Mid-December: in both.
  ['mid', '2026-12-15 12:00:00'],
  // 23 Mar 12:30 UTC: 7 calendar days before 30 Mar 12:00 UTC in UTC, but Paris moved its clocks
  // on 29 March, so its "7 days ago" (23 Mar 14:00 local) is 13:00 UTC.
  ['dst', '2026-03-23 12:30:00'],
] as const;

const model = (condition: Condition, timeZone?: string) =>
  Desired.parse({
    stack: 'tz',
    warehouse: { type: 'duckdb', path: ':memory:' },
    graph: {
      ...(timeZone ? { timeZone } : {}),
      profile: { table: 'main.people', id: 'id', traits: ['signed_up'] },
      events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'props' },
    },
    audiences: [{ key: 'a', name: 'A', condition }],
  });

let wh: DuckDbWarehouse;
beforeAll(async () => {
  wh = await openDuckDb(':memory:');
  await wh.query(`CREATE TABLE main.people (id VARCHAR, signed_up TIMESTAMP)`);
  await wh.query(`CREATE TABLE main.events (user_id VARCHAR, event VARCHAR, ts TIMESTAMP, props JSON)`);
  for (const [id, ts] of profiles) {
    await wh.query(`INSERT INTO main.people VALUES (?, CAST(? AS TIMESTAMP))`, [id, ts]);
    await wh.query(`INSERT INTO main.events VALUES (?, 'Order Placed', CAST(? AS TIMESTAMP), '{}')`, [id, ts]);
  }
});
afterAll(async () => {
  await wh.close();
  cleanup();
});

async function members(condition: Condition, timeZone: string | undefined, now = new Date('2027-01-15T12:00:00Z')): Promise<string[]> {
  const d = model(condition, timeZone);
  const ctx = compileContext({ dialect: 'duckdb', graph: d.graph, classicAudiences: [], now, audience: () => undefined, unknownAudience: (k) => new Error(k) });
  const q = compileMembership(condition, ctx);
  return (await wh.query<{ profile_id: string }>(q.sql, q.params)).rows.map((r) => r.profile_id).sort();
}

const ordersInDecember: Condition = {
  kind: 'event',
  name: 'Order Placed',
  where: [],
  count: { op: 'at_least', value: 1 },
  window: { type: 'between', from: '2026-12-01', to: '2026-12-31' },
};
const signedUpInDecember: Condition = {
  kind: 'and',
  conditions: [
    { kind: 'trait', trait: 'signed_up', operator: 'gte', value: { literal: '2026-12-01' } },
    { kind: 'trait', trait: 'signed_up', operator: 'lte', value: { literal: '2026-12-31' } },
  ],
};

describe('the stack time zone', () => {
  it('moves the day boundaries of date-only bounds, in event windows and trait comparisons', async () => {
    expect(await members(ordersInDecember, undefined)).toEqual(['late-utc', 'mid']);
    expect(await members(ordersInDecember, 'Europe/Paris')).toEqual(['early-paris', 'mid']);
    expect(await members(signedUpInDecember, undefined)).toEqual(['late-utc', 'mid']);
    expect(await members(signedUpInDecember, 'Europe/Paris')).toEqual(['early-paris', 'mid']);
    // UTC set explicitly is the default.
    expect(await members(signedUpInDecember, 'UTC')).toEqual(['late-utc', 'mid']);
  });

  it('reads a literal without an offset as a wall time of the zone, and one with an offset as given', async () => {
    const after = (literal: string): Condition => ({ kind: 'trait', trait: 'signed_up', operator: 'after_date', value: literal });
    // 1 Jan 00:00 in Paris is 31 Dec 23:00 UTC: late-utc (23:30 UTC) is after it.
    expect(await members(after('2027-01-01T00:00:00'), 'Europe/Paris')).toEqual(['late-utc']);
    expect(await members(after('2027-01-01T00:00:00'), undefined)).toEqual([]);
    expect(await members(after('2027-01-01T00:00:00Z'), 'Europe/Paris')).toEqual([]);
  });

  it('counts the days of a relative window on the calendar of the zone, across a daylight-saving change', async () => {
    const lastWeek: Condition = { kind: 'event', name: 'Order Placed', where: [], count: { op: 'at_least', value: 1 }, window: { type: 'within', amount: 7, unit: 'days' } };
    const now = new Date('2026-03-30T12:00:00Z');
    expect(await members(lastWeek, undefined, now)).toEqual(['dst']);
    expect(await members(lastWeek, 'Europe/Paris', now)).toEqual([]);
    // Hours are elapsed time, whatever the zone.
    const lastDays = (zone?: string) => members({ ...lastWeek, window: { type: 'within', amount: 7 * 24, unit: 'hours' } }, zone, now);
    expect(await lastDays('Europe/Paris')).toEqual(await lastDays(undefined));
  });

  it('binds every bound as a UTC timestamp value, never in the SQL text', () => {
    const d = model(ordersInDecember, 'Europe/Paris');
    const ctx = compileContext({ dialect: 'duckdb', graph: d.graph, classicAudiences: [], now: new Date('2027-01-15T12:00:00Z'), audience: () => undefined, unknownAudience: (k) => new Error(k) });
    const q = compileMembership(ordersInDecember, ctx);
    expect(q.params).toEqual(expect.arrayContaining(['2026-11-30 23:00:00', '2026-12-31 23:00:00']));
    expect(q.sql).not.toContain('2026');
    expect(q.sql).not.toContain('Paris');
    expect(utcTimestampLiteral('2026-07-01', 'America/New_York')).toBe('2026-07-01 04:00:00');
    expect(utcTimestampLiteral('2026-07-01T10:00:00.250', 'Asia/Kolkata')).toBe('2026-07-01 04:30:00.250');
    // A wall time repeated when the clocks go back is its first occurrence; one skipped when they go forward, the instant after the jump.
    expect(utcTimestampLiteral('2026-10-25 02:30:00', 'Europe/Paris')).toBe('2026-10-25 00:30:00');
    expect(utcTimestampLiteral('2026-03-29 02:30:00', 'Europe/Paris')).toBe('2026-03-29 01:30:00');
    expect(nowPlusLiteral(new Date('2026-03-30T12:00:00Z'), -7, 'days', 'Europe/Paris')).toBe('2026-03-23 13:00:00.000');
  });

  it('refuses a zone the time zone database does not know, naming an example', () => {
    const parsed = DataGraphModel.safeParse({ timeZone: 'Europe/Pariss', profile: { table: 'main.people', id: 'id' } });
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['timeZone', 'Unknown time zone "Europe/Pariss": give an IANA zone name such as "Europe/Paris", "America/New_York" or "UTC"'],
    ]);
    const app = new App({ outdir: tempDir() });
    const stack = new LinkedAudiencesStack(app, 'tz', { warehouse: Warehouse.duckdb({ path: 'tz.duckdb' }) });
    new DataGraph(stack, 'graph', { timeZone: 'CET+1', profile: { table: 'main.people', id: 'id' } });
    expect(synthError(app)).toContain('Unknown time zone "CET+1"');
  });
});
