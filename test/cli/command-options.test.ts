import { describe, expect, it } from 'vitest';
import { positiveInt } from '../../src/cli/command-options.js';

describe('positiveInt', () => {
  it('takes a whole number of at least 1', () => {
    expect(positiveInt('2000', '--page-size')).toBe(2000);
    expect(positiveInt(' 7 ', '--concurrency')).toBe(7);
  });

  it.each(['2.5', '10k', '0', '-3', '', 'abc'])('rejects %j, naming the flag', (value) => {
    expect(() => positiveInt(value, '--page-size')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('--page-size') }));
  });
});
