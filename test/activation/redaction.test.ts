import { describe, expect, it } from 'vitest';
import { bodyText, classifyError } from '../../src/activation/send/classify.js';
import { basicAuth, redactSecrets, resolveSecret } from '../../src/secrets.js';

describe('secrets echoed by a destination are masked before they are stored or shown', () => {
  const value = 'canary-9f3a7c1e\n';
  resolveSecret({ secret: 'REDACTION_CANARY' }, { REDACTION_CANARY: value });
  const header = basicAuth('site-1', 'canary-basic-5d2e');

  it('in a response body that reflects the request headers, in every encoding', () => {
    const echoed = {
      headers: { authorization: `Bearer ${value.trim()}`, basic: header, quoted: JSON.stringify(value) },
      url: `https://x.test/?key=${encodeURIComponent(value)}`,
      b64: Buffer.from(value.trim()).toString('base64'),
    };
    const stored = bodyText(echoed);
    expect(stored).not.toContain('canary-9f3a7c1e');
    expect(stored).not.toContain(Buffer.from(value.trim()).toString('base64'));
    expect(stored).not.toContain(header.slice('Basic '.length));
    expect(stored).toContain('(redacted)');
  });

  it('in a transport error that quotes a header value', () => {
    const e = Object.assign(new Error(`Invalid header value: "Bearer ${value}"`), { name: 'TypeError', code: 'ECONNRESET' });
    const outcome = classifyError(e);
    expect(outcome.kind).toBe('retry');
    expect(JSON.stringify(outcome)).not.toContain('canary-9f3a7c1e');
  });

  it('leaves text without secrets alone', () => {
    expect(redactSecrets('{"error":"invalid email"}')).toBe('{"error":"invalid email"}');
  });
});
