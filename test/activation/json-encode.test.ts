import { describe, expect, it } from 'vitest';
import { eventBytes, type SegmentEvent } from '../../src/activation/build-event.js';
import { jsonBuffer, jsonBytes } from '../../src/activation/json-encode.js';
import { HOSTILE_STRINGS, rng, type Rng } from '../support/generate.js';

const expected = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

const STRINGS = [...HOSTILE_STRINGS, 'line\nbreak', 'tab\there', '\u0000\u001f\u007f', 'lone \ud800 surrogate', '\udc00', '</script>', 'x'.repeat(300)];
const NUMBERS = [0, -0, 1, -1.5, 1e21, 1e-7, 123456789.123, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity];
const ODD = [undefined, () => 1, Symbol('s'), new Date('2026-12-06T04:00:00Z'), new Date(NaN), { toJSON: () => ({ swapped: 'é' }) }, new Map([[1, 2]]), new String('boxed'), Object.create(null)];

function value(r: Rng, depth: number): unknown {
  const kind = r.int(0, depth > 3 ? 4 : 6);
  if (kind === 0) return r.pick(STRINGS);
  if (kind === 1) return r.pick(NUMBERS);
  if (kind === 2) return r.chance(0.5);
  if (kind === 3) return null;
  if (kind === 4) return r.pick(ODD);
  if (kind === 5) return Array.from({ length: r.int(0, 4) }, () => value(r, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = r.int(0, 5); i > 0; i--) out[r.pick(STRINGS)] = value(r, depth + 1);
  return out;
}

describe('jsonBytes counts the UTF-8 bytes of JSON.stringify without building it', () => {
  it('agrees with JSON.stringify on generated values: escapes, non-ASCII, undefined members, Dates, toJSON', () => {
    const r = rng(15);
    for (let i = 0; i < 3000; i++) {
      const v = { root: value(r, 0) };
      expect(jsonBytes(v), JSON.stringify(v)).toBe(expected(v));
    }
  });

  it('agrees on a Segment event as delivery builds it', () => {
    const event = {
      type: 'track',
      event: 'Audience Entered',
      userId: 'u-é😀',
      messageId: '0cc175b9c0f1b6a831c399e269772661',
      timestamp: '2026-12-06T04:00:00.000Z',
      context: { personas: { computation_key: 'vip', namespace: 'prod' }, library: { name: 'linked-audiences', version: '0.1.0' } },
      properties: { audience_key: 'vip', vip: true, email: "o'brien\"@x.test", score: 12.5, accounts: [{ id: 1, __entity: 'accounts', opened: null }] },
      traits: undefined,
    };
    expect(jsonBytes(event)).toBe(expected(event));
  });

  it('eventBytes measures a shared context once and agrees on every event that carries it', () => {
    const context = { personas: { computation_key: 'vip', namespace: 'prøduction "eu"' }, library: { name: 'linked-audiences', version: '0.1.0' } } as SegmentEvent['context'];
    const events: SegmentEvent[] = ['u1', 'ü-😀'].map((userId, i) => ({
      type: 'track',
      event: 'Audience Entered',
      userId,
      messageId: String(i),
      timestamp: '2026-12-06T04:00:00.000Z',
      receivedAt: '2026-12-06T04:00:00.000Z',
      originalTimestamp: '2026-12-06T04:00:00.000Z',
      context,
      properties: { audience_key: 'vip', vip: true, nested: { context } },
    }));
    for (const e of events) expect(eventBytes(e)).toBe(expected(e));
    // An object mapped in `known` counts as its mapped size, wherever it appears.
    const known = new WeakMap<object, number>([[context, 7]]);
    expect(jsonBytes({ a: context, b: [context] }, known)).toBe(Buffer.byteLength('{"a":,"b":[]}') + 14);
  });

  it('counts an array with holes and extra members as JSON does', () => {
    const a: unknown[] = [1, , 3]; // eslint-disable-line no-sparse-arrays
    (a as unknown as Record<string, unknown>).extra = 'ignored';
    expect(jsonBytes(a)).toBe(expected(a));
  });
});

describe('jsonBuffer writes the bytes of JSON.stringify in runs of elements', () => {
  it('agrees with JSON.stringify on generated bodies: arrays of events, { batch: [...] }, odd members', () => {
    const r = rng(16);
    for (let i = 0; i < 3000; i++) {
      const v = r.pick([value(r, 0), Array.from({ length: r.int(0, 5) }, () => value(r, 1)), { batch: Array.from({ length: r.int(0, 5) }, () => value(r, 1)), n: value(r, 1) }]);
      const json = JSON.stringify(v);
      const out = jsonBuffer(v);
      if (json === undefined) expect(out).toBeUndefined();
      else expect(out?.toString('utf8'), json).toBe(json);
    }
  });

  it('leaves out what JSON.stringify leaves out and writes null where it does', () => {
    const v = { a: undefined, f: () => 1, s: Symbol('x'), list: [undefined, () => 1, 'é😀'], d: new Date(0), j: { toJSON: () => undefined } };
    expect(jsonBuffer(v)?.toString('utf8')).toBe(JSON.stringify(v));
    expect(jsonBuffer(undefined)).toBeUndefined();
  });

  it('agrees on arrays longer than one run, with holes and left-out elements across the runs', () => {
    const r = rng(17);
    for (const length of [63, 64, 65, 128, 1000]) {
      const list: unknown[] = Array.from({ length }, () => value(r, 1));
      delete list[length - 1];
      list[64] = undefined;
      for (const v of [list, { batch: list, n: 1 }]) expect(jsonBuffer(v)?.toString('utf8')).toBe(JSON.stringify(v));
    }
  });
});
