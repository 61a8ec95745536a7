/**
 * Timestamp literals as the warehouse should read them. Warehouse TIMESTAMP columns are taken to
 * hold UTC without a zone; DuckDB ignores an offset when casting to TIMESTAMP and Snowflake's
 * TIMESTAMP_NTZ drops it too, so every literal is converted to UTC here and bound without one:
 * a literal with `Z` or an offset by its offset, a literal without one as a wall time in the
 * stack's time zone (UTC unless the Data Graph sets one). Computing the bounds here, not in SQL,
 * keeps one meaning of a local day on every warehouse, daylight saving included.
 */
const WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const WALL = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?$/;

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT']);

/** Whether a zone is UTC itself: no conversion needed. */
const isUtc = (zone: string | undefined) => zone === undefined || UTC_NAMES.has(zone);

/** `YYYY-MM-DD HH:MM:SS` of an instant, in UTC. */
const utcText = (ms: number) => {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
};

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall time of an instant in `zone`, as epoch ms of the same wall time read as UTC. */
export function wallTime(instant: number, zone: string): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, f);
  }
  const part = Object.fromEntries(f.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const seconds = Date.UTC(Number(part.year), Number(part.month) - 1, Number(part.day), Number(part.hour), Number(part.minute), Number(part.second));
  return seconds + (((instant % 1000) + 1000) % 1000);
}

/**
 * The instant at which the clocks of `zone` show `wall` (epoch ms of the wall time read as UTC).
 * A wall time skipped by a daylight-saving jump maps to the instant after the jump; one repeated
 * maps to its first occurrence.
 */
export function zonedInstant(wall: number, zone: string): number {
  const offsetAt = (instant: number) => wallTime(instant, zone) - instant;
  // A day either side of the wall time lies beyond any daylight-saving change of that day: the
  // offsets there are the two the wall time can have.
  const before = wall - offsetAt(wall - 86_400_000);
  const after = wall - offsetAt(wall + 86_400_000);
  const [early, late] = before <= after ? [before, after] : [after, before];
  if (wallTime(early, zone) === wall) return early;
  return late;
}

export function utcTimestampLiteral(iso: string, zone?: string): string {
  const m = WITH_OFFSET.exec(iso);
  if (!m) {
    const wall = WALL.exec(iso);
    if (!wall || isUtc(zone)) return iso;
    const [, date, hh = '00', mm = '00', ss = '00', fraction = ''] = wall;
    return utcText(zonedInstant(Date.parse(`${date}T${hh}:${mm}:${ss}Z`), zone!)) + fraction;
  }
  const [, date, hh, mm, ss = '00', fraction = '', offset] = m;
  let offsetMinutes = 0;
  if (offset !== 'Z') {
    const digits = offset.replace(':', '');
    const sign = digits[0] === '-' ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const wall = Date.parse(`${date}T${hh}:${mm}:${ss}Z`);
  return utcText(wall - offsetMinutes * 60_000) + fraction;
}

const UNIT_MS = { minutes: 60_000, hours: 3_600_000 } as const;

/**
 * `now` plus `amount` units, as a UTC literal. Minutes and hours are elapsed time; days are
 * calendar days of the stack's zone, so "the last 7 days" keeps the time of day across a
 * daylight-saving change.
 */
export function nowPlusLiteral(now: Date, amount: number, unit: 'minutes' | 'hours' | 'days', zone?: string): string {
  const t = now.getTime();
  let at: number;
  if (unit !== 'days') at = t + amount * UNIT_MS[unit];
  else if (isUtc(zone)) at = t + amount * 86_400_000;
  else at = zonedInstant(wallTime(t, zone!) + amount * 86_400_000, zone!);
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** `now` as a bound literal: UTC, millisecond precision, no zone. */
export function nowLiteral(now: Date): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** `1997-12-31`: a literal without a time, which stands for the whole day. */
export const isDateOnly = (literal: string): boolean => DATE_ONLY.test(literal);

/** The date after a date-only literal (`1997-12-31` → `1998-01-01`), in UTC. */
export function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
