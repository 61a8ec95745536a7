import { describe, expect, it } from 'vitest';
import { parseNow, positiveInt } from '../../src/cli/command-options.js';

describe('positiveInt', () => {
  it('takes a whole number of at least 1', () => {
    expect(positiveInt('2000', '--page-size')).toBe(2000);
    expect(positiveInt(' 7 ', '--concurrency')).toBe(7);
  });

  it.each(['2.5', '10k', '0', '-3', '', 'abc'])('rejects %j, naming the flag', (value) => {
    expect(() => positiveInt(value, '--page-size')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('--page-size') }));
  });
});

describe('parseNow', () => {
  it('takes an ISO-8601 date or timestamp', () => {
    expect(parseNow('2026-02-28').toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(parseNow('2024-02-29T10:30:00Z').toISOString()).toBe('2024-02-29T10:30:00.000Z');
  });

  it('refuses what does not exist in the calendar instead of rolling it over, and what is not ISO-8601', () => {
    expect(() => parseNow('1997-02-30')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('February 1997 has 28 days') }));
    expect(() => parseNow('2026-12-01T24:00')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('not a valid time') }));
    expect(() => parseNow('Dec 1 2026')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('must be an ISO-8601 date or timestamp') }));
  });
});
