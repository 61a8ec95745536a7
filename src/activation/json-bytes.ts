/**
 * `Buffer.byteLength(JSON.stringify(value))` without building the JSON: delivery measures every
 * event against the 32 KB limit and the destinations' batch byte limits, and serializing each one
 * only to count its bytes (it is serialized again inside its request) cost a string per event.
 * Plain objects, arrays, strings, finite numbers, booleans and null are counted here; anything
 * else (a Date, an object with toJSON, a bigint...) is measured by JSON.stringify itself, so the
 * result is always the length JSON.stringify gives.
 */
export function jsonBytes(value: unknown): number {
  const n = bytesOf(value);
  return n === undefined ? 0 : n;
}

// Printable ASCII but `"` and `\`: JSON writes these characters as they are, one byte each.
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const stringBytes = (s: string): number => (VERBATIM.test(s) ? s.length + 2 : Buffer.byteLength(JSON.stringify(s)));

/** Bytes of `value` in JSON; undefined where JSON.stringify leaves it out (undefined, functions, symbols). */
function bytesOf(value: unknown): number | undefined {
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
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype || 'toJSON' in value) return stringified(value);
        let n = 2 + Math.max(0, value.length - 1);
        for (let i = 0; i < value.length; i++) n += bytesOf(value[i]) ?? 4;
        return n;
      }
      const proto = Object.getPrototypeOf(value);
      if ((proto !== Object.prototype && proto !== null) || 'toJSON' in value) return stringified(value);
      let n = 2;
      let members = 0;
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
        const v = bytesOf((value as Record<string, unknown>)[key]);
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
