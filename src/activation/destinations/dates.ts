/*
 * Dates per destination, as Segment's actions convert them. Events carry a DATE column as
 * `YYYY-MM-DD` and a timestamp as ISO 8601 (build-event.ts); each destination turns those strings
 * into the form its API types as a date.
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Milliseconds of an ISO 8601 date or date-time string (no zone = UTC), or undefined when `value` is not one. */
export function isoMillis(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length < 10 || value.length > 35) return undefined;
  const m = ISO_DATE.exec(value);
  if (!m) return undefined;
  // Without a zone, JavaScript would read a date-time as local time: the warehouse's are UTC.
  const text = m[4] !== undefined && m[7] === undefined ? `${value.replace(' ', 'T')}Z` : value.replace(' ', 'T');
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Iterable's date type: `yyyy-MM-dd HH:mm:ss +00:00` (UTC). */
export function iterableDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +00:00`;
}

/** `YYYY-MM-DD` (UTC) of an ISO date or date-time string; undefined when it is not one. */
export function dateOnly(value: unknown): string | undefined {
  const ms = isoMillis(value);
  return ms === undefined ? undefined : new Date(ms).toISOString().slice(0, 10);
}

/** Whole unix seconds of an ISO string or a number of milliseconds. */
export function unixSeconds(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'number' ? value : (isoMillis(value) ?? Date.parse(String(value)));
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

type Convert = (value: unknown) => unknown;

/** `obj` with each top-level value converted (Segment's Customer.io and Braze actions convert the top level only). */
export function convertTopLevel(obj: Record<string, unknown>, convert: Convert): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = convert(v);
  return out;
}

/** `value` with every string converted, through nested objects and arrays (Segment's Iterable action does so). */
export function convertDeep(value: unknown, convert: Convert): unknown {
  if (Array.isArray(value)) return value.map((v) => convertDeep(v, convert));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = convertDeep(v, convert);
    return out;
  }
  return convert(value);
}

/** Iterable: ISO dates and date-times become `yyyy-MM-dd HH:mm:ss +00:00`. */
export const toIterableDate: Convert = (v) => {
  const ms = isoMillis(v);
  return ms === undefined ? v : iterableDate(ms);
};

/** Customer.io: ISO dates and date-times become unix seconds. */
export const toUnixSeconds: Convert = (v) => {
  const ms = isoMillis(v);
  return ms === undefined ? v : Math.floor(ms / 1000);
};

/** Braze: a bare `YYYY-MM-DD` becomes a full ISO 8601 date-time, which Braze types as a time. */
export const toBrazeTime: Convert = (v) => (typeof v === 'string' && v.length === 10 && isoMillis(v) !== undefined ? `${v}T00:00:00.000Z` : v);
