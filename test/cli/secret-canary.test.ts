import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent } from '../../src/dialect/identifiers.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linked, linkedChild, makeProject } from '../plan/cli-project.js';

/*
 * A canary secret for each kind of credential (a bearer header, Segment's write key and
 * Customer.io's site:key, both sent as Basic auth), against destinations that echo every request
 * header back in their answers, whatever the status: refusals, server errors, rejected credentials
 * and successes. Afterwards every output of every command and every row of every table in the
 * warehouse file is searched for the secrets in each form a response could carry them.
 */

const BEARER = 'canary-bearer-4f9e1b77';
const WRITE_KEY = 'canary-writekey-83ad2c';
const SITE_ID = 'site-canary';
const API_KEY = 'canary-apikey-6b10fe\n'; // a trailing newline, as an env file may leave it

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Each secret in every form a response or error could quote it. */
function forms(): string[] {
  const raw = [BEARER, WRITE_KEY, API_KEY.trim()];
  return [
    ...raw,
    ...raw.map(b64),
    ...raw.map(encodeURIComponent),
    b64(`${WRITE_KEY}:`),
    b64(`${SITE_ID}:${API_KEY.trim()}`),
    b64(`${SITE_ID}:${API_KEY}`),
  ];
}

/** How the destination writes its echo: plain JSON, or as other stacks' servers escape it. */
type EchoStyle = 'json' | 'php' | 'python' | 'html' | 'form' | 'terminal';
let style: EchoStyle = 'json';
const htmlEscape = (t: string) => t.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#039;' })[c]!);
function echoed(json: string, headers: http.IncomingHttpHeaders): string {
  switch (style) {
    case 'json':
      return json;
    case 'php': // json_encode: "/" as "\/", non-ASCII as \uXXXX
      return json.replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    case 'python': // json.dumps: non-ASCII as \uXXXX (lower-case hex)
      return json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    case 'html': // an error page quoting the header
      return `<html><body><p>Invalid key: ${htmlEscape(String(headers['x-api-key'] ?? ''))}</p></body></html>`;
    case 'form': // the request logged as a query string
      return `rejected ${new URLSearchParams({ key: String(headers['x-api-key'] ?? '') })}`;
    case 'terminal': // text that steers a terminal: up a line and erase it, rewrite the line, set the clipboard, reverse the text
      return `refused\u001b[1A\u001b[2K\rall delivered\u001b]52;c;ZXZpbA==\u0007 \u202eyek dab\u009b2J`;
  }
}

describe('secret canaries echoed by every destination never reach an output or a state table', () => {
  let server: http.Server;
  let base: string;
  let status = 200;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        // Echo the request, headers included, as a careless API does in its error pages.
        const echo = JSON.stringify({ error: status >= 400 ? 'echoing your request' : undefined, headers: req.headers, url: req.url, body });
        res.writeHead(status, { 'content-type': 'application/json', 'x-echo-authorization': req.headers.authorization ?? '' }).end(echoed(echo, req.headers));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sweeps outputs and every column of every table', async () => {
    const { dir, raw, write } = await makeProject(1);
    raw.audiences[0].enabled = true;
    raw.destinations = [
      { key: 'hook', type: 'webhook', retryBudgetMinutes: 0, settings: { url: `${base}/hook`, headers: { Authorization: { secret: 'CANARY_BEARER' } } } },
      { key: 'seg', type: 'segment', retryBudgetMinutes: 0, settings: { writeKey: { secret: 'CANARY_WRITE_KEY' }, region: 'US', endpoint: `${base}/segment` } },
      { key: 'cio', type: 'customerio', retryBudgetMinutes: 0, settings: { siteId: SITE_ID, apiKey: { secret: 'CANARY_API_KEY' }, accountRegion: 'US', endpoint: `${base}/cio` } },
    ];
    raw.emitters = ['hook', 'seg', 'cio'].map((d) => ({ key: `entered-${d}`, audience: 'aud-0', destination: d, trigger: 'audience_entered', sendForCurrent: true }));
    write(raw);
    const env = { CANARY_BEARER: BEARER, CANARY_WRITE_KEY: WRITE_KEY, CANARY_API_KEY: API_KEY };
    const outputs: string[] = [];
    /** Runs a command with --json, and with `text` as a person reads it too. */
    const run = async (args: string[], text = false) => {
      for (const json of text ? [true, false] : [true]) {
        const r = await linked([...args, '--dir', dir, ...(json ? ['--json'] : [])], env);
        outputs.push(r.stdout, r.stderr);
      }
    };

    await run(['apply', '--auto-approve']);
    await run(['compute', 'aud-0']);
    // Rejected credentials (blocked), refusals (dead letters), server errors past a zero retry
    // budget (dead letters with the last response), then success with the echo in the body.
    for (const s of [401, 400, 500]) {
      status = s;
      await run(['deliver'], s === 500);
    }
    await run(['status'], true);
    await run(['deliveries', '--runs'], true);
    await run(['dead-letters']);
    status = 200;
    await run(['replay', '--all', '--force']);
    await run(['audit']);

    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    const tables = (await wh.query<{ s: string; t: string }>(`SELECT table_schema AS s, table_name AS t FROM information_schema.tables`)).rows;
    const stored: string[] = [];
    let rows = 0;
    try {
      for (const { s, t } of tables) {
        const all = (await wh.query(`SELECT * FROM ${quoteIdent('duckdb', s)}.${quoteIdent('duckdb', t)}`)).rows;
        rows += all.length;
        stored.push(`${s}.${t}: ${JSON.stringify(all, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      }
    } finally {
      await wh.close();
    }
    // The sweep saw the delivery tables and the destinations' answers, or it proves nothing.
    const everything = stored.join('\n');
    expect(tables.map((t) => t.t)).toEqual(expect.arrayContaining(['dead_letters', 'delivery_runs', 'outbox']));
    expect(everything).toContain('echoing your request');
    expect(everything).toContain('(redacted)');
    expect(rows).toBeGreaterThan(20);
    for (const form of forms()) {
      expect(everything.includes(form), `state holds ${JSON.stringify(form)}`).toBe(false);
      for (const o of outputs) expect(o.includes(form), `an output holds ${JSON.stringify(form)}:\n${o}`).toBe(false);
    }
  }, 400_000);

  it('masks a key with "/", "+", "&", quotes and spaces however the destination escapes its echo', async () => {
    const KEY = "canary/k3y+x&\"q\"<t>'s ok";
    const { dir, raw, write } = await makeProject(1);
    raw.audiences[0].enabled = true;
    raw.destinations = [{ key: 'hook', type: 'webhook', retryBudgetMinutes: 0, settings: { url: `${base}/hook`, headers: { 'X-Api-Key': { secret: 'CANARY_ODD_KEY' } } } }];
    raw.emitters = [{ key: 'entered-hook', audience: 'aud-0', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true }];
    write(raw);
    const env = { CANARY_ODD_KEY: KEY };
    const outputs: string[] = [];
    const run = async (args: string[]) => {
      const r = await linked([...args, '--dir', dir, '--json'], env);
      outputs.push(r.stdout, r.stderr);
    };
    await run(['apply', '--auto-approve']);
    await run(['compute', 'aud-0']);
    status = 400;
    try {
      for (const s of ['php', 'python', 'html', 'form', 'terminal'] as const) {
        style = s;
        if (s === 'php') {
          const r = await linked(['run', '--once', '--log-format', 'json', '--dir', dir], env);
          // The controller's JSON log line of the delivery quotes the PHP-escaped echo, masked.
          expect(r.stdout).toMatch(/"msg":"delivery".*"dead_lettered":1.*"x-api-key\\":\\"\(redacted\)/);
          outputs.push(r.stdout, r.stderr);
        } else await run(['replay', '--all', '--force']);
        await run(['dead-letters']);
        // test-event prints the destination's answer as it came, bar the secrets: in a process of its own.
        for (const json of [true, false]) {
          const r = await linkedChild(['test-event', 'entered-hook', '--dir', dir, ...(json ? ['--json'] : [])], env);
          outputs.push(r.stdout, r.stderr);
        }
      }
    } finally {
      style = 'json';
      status = 200;
    }
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    let stored: string;
    try {
      const [{ s }] = (await wh.query<{ s: string }>(`SELECT table_schema AS s FROM information_schema.tables WHERE table_name = 'dead_letters'`)).rows;
      const rows = (await wh.query(`SELECT * FROM ${quoteIdent('duckdb', s!)}.${quoteIdent('duckdb', 'dead_letters')}`)).rows;
      stored = JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    } finally {
      await wh.close();
    }
    expect(outputs.join('\n')).toContain('Destination answered: 400');
    // The controller's JSON log line of the delivery that dead-lettered the PHP-escaped echo.
    // A destination's answer reaches a terminal with nothing in it that steers one, every character still shown.
    const shown = await linkedChild(['dead-letters', '--dir', dir], env);
    expect(shown.stdout).toContain('refused\\u001b[1A\\u001b[2K\\u000dall delivered\\u001b]52;c;ZXZpbA==\\u0007 \\u202eyek dab\\u009b2J');
    expect(shown.stdout).not.toMatch(/[\u001b\u0007\u009b\u202e]|\r(?!\n)/);
    // Each replay replaced the stored answer; `dead-letters --json` printed each one in turn.
    expect(outputs.join('\n')).toContain('Invalid key: (redacted)');
    expect(outputs.join('\n')).toContain('rejected key=(redacted)');
    const fragments = ['canary/k3y', 'canary\\/k3y', 'k3y+x', 'k3y%2Bx', '&quot;q&quot;', '&lt;t&gt;'];
    for (const f of fragments) {
      expect(stored.includes(f), `dead letters hold ${f}`).toBe(false);
      for (const o of outputs) expect(o.includes(f), `an output holds ${f}:\n${o}`).toBe(false);
    }
  }, 300_000);
});
