import { describe, expect, it } from 'vitest';
import { parseSince } from '../../src/cli/commands/audit.js';
import { parseDuration } from '../../src/cli/terminal.js';

describe('command arguments', () => {
  it('parses --lock-timeout durations and explains a bad one', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(() => parseDuration('soon', '--lock-timeout')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: '--lock-timeout must be a duration such as 30s, 5m or 500ms (got "soon").' }),
    );
  });

  it('parses --since as a date or a span back from now', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-03-03T12:00:00.000Z');
    expect(parseSince('90m', now).toISOString()).toBe('2026-03-10T10:30:00.000Z');
    expect(parseSince('2026-01-31', now).toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(() => parseSince('last week', now)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
