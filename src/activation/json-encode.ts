/**
 * `Buffer.byteLength(JSON.stringify(value))` without building the JSON: delivery measures every
 * event against the 32 KB limit and the destinations' batch byte limits, and serializing each one
 * only to count its bytes (it is serialized again inside its request) cost a string per event.
 * Plain objects, arrays, strings, finite numbers, booleans and null are counted here; anything
 * else (a Date, an object with toJSON, a bigint...) is measured by JSON.stringify itself, so the
 * result is always the length JSON.stringify gives.
 */
export function jsonBytes(value: unknown, known?: WeakMap<object, number>): number {
  const n = bytesOf(value, known);
  return n === undefined ? 0 : n;
}

// Printable ASCII but `"` and `\`: JSON writes these characters as they are, one byte each.
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Bytes of a string in JSON (UTF-8, quotes included). */
export const stringBytes = (s: string): number => (VERBATIM.test(s) ? s.length + 2 : Buffer.byteLength(JSON.stringify(s)));

/** A string in JSON, as JSON.stringify writes it (most need no escape, and then no call). */
export const jsonString = (s: string): string => (VERBATIM.test(s) ? `"${s}"` : JSON.stringify(s));

/**
 * Bytes of `value` in JSON; undefined where JSON.stringify leaves it out (undefined, functions,
 * symbols). An object in `known` (one shared by many values and never changed) counts as the
 * bytes it is mapped to.
 */
function bytesOf(value: unknown, known?: WeakMap<object, number>): number | undefined {
  switch (typeof value) {
    case 'string':
      return stringBytes(value);
    case 'number':
      return Number.isFinite(value) ? String(value).length : 4;
    case 'boolean':
      return value ? 4 : 5;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object': {
      if (value === null) return 4;
      const measured = known?.get(value);
      if (measured !== undefined) return measured;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype || 'toJSON' in value) return stringified(value);
        let n = 2 + Math.max(0, value.length - 1);
        for (let i = 0; i < value.length; i++) n += bytesOf(value[i], known) ?? 4;
        return n;
      }
      const proto = Object.getPrototypeOf(value);
      if ((proto !== Object.prototype && proto !== null) || 'toJSON' in value) return stringified(value);
      let n = 2;
      let members = 0;
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
        const v = bytesOf((value as Record<string, unknown>)[key], known);
        if (v === undefined) continue;
        n += stringBytes(key) + 1 + v;
        members += 1;
      }
      return n + Math.max(0, members - 1);
    }
    default:
      return stringified(value);
  }
}

function stringified(value: unknown): number | undefined {
  const json = JSON.stringify(value);
  return json === undefined ? undefined : Buffer.byteLength(json);
}

/**
 * `Buffer.from(JSON.stringify(value))` without the whole body as one string: a batch of a thousand
 * events is most of a megabyte, and one string that size (V8 allocates it apart, in fresh pages)
 * plus its copy into a Buffer cost more than serializing it. A top-level array, and the arrays
 * that are members of a top-level object (`{ batch: [...] }`), are written in runs of elements,
 * each run serialized by one JSON.stringify; everything else by JSON.stringify whole. Runs rather
 * than single elements or their members: every string measured and written into the Buffer is a
 * native call, and thousands of them per batch cost more than the one big string they replace.
 * Same bytes as JSON.stringify; undefined when it gives undefined.
 */
export function jsonBuffer(value: unknown): Buffer | undefined {
  const parts: string[] = [];
  if (isPlainArray(value)) arrayParts(value, parts);
  else if (isPlainObject(value)) objectParts(value, parts);
  else {
    const json = JSON.stringify(value);
    if (json === undefined) return undefined;
    parts.push(json);
  }
  return bufferOf(parts);
}

/**
 * `[items...]` as a Buffer, for items already JSON: joined in runs (RUN), each written into the
 * Buffer once, as jsonBuffer writes an array.
 */
export function jsonArrayBuffer(items: readonly string[]): Buffer {
  const parts = ['['];
  for (let i = 0; i < items.length; i += RUN) {
    if (i > 0) parts.push(',');
    parts.push(items.slice(i, i + RUN).join(','));
  }
  parts.push(']');
  return bufferOf(parts);
}

function bufferOf(parts: readonly string[]): Buffer {
  let size = 0;
  for (const p of parts) size += Buffer.byteLength(p);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) at += out.write(p, at);
  return out;
}

/**
 * Elements serialized per run: a run of events of about half a kilobyte each stays a few tens of
 * kilobytes, far below the size V8 allocates apart.
 */
const RUN = 64;

const isPlainArray = (v: unknown): v is unknown[] => Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype && !('toJSON' in v);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && !('toJSON' in v);
}

/** Appends the JSON of an array: `[`, its runs without their brackets, `]`. */
function arrayParts(value: unknown[], out: string[]): void {
  out.push('[');
  for (let i = 0; i < value.length; i += RUN) {
    // A run is an array, so holes and what JSON leaves out of arrays become null as they would.
    const run = JSON.stringify(value.length <= RUN ? value : value.slice(i, i + RUN));
    if (i > 0) out.push(',');
    out.push(run.slice(1, -1));
  }
  out.push(']');
}

/** Appends the JSON of an object, its array members by runs; members JSON leaves out are left out. */
function objectParts(value: Record<string, unknown>, out: string[]): void {
  out.push('{');
  let first = true;
  for (const key of Object.keys(value)) {
    const v = value[key];
    const split = isPlainArray(v);
    const json = split ? '' : JSON.stringify(v);
    if (json === undefined) continue;
    out.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    if (split) arrayParts(v, out);
    else out.push(json);
  }
  out.push('}');
}
