import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIRLINE_TABLES, generateAirlineWarehouse } from '../../examples/airline/data.js';
import { checkCatalog } from '../../src/graph/catalog.js';
import type { Desired } from '../../src/model/desired.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { linked } from '../plan/cli-project.js';
import { audienceMembers, columnsOf, fingerprint, synthExample } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'linked-airline-'));
const NOW = new Date('2026-11-28T00:00:00Z');
const NOW_SQL = '2026-11-28 00:00:00';
const PROFILES = 2000;
let counts: Record<string, number>;
let desired: Desired;
let wh: DuckDbWarehouse;

beforeAll(async () => {
  ({ counts } = await generateAirlineWarehouse(join(dir, 'first.duckdb'), { profiles: PROFILES, seed: 7, now: NOW }));
  desired = await synthExample('airline', dir);
  wh = await openDuckDb(join(dir, 'first.duckdb'));
});
afterAll(async () => {
  await wh?.close();
  rmSync(dir, { recursive: true, force: true });
});

const one = async (sql: string, params: unknown[] = []): Promise<number> => Number(Object.values((await wh.query(sql, params)).rows[0])[0]);

/** The columns examples/airline/main.ts declares (ids, traits, entity columns, the events mapping), with their types. */
const SCHEMA: Record<string, [string, string][]> = {
  travelers: [
    ['traveler_id', 'VARCHAR'],
    ['email', 'VARCHAR'],
    ['first_name', 'VARCHAR'],
    ['loyalty_tier', 'VARCHAR'],
    ['home_airport', 'VARCHAR'],
  ],
  flights: [
    ['flight_id', 'VARCHAR'],
    ['flight_number', 'VARCHAR'],
    ['origin', 'VARCHAR'],
    ['destination', 'VARCHAR'],
    ['scheduled_departure', 'TIMESTAMP'],
    ['status', 'VARCHAR'],
    ['delay_minutes', 'INTEGER'],
  ],
  bookings: [
    ['booking_id', 'VARCHAR'],
    ['traveler_id', 'VARCHAR'],
    ['flight_id', 'VARCHAR'],
    ['status', 'VARCHAR'],
    ['fare_class', 'VARCHAR'],
    ['booked_at', 'TIMESTAMP'],
  ],
  events: [
    ['traveler_id', 'VARCHAR'],
    ['event', 'VARCHAR'],
    ['ts', 'TIMESTAMP'],
    ['properties', 'JSON'],
  ],
};

describe('airline example data generator', () => {
  it('writes the tables examples/airline/main.ts declares, with their columns and types', async () => {
    expect(Object.keys(counts)).toEqual([...AIRLINE_TABLES]);
    for (const [table, columns] of Object.entries(SCHEMA)) {
      expect(await columnsOf(wh, table), table).toEqual(columns);
      expect(counts[table], table).toBe(await one(`SELECT count(*) FROM main.${table}`));
    }
    expect(counts.travelers).toBe(PROFILES);
  });

  it('fits the example’s Data Graph: the catalog check finds no error', async () => {
    const diagnostics = await checkCatalog(desired, wh);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('every audience has members, and not every traveler is one', async () => {
    const members = await audienceMembers(desired, wh, NOW);
    expect(Object.keys(members).sort()).toEqual(['delayed-travelers', 'lapsed-searchers']);
    for (const [key, n] of Object.entries(members)) {
      expect(n, key).toBeGreaterThanOrEqual(1);
      expect(n, key).toBeLessThanOrEqual(PROFILES - 1);
    }
  });

  it('keeps time consistent with the reference time: delays only on flights about to depart, bookings before departure and before now', async () => {
    expect(await one(`SELECT count(*) FROM main.flights WHERE status = 'delayed' AND NOT (scheduled_departure > ?::TIMESTAMP AND scheduled_departure < ?::TIMESTAMP + INTERVAL 72 HOUR)`, [NOW_SQL, NOW_SQL])).toBe(0);
    expect(await one(`SELECT count(*) FROM main.flights WHERE status = 'landed' AND scheduled_departure >= ?::TIMESTAMP`, [NOW_SQL])).toBe(0);
    expect(await one(`SELECT count(*) FROM main.flights WHERE origin = destination`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.bookings b JOIN main.flights f USING (flight_id) WHERE b.booked_at > f.scheduled_departure OR b.booked_at > ?::TIMESTAMP`, [NOW_SQL])).toBe(0);
    expect(await one(`SELECT count(*) FROM main.bookings b WHERE NOT EXISTS (SELECT 1 FROM main.travelers t WHERE t.traveler_id = b.traveler_id)`)).toBe(0);
    expect(await one(`SELECT count(*) FROM main.events WHERE ts > ?::TIMESTAMP`, [NOW_SQL])).toBe(0);
    const names = (await wh.query<{ event: string }>(`SELECT DISTINCT event FROM main.events ORDER BY event`)).rows.map((r) => r.event);
    expect(names).toEqual(['Booking Completed', 'Checked In', 'Flight Searched']);
  });

  it('is reproducible for a seed and reference time, and differs for another seed', async () => {
    await generateAirlineWarehouse(join(dir, 'again.duckdb'), { profiles: PROFILES, seed: 7, now: NOW });
    await generateAirlineWarehouse(join(dir, 'other.duckdb'), { profiles: PROFILES, seed: 8, now: NOW });
    const again = await openDuckDb(join(dir, 'again.duckdb'));
    const other = await openDuckDb(join(dir, 'other.duckdb'));
    try {
      for (const table of AIRLINE_TABLES) {
        expect(await fingerprint(again, table), table).toBe(await fingerprint(wh, table));
        expect(await fingerprint(other, table), table).not.toBe(await fingerprint(wh, table));
      }
    } finally {
      await again.close();
      await other.close();
    }
  });

  it('CLI: linked example airline --profiles N --out FILE --json', () => {
    const out = join(dir, 'cli.duckdb');
    const r = linked(['example', 'airline', '--profiles', '500', '--out', out, '--seed', '3', '--now', '2026-11-28', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ out, seed: 3, now: '2026-11-28T00:00:00.000Z' });
    expect(Object.keys(result.counts)).toEqual([...AIRLINE_TABLES]);
    expect(result.counts.travelers).toBe(500);
  });
});
