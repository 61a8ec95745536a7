/**
 * The airline example: travelers -> bookings -> flights. "Flight delayed": when a booked flight
 * becomes delayed, the traveler gets an Entity Added event for that flight.
 *
 * Try it from the repository root: generate the warehouse the stack declares (airline.duckdb, next
 * to this file; data.ts writes it), then synthesize, plan and apply, and compute:
 *
 *   linked example airline --profiles 10000 --out examples/airline/airline.duckdb
 *   linked synth --dir examples/airline && linked validate --dir examples/airline
 *   linked plan --dir examples/airline && linked apply --dir examples/airline
 *   linked preview delayed-travelers --dir examples/airline && linked run --once --dir examples/airline
 *
 * Flights, bookings and searches are placed relative to the reference time (--now, default today
 * 00:00 UTC): generate again on another day.
 */
import {
  App,
  Audience,
  AudienceTest,
  DataGraph,
  Destination,
  EventEmitter,
  LinkedAudiencesStack,
  Schedule,
  Trigger,
  Warehouse,
  all,
  col,
  days,
  event,
  hours,
  secret,
  trait,
} from 'linked-audiences';

const app = new App();
const stack = new LinkedAudiencesStack(app, 'airline', { warehouse: Warehouse.duckdb({ path: 'airline.duckdb' }) });

const graph = new DataGraph(stack, 'graph', {
  profile: {
    table: 'main.travelers',
    id: 'traveler_id',
    traits: ['email', 'first_name', 'loyalty_tier', 'home_airport'],
    identifiers: ['traveler_id', 'email'],
  },
  events: { table: 'main.events', profileKey: 'traveler_id', name: 'event', timestamp: 'ts', properties: 'properties' },
});
const booking = graph.entity('booking', {
  table: 'main.bookings',
  primaryKey: 'booking_id',
  columns: ['traveler_id', 'flight_id', 'status', 'fare_class', 'booked_at'],
});
const flight = graph.entity('flight', {
  table: 'main.flights',
  primaryKey: 'flight_id',
  columns: ['flight_number', 'origin', 'destination', 'scheduled_departure', 'status', 'delay_minutes'],
});
const bookings = graph.profile.relate('bookings', booking, { identifier: 'traveler_id', column: 'traveler_id' });
const flights = bookings.relate('flights', flight, { on: ['flight_id', 'flight_id'] });

/** Travelers with a confirmed booking on a flight delayed by an hour or more, departing soon. */
const delayed = new Audience(stack, 'delayed-travelers', {
  name: 'Travelers on a delayed flight',
  enabled: true,
  schedule: Schedule.every('5m'),
  where: bookings.where(
    col('status').equals('confirmed'),
    flights.where(col('status').equals('delayed'), col('delay_minutes').gte(60), col('scheduled_departure').withinNext(hours(48))),
  ),
});

/** Gold and platinum members who searched but have not booked in a month. */
const lapsedSearchers = new Audience(stack, 'lapsed-searchers', {
  name: 'Lapsed searchers',
  schedule: Schedule.cron('0 7 * * *'),
  where: all(
    trait('loyalty_tier').oneOf('gold', 'platinum'),
    event('Flight Searched').atLeast(3).within(days(14)),
    bookings.where(col('booked_at').withinLast(days(30))).none(),
  ),
});

const customerIo = Destination.customerIo(stack, 'customerio', {
  siteId: 'airline-site',
  apiKey: secret('CUSTOMERIO_API_KEY'),
});

new EventEmitter(stack, 'flight-delayed', {
  audience: delayed,
  destination: customerIo,
  trigger: Trigger.entityAdded(flights),
  eventName: 'Flight Delayed',
  enrich: { traits: ['email', 'first_name'], entities: [flights.columns('flight_number', 'origin', 'destination', 'delay_minutes')] },
});

new EventEmitter(stack, 'lapsed-searcher-entered', {
  audience: lapsedSearchers,
  destination: customerIo,
  trigger: Trigger.audienceEntered(),
});

// ---- Audience tests: `linked test` (docs/testing.md) ---------------------------------------

const TEST_NOW = '2026-06-01T12:00:00Z';

new AudienceTest(stack, 'delayed-confirmed-soon', {
  audience: delayed,
  now: TEST_NOW,
  profiles: [{ traveler_id: 't1' }, { traveler_id: 't2' }, { traveler_id: 't3' }, { traveler_id: 't4' }],
  entities: {
    booking: [
      { booking_id: 'b1', traveler_id: 't1', flight_id: 'f1', status: 'confirmed' },
      // Cancelled: a delay on this flight is not t2's problem.
      { booking_id: 'b2', traveler_id: 't2', flight_id: 'f1', status: 'cancelled' },
      { booking_id: 'b3', traveler_id: 't3', flight_id: 'f2', status: 'confirmed' },
      { booking_id: 'b4', traveler_id: 't4', flight_id: 'f3', status: 'confirmed' },
      { booking_id: 'b5', traveler_id: 't1', flight_id: 'f3', status: 'confirmed' },
    ],
    flight: [
      { flight_id: 'f1', status: 'delayed', delay_minutes: 90, scheduled_departure: '2026-06-02T09:00:00Z' },
      // Delayed, but only by half an hour.
      { flight_id: 'f2', status: 'delayed', delay_minutes: 30, scheduled_departure: '2026-06-02T09:00:00Z' },
      // Delayed, but leaving next week: outside the 48 hours.
      { flight_id: 'f3', status: 'delayed', delay_minutes: 120, scheduled_departure: '2026-06-08T09:00:00Z' },
    ],
  },
  expect: { members: ['t1'], entityMatches: [{ relationship: flights, matches: { t1: ['f1'] } }] },
});

new AudienceTest(stack, 'lapsed-gold-searchers', {
  audience: lapsedSearchers,
  now: TEST_NOW,
  profiles: [
    { traveler_id: 't1', loyalty_tier: 'gold' },
    { traveler_id: 't2', loyalty_tier: 'gold' },
    { traveler_id: 't3', loyalty_tier: 'silver' },
  ],
  entities: {
    // t2 booked last week: not lapsed.
    booking: [{ booking_id: 'b1', traveler_id: 't2', flight_id: 'f1', status: 'confirmed', booked_at: '2026-05-25T10:00:00Z' }],
  },
  events: ['t1', 't2', 't3'].flatMap((t) =>
    [1, 2, 3].map((i) => ({ traveler_id: t, event: 'Flight Searched', ts: `2026-05-2${i}T10:00:00Z`, properties: { origin: 'SFO' } })),
  ),
  expect: { members: ['t1'] },
});

app.synth();
