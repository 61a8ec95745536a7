/**
 * Timestamp literals as the warehouse should read them. Warehouse TIMESTAMP columns are taken to
 * hold UTC without a zone; DuckDB ignores an offset when casting to TIMESTAMP and Snowflake's
 * TIMESTAMP_NTZ drops it too, so a literal with `Z` or an offset is converted to UTC here and
 * bound without one. A literal without an offset is bound unchanged.
 */
const WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export function utcTimestampLiteral(iso: string): string {
  const m = WITH_OFFSET.exec(iso);
  if (!m) return iso;
  const [, date, hh, mm, ss = '00', fraction = '', zone] = m;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    const sign = digits[0] === '-' ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const wall = Date.parse(`${date}T${hh}:${mm}:${ss}Z`);
  const utc = new Date(wall - offsetMinutes * 60_000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${utc.slice(0, 10)} ${utc.slice(11, 19)}${fraction}`;
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
