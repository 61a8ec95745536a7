import { describe, expect, it } from 'vitest';
import { bodyText, classifyError } from '../../src/activation/send/classify.js';
import { createLogger } from '../../src/observe/log.js';
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

  it('as other servers escape it: PHP and Python JSON, an HTML error page, a form or a log of the query', () => {
    const odd = "odd/k3y+x&\"q\"<t>'s ok é";
    resolveSecret({ secret: 'REDACTION_ODD' }, { REDACTION_ODD: odd });
    const echoes = [
      'odd\\/k3y+x&\\"q\\"<t>\'s ok \\u00e9', // PHP json_encode
      'odd/k3y+x&\\"q\\"<t>\'s ok \\u00e9', // Python json.dumps
      'odd/k3y+x&amp;&quot;q&quot;&lt;t&gt;&#x27;s ok é', // Python html.escape
      'odd/k3y+x&amp;&quot;q&quot;&lt;t&gt;&#039;s ok é', // PHP htmlspecialchars
      'odd%2Fk3y%2Bx%26%22q%22%3Ct%3E%27s+ok+%C3%A9', // a form body
      'odd%2fk3y%2bx%26%22q%22%3ct%3e\'s%20ok%20%c3%a9', // lower-case percent-encoding
      Buffer.from(odd).toString('base64url'),
    ];
    for (const echo of echoes) expect(redactSecrets(`{"message":"bad key ${echo}"}`), echo).toBe('{"message":"bad key (redacted)"}');
  });

  it("the daemon's log, text and JSON: the secret masked, then what would steer a terminal escaped; JSON lines stay JSON", () => {
    const lines: string[] = [];
    for (const format of ['text', 'json'] as const) {
      const log = createLogger({ format, write: (l) => lines.push(l), secrets: ['log-s3cret'], now: () => new Date(0) });
      log.line('run failed: Could not convert "\u001b[1A\u001b[2Klog-s3cret\r" to INT');
      log.event('delivery', { error: 'hook: HTTP 400 \u009b2J\u202e', sent: 0 });
    }
    expect(lines.slice(0, 2)).toEqual([
      '1970-01-01T00:00:00.000Z run failed: Could not convert "\\u001b[1A\\u001b[2K(redacted)\\u000d" to INT\n',
      '1970-01-01T00:00:00.000Z delivery error="hook: HTTP 400 \\u009b2J\\u202e" sent=0\n',
    ]);
    expect(JSON.parse(lines[2]!).msg).toBe('run failed: Could not convert "\u001b[1A\u001b[2K(redacted)\r" to INT');
    // JSON escapes ESC and CR itself, not the C1 CSI nor the reversal: written as their JSON escapes, the value the same.
    expect(lines[3]).toBe('{"ts":"1970-01-01T00:00:00.000Z","level":"error","msg":"delivery","error":"hook: HTTP 400 \\u009b2J\\u202e","sent":0}\n');
    expect(JSON.parse(lines[3]!).error).toBe('hook: HTTP 400 \u009b2J\u202e');
  });

  it('leaves text without secrets alone', () => {
    expect(redactSecrets('{"error":"invalid email"}')).toBe('{"error":"invalid email"}');
  });
});
