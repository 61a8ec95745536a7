import { seconds, type ExampleDataset } from '../shared/generate.js';

/*
 * The airline example's warehouse (the tables and columns examples/airline/main.ts declares):
 * travelers -> bookings -> flights, and the travelers' events (flight searches, completed bookings,
 * check-ins).
 *
 * Times are relative to the reference time `now`: a tenth of the flights depart in the next 72
 * hours, the window in which airlines announce delays, so "delayed-travelers" (a confirmed booking
 * on a flight delayed by an hour or more, departing within 48 hours) has members whatever time of
 * the reference day it is computed at. Searches fall in the last 60 days, skewed so that some
 * travelers search often; "lapsed-searchers" are gold and platinum travelers among them with no
 * booking in 30 days.
 */

export const AIRLINE_TABLES = ['travelers', 'flights', 'bookings', 'events'] as const;
export type AirlineTable = (typeof AIRLINE_TABLES)[number];

const MAX_PROFILES = 10_000_000;
/** Travelers per flight in the schedule: with ~2 bookings each, about 8 bookings per flight. */
const TRAVELERS_PER_FLIGHT = 4;
const MIN_FLIGHTS = 50;

const AIRPORTS = ['JFK', 'LAX', 'ORD', 'ATL', 'SFO', 'SEA', 'BOS', 'MIA', 'DFW', 'DEN', 'LHR', 'CDG', 'FRA', 'AMS', 'MAD', 'FCO', 'ZRH', 'DXB', 'NRT', 'SIN'];
const airportList = `[${AIRPORTS.map((a) => `'${a}'`).join(',')}]`;
/** An airport drawn from `r` in [0, 1), busiest (first) airports more often. */
const airport = (r: string) => `(${airportList})[1 + CAST(floor(pow(${r}, 1.4) * ${AIRPORTS.length}) AS INTEGER)]`;
const travelerId = (i: string) => `'t_' || lpad(CAST(${i} AS VARCHAR), 8, '0')`;
const flightId = (j: string) => `'f_' || lpad(CAST(${j} AS VARCHAR), 8, '0')`;

/** Draws are taken once per row in an inner query and reused above it (see examples/bank/data.ts). */
const statements: Record<AirlineTable, string[]> = {
  travelers: [
    `CREATE OR REPLACE TABLE main.travelers AS
     WITH d AS (
       SELECT i, rnd(i, 1) AS r_email_null, rnd(i, 2) AS r_domain, rnd(i, 3) AS r_first, rnd(i, 4) AS r_tier, rnd(i, 5) AS r_home
       FROM range(1, $profiles + 1) t(i))
     SELECT
       ${travelerId('i')} AS traveler_id,
       CASE WHEN r_email_null < 0.03 THEN NULL ELSE 'traveler' || i || '@' || (['example.com','mail.test','fly.test'])[1 + CAST(floor(r_domain * 3) AS INTEGER)] END AS email,
       (['Ada','Ben','Chloe','David','Emma','Farid','Grace','Hugo','Ines','Jonas','Kai','Lena','Mateo','Nora','Omar','Priya','Quinn','Rosa','Sven','Tara'])[1 + CAST(floor(r_first * 20) AS INTEGER)] AS first_name,
       CASE WHEN r_tier < 0.55 THEN 'blue' WHEN r_tier < 0.78 THEN 'silver' WHEN r_tier < 0.93 THEN 'gold' ELSE 'platinum' END AS loyalty_tier,
       ${airport('r_home')} AS home_airport
     FROM d`,
  ],
  flights: [
    // Departures on 5-minute marks: 10% in the next 72 hours (the only ones that can be delayed),
    // 55% in the last 120 days (landed or cancelled), 35% from 3 to 90 days ahead (scheduled).
    `CREATE OR REPLACE TABLE main.flights AS
     WITH d AS (
       SELECT j, rnd(j, 1) AS r_phase, rnd(j, 2) AS r_when, rnd(j, 3) AS r_origin, rnd(j, 4) AS r_dest, rnd(j, 5) AS r_number,
         rnd(j, 6) AS r_status, gauss(j, 7) AS g_delay, rnd(j, 8) AS r_on_time
       FROM range(1, $flights + 1) t(j)),
     p AS (
       SELECT *, CASE WHEN r_phase < 0.10 THEN 'soon' WHEN r_phase < 0.65 THEN 'past' ELSE 'later' END AS phase,
         CAST(floor(pow(r_origin, 1.4) * ${AIRPORTS.length}) AS INTEGER) AS origin_index
       FROM d),
     s AS (
       SELECT *,
         $now + to_minutes(5 * CASE phase WHEN 'soon' THEN 1 + CAST(floor(r_when * (72 * 12 - 1)) AS BIGINT)
                                          WHEN 'past' THEN -1 - CAST(floor(r_when * 120 * 288) AS BIGINT)
                                          ELSE 72 * 12 + CAST(floor(r_when * 87 * 288) AS BIGINT) END) AS departure,
         CASE phase WHEN 'past' THEN (CASE WHEN r_status < 0.03 THEN 'cancelled' ELSE 'landed' END)
                    WHEN 'soon' THEN (CASE WHEN r_status < 0.04 THEN 'cancelled' WHEN r_status < 0.32 THEN 'delayed' ELSE 'scheduled' END)
                    ELSE 'scheduled' END AS status
       FROM p)
     SELECT
       ${flightId('j')} AS flight_id,
       'LA' || CAST(100 + CAST(floor(r_number * 2900) AS INTEGER) AS VARCHAR) AS flight_number,
       (${airportList})[1 + origin_index] AS origin,
       -- Any other airport: an offset of 1 to 19 around the list never lands on the origin.
       (${airportList})[1 + (origin_index + 1 + CAST(floor(r_dest * ${AIRPORTS.length - 1}) AS INTEGER)) % ${AIRPORTS.length}] AS destination,
       departure AS scheduled_departure,
       status,
       -- Announced delays: median 75 minutes, about two in three an hour or more. Landed flights:
       -- two in three on time. Cancelled flights have no delay.
       CASE status WHEN 'cancelled' THEN NULL
                   WHEN 'delayed' THEN CAST(least(480, greatest(15, round(exp(ln(75) + 0.6 * g_delay)))) AS INTEGER)
                   WHEN 'landed' THEN (CASE WHEN r_on_time < 0.65 THEN 0 ELSE CAST(least(600, greatest(1, round(exp(ln(25) + 0.9 * g_delay)))) AS INTEGER) END)
                   ELSE 0 END AS delay_minutes
     FROM s`,
  ],
  bookings: [
    // 0-6 bookings per traveler (mean ~2.1) on flights drawn uniformly from the schedule, booked a
    // few weeks ahead (log-normal lead time, median 21 days) and never after the reference time.
    `CREATE OR REPLACE TABLE main.bookings AS
     WITH t AS (SELECT i, rnd(i, 21) AS r_n FROM range(1, $profiles + 1) r(i)),
     n AS (SELECT i, CASE WHEN r_n < 0.15 THEN 0 WHEN r_n < 0.40 THEN 1 WHEN r_n < 0.65 THEN 2 WHEN r_n < 0.80 THEN 3
                          WHEN r_n < 0.90 THEN 4 WHEN r_n < 0.96 THEN 5 ELSE 6 END AS n FROM t),
     d AS (
       SELECT i, k, ${flightId('1 + CAST(floor(rnd(i * 10 + k, 22) * $flights) AS BIGINT)')} AS flight_id,
         gauss(i * 10 + k, 23) AS g_lead, rnd(i * 10 + k, 24) AS r_status, rnd(i * 10 + k, 25) AS r_fare, rnd(i * 10 + k, 26) AS r_recent
       FROM n, range(6) r(k) WHERE k < n.n)
     SELECT
       'b_' || lpad(CAST(i AS VARCHAR), 8, '0') || '_' || k AS booking_id,
       ${travelerId('i')} AS traveler_id,
       flight_id,
       CASE WHEN f.status = 'cancelled' THEN 'cancelled'
            WHEN f.scheduled_departure < $now THEN (CASE WHEN r_status < 0.92 THEN 'flown' WHEN r_status < 0.96 THEN 'cancelled' ELSE 'no_show' END)
            ELSE (CASE WHEN r_status < 0.88 THEN 'confirmed' WHEN r_status < 0.97 THEN 'cancelled' ELSE 'waitlisted' END) END AS status,
       CASE WHEN r_fare < 0.72 THEN 'economy' WHEN r_fare < 0.86 THEN 'premium_economy' WHEN r_fare < 0.97 THEN 'business' ELSE 'first' END AS fare_class,
       least(f.scheduled_departure - ${seconds('86400 * least(300, exp(ln(21) + 0.9 * g_lead))')},
             $now - ${seconds('r_recent * 3 * 86400')}) AS booked_at
     FROM d JOIN main.flights f USING (flight_id)`,
  ],
  events: [
    // Searches: 10 per traveler in the last 60 days, each given to a traveler by a skewed draw (a
    // few search a lot, many rarely), mostly from the home airport. Booking Completed at each
    // booking; Checked In a few hours before each flown flight.
    `CREATE OR REPLACE TABLE main.events AS
     WITH searches AS (
       SELECT j, 1 + CAST(floor(pow(rnd(j, 31), 1.4) * $profiles) AS BIGINT) AS i, rnd(j, 32) AS r_ts, rnd(j, 33) AS r_from_home,
         rnd(j, 34) AS r_origin, rnd(j, 35) AS r_dest, rnd(j, 36) AS r_ahead, rnd(j, 37) AS r_passengers
       FROM range(0, 10 * $profiles) r(j)),
     s AS (
       SELECT searches.*, t.traveler_id, t.home_airport, $now - ${seconds('r_ts * 60 * 86400')} AS ts
       FROM searches JOIN main.travelers t ON t.traveler_id = ${travelerId('searches.i')})
     SELECT traveler_id, 'Flight Searched' AS event, ts,
       json_object('origin', CASE WHEN r_from_home < 0.8 THEN home_airport ELSE ${airport('r_origin')} END,
                   'destination', ${airport('r_dest')},
                   'departure_date', strftime(ts + to_days(1 + CAST(floor(r_ahead * 120) AS INTEGER)), '%Y-%m-%d'),
                   'passengers', 1 + CAST(floor(pow(r_passengers, 3) * 4) AS INTEGER)) AS properties
     FROM s
     UNION ALL
     SELECT traveler_id, 'Booking Completed', booked_at,
       json_object('booking_id', booking_id, 'flight_id', flight_id, 'fare_class', fare_class)
     FROM main.bookings
     UNION ALL
     SELECT b.traveler_id, 'Checked In', f.scheduled_departure - ${seconds('3600 * (1 + 23 * rnd(b.booking_id, 38))')},
       json_object('booking_id', b.booking_id, 'flight_id', b.flight_id)
     FROM main.bookings b JOIN main.flights f USING (flight_id)
     WHERE b.status = 'flown'`,
  ],
};

export const AIRLINE_DATA: ExampleDataset<AirlineTable> = {
  name: 'airline',
  description: 'write a seeded, realistically distributed DuckDB warehouse for the airline example',
  profilesHelp: 'number of travelers (about 2 bookings and 10 searches each)',
  tables: AIRLINE_TABLES,
  statements,
  sizes: (profiles) => ({ flights: Math.max(MIN_FLIGHTS, Math.ceil(profiles / TRAVELERS_PER_FLIGHT)) }),
  maxProfiles: MAX_PROFILES,
};
