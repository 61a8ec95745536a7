import { describe, expect, it } from 'vitest';
import { printableJson } from '../../src/model/printable.js';
import { STEERS } from '../support/terminal-controls.js';

describe('printableJson: the --json text of every command', () => {
  it('writes DEL, the C1 controls and the bidirectional controls as \\uXXXX, in keys and values, and parses to the same value', () => {
    const all = Array.from({ length: 0x2070 }, (_, c) => String.fromCharCode(c)).join('');
    const value = {
      all,
      [`key\u202e\u009b\u007f`]: ['\u2066isolated\u2069', 'a\\\u007fb', '\\u009b stays text', '\r\n', null, 1.5, true],
      nested: { '\u009b2J': { deep: 'ok\u0085' } },
    };
    for (const space of [undefined, 2]) {
      const text = printableJson(value, space);
      expect(text).not.toMatch(STEERS);
      expect(JSON.parse(text)).toEqual(value);
    }
    expect(printableJson({ v: '\u007f\u0080\u009f\u202a\u202e\u2066\u2069' })).toBe('{"v":"\\u007f\\u0080\\u009f\\u202a\\u202e\\u2066\\u2069"}');
    // JSON's own escapes and text that only looks like one are left as they are.
    expect(printableJson({ v: '\u001b\\u007f' })).toBe(JSON.stringify({ v: '\u001b\\u007f' }));
  });
});
