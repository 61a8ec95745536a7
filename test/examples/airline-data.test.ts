import { it, expect } from 'vitest';
import { AIRLINE_DATA } from '../../examples/airline/data.js';
import { describeExampleData } from './helpers.js';

const NOW_SQL = '2026-11-28 00:00:00';

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

describeExampleData({ dataset: AIRLINE_DATA, profileTable: 'travelers', schema: SCHEMA, audiences: ['delayed-travelers', 'lapsed-searchers'], model: { audiences: 2, destinations: 1, emitters: 2, classicAudiences: 0 } }, (ex) => {
  it('keeps time consistent with the reference time: delays only on flights about to depart, bookings before departure and before now', async () => {
    expect(await ex.one(`SELECT count(*) FROM main.flights WHERE status = 'delayed' AND NOT (scheduled_departure > ?::TIMESTAMP AND scheduled_departure < ?::TIMESTAMP + INTERVAL 72 HOUR)`, [NOW_SQL, NOW_SQL])).toBe(0);
    expect(await ex.one(`SELECT count(*) FROM main.flights WHERE status = 'landed' AND scheduled_departure >= ?::TIMESTAMP`, [NOW_SQL])).toBe(0);
    expect(await ex.one(`SELECT count(*) FROM main.flights WHERE origin = destination`)).toBe(0);
    expect(await ex.one(`SELECT count(*) FROM main.bookings b JOIN main.flights f USING (flight_id) WHERE b.booked_at > f.scheduled_departure OR b.booked_at > ?::TIMESTAMP`, [NOW_SQL])).toBe(0);
    expect(await ex.one(`SELECT count(*) FROM main.bookings b WHERE NOT EXISTS (SELECT 1 FROM main.travelers t WHERE t.traveler_id = b.traveler_id)`)).toBe(0);
    expect(await ex.one(`SELECT count(*) FROM main.events WHERE ts > ?::TIMESTAMP`, [NOW_SQL])).toBe(0);
    const names = (await ex.wh.query<{ event: string }>(`SELECT DISTINCT event FROM main.events ORDER BY event`)).rows.map((r) => r.event);
    expect(names).toEqual(['Booking Completed', 'Checked In', 'Flight Searched']);
  });
});
