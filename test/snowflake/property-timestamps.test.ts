import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition } from '../../src/model/condition.js';
import { DataGraph } from '../../src/model/graph.js';
import type { Dialect } from '../../src/dialect/dialect.js';
import { compileMembership } from '../../src/sql/index.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { emulatedSnowflake } from '../support/snowflake-emulator/connect.js';

/*
 * An event property holding a timestamp with an offset is an instant: `01:00+02:00` is 23:00 UTC
 * the day before. Read as TIMESTAMP_NTZ (Snowflake's TRY_TO_TIMESTAMP) or cast to DuckDB's
 * TIMESTAMP, the offset is dropped and the wall clock is taken for UTC. Both dialects, the
 * Snowflake one through snowflake-sdk on the emulation (which drops the offset of an NTZ as
 * Snowflake documents).
 */
const paidAt: Record<string, string> = {
  plus2: '2026-01-01T01:00:00+02:00', // 2025-12-31T23:00Z
  minus5: '2025-12-31T20:00:00-05:00', // 2026-01-01T01:00Z
  zulu: '2026-01-01T01:00:00Z',
  none: '2026-01-01T01:00:00', // no offset: UTC
  compact: '2026-01-01T03:00:00+0200', // 2026-01-01T01:00Z
};

const graph = DataGraph.parse({
  key: 'graph',
  maxDepth: 4,
  preventDestroy: false,
  profile: { table: 'main.profiles', id: 'user_id', traits: [], identifiers: ['user_id'] },
  events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'properties' },
  entities: [],
  relationships: [],
});

const paid = (operator: 'before_date' | 'after_date', value: string): Condition =>
  ({ kind: 'event', name: 'Paid', where: [{ property: 'paid_at', operator, value }], count: { op: 'at_least', value: 1 } }) as Condition;

async function members(wh: Warehouse, dialect: Dialect, condition: Condition): Promise<string[]> {
  const q = compileMembership(condition, { dialect, graph, classicAudiences: [], linkedAudience: () => { throw new Error('none'); }, now: new Date('2026-01-02T00:00:00Z') });
  const { rows } = await wh.query<{ PROFILE_ID?: string; profile_id?: string }>(q.sql, q.params);
  return rows.map((r) => String(r.PROFILE_ID ?? r.profile_id)).sort();
}

describe('event property timestamps with an offset are instants, on DuckDB and on emulated Snowflake', () => {
  let sf: Awaited<ReturnType<typeof emulatedSnowflake>>;
  let duck: DuckDbWarehouse;
  beforeAll(async () => {
    sf = await emulatedSnowflake();
    duck = await openDuckDb(':memory:');
    await duck.query(`CREATE TABLE main.profiles (user_id VARCHAR)`);
    await duck.query(`CREATE TABLE main.events (user_id VARCHAR, event VARCHAR, ts TIMESTAMP, properties JSON)`);
    await sf.wh.query(`CREATE TABLE "main"."profiles" ("user_id" VARCHAR)`);
    await sf.wh.query(`CREATE TABLE "main"."events" ("user_id" VARCHAR, "event" VARCHAR, "ts" TIMESTAMP_NTZ, "properties" VARCHAR)`);
    for (const [user, at] of Object.entries(paidAt)) {
      const props = JSON.stringify({ paid_at: at });
      await duck.query(`INSERT INTO main.profiles VALUES (?)`, [user]);
      await duck.query(`INSERT INTO main.events VALUES (?, 'Paid', TIMESTAMP '2026-01-01 12:00:00', ?)`, [user, props]);
      await sf.wh.query(`INSERT INTO "main"."profiles" VALUES (?)`, [user]);
      await sf.wh.query(`INSERT INTO "main"."events" VALUES (?, 'Paid', '2026-01-01 12:00:00', ?)`, [user, props]);
    }
  });
  afterAll(async () => {
    await duck?.close();
    await sf?.close();
  });

  it.each([
    ['before_date', '2026-01-01T00:00:00Z', ['plus2']],
    ['after_date', '2026-01-01T00:30:00Z', ['compact', 'minus5', 'none', 'zulu']],
  ] as const)('paid_at %s %s', async (operator, value, expected) => {
    const got = { duckdb: await members(duck, 'duckdb', paid(operator, value)), snowflake: await members(sf.wh, 'snowflake', paid(operator, value)) };
    expect(got).toEqual({ duckdb: expected, snowflake: expected });
  });
});
