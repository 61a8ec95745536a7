import { describe, expect, it } from 'vitest';
import { formatCount } from '../../src/model/count.js';

describe('formatCount', () => {
  it('groups thousands as en-US does', () => {
    for (const n of [0, 7, 999, 1000, 1234, 99999, 100000, 1234567, 1000000000, -1, -1234, -1234567, 12.5, 1234.25]) {
      expect(formatCount(n)).toBe(n.toLocaleString('en-US', { maximumFractionDigits: 20 }));
    }
  });
  it('writes a count that is not there as "-"', () => {
    expect(formatCount(null)).toBe('-');
    expect(formatCount(undefined)).toBe('-');
  });
  it('writes what is not a finite number as it is', () => {
    expect(formatCount(Number.NaN)).toBe('NaN');
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});
