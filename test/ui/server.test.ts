import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { migrateState } from '../../src/state/migrate.js';
import { MIGRATIONS } from '../../src/state/migrations/index.js';
import { findDeliveries } from '../../src/activation/inspect.js';
import { LIST_LIMIT } from '../../src/ui/data.js';
import { createUiHandler, dashboardToken, startUiServer } from '../../src/ui/server.js';
import { projectSource, readOnly } from '../../src/ui/source.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linkedInProcess } from '../support/linked-cli.js';
import { CANARIES, HOSTILE_DESCRIPTION, makeBankProject, SCHEMA as SCHEMA_NAME, type BankProject } from './bank-project.js';

/*
 * `linked ui` as a user starts it: a real child process over the bank example's state, fetched
 * over HTTP. The child's environment holds no secret of the stack: what the pages show comes from
 * the state alone, so a canary found in a page would be a leak of the state, not of the process.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/linked.js');
const TOKEN = 'ui-token-canary-3d9f61a2b7c4';
let project: BankProject;
const children: ChildProcess[] = [];

interface Served {
  base: string;
  output: () => string;
  child: ChildProcess;
}

/** Starts `linked ui … --json` and resolves with its URL once it listens. */
function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in CANARIES)));
  const child = spawn(process.execPath, [BIN, 'ui', '--dir', project.dir, '--port', '0', '--json', ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      try {
        resolve({ base: (JSON.parse(out) as { url: string }).url.replace(/\/$/, ''), output: () => out + err, child });
      } catch {
        /* not the whole object yet */
      }
    });
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error(`linked ui exited (${code}): ${out}${err}`)));
  });
}

/** A GET with exactly the headers given (fetch sets Host and Sec-Fetch-* itself, as a browser's own would not be). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject).end();
  });
}

/** A route's shape: `/runs/:id`, `/deliveries?emitter`: the crawl follows two links of each. */
const shape = (path: string) => path.replace(/^\/api/, '').replace(/\/(audiences|runs|trace)\/[^/?]+/, '/$1/:id').replace(/=[^&]*/g, '');

/** The pages reachable from the sections by links (two of each shape), and the JSON twin of each. */
async function crawl(base: string, headers: Record<string, string> = {}): Promise<Map<string, { status: number; body: string; type: string }>> {
  const seen = new Map<string, { status: number; body: string; type: string }>();
  const shapes = new Map<string, number>();
  const queue = ['/audiences', '/runs', '/deliveries', '/audit', '/graph', '/assets/ui.css'];
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    const res = await fetch(base + path, { headers });
    const body = await res.text();
    seen.set(path, { status: res.status, body, type: res.headers.get('content-type') ?? '' });
    if (!path.startsWith('/api/') && !path.startsWith('/assets/')) queue.push(`/api${path}`);
    for (const m of body.matchAll(/href="(\/[^"#]*)/g)) {
      const link = m[1]!.replace(/&amp;/g, '&');
      const k = shape(link);
      if (seen.has(link) || queue.includes(link) || (shapes.get(k) ?? 0) >= 2) continue;
      shapes.set(k, (shapes.get(k) ?? 0) + 1);
      queue.push(link);
    }
  }
  return seen;
}

let open: Served;
let guarded: Served;
/** The open server's pages, crawled once. */
let pages: Awaited<ReturnType<typeof crawl>>;

beforeAll(async () => {
  project = await makeBankProject();
  [open, guarded] = await Promise.all([serve([]), serve(['--ui-token-secret', 'LINKED_UI_TOKEN'], { LINKED_UI_TOKEN: TOKEN })]);
  pages = await crawl(open.base);
}, 180_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await project?.close();
});

describe('linked ui: pages over HTTP', () => {
  it('answers every page and its JSON twin, with the security headers; / goes to the audiences', async () => {
    const paths = [...pages.keys()];
    expect(paths).toEqual(expect.arrayContaining(['/audiences', '/runs', '/deliveries', '/audit', '/graph', '/api/audiences', '/api/deliveries', '/api/graph']));
    for (const re of [/^\/audiences\/[a-z-]+$/, /^\/api\/audiences\/[a-z-]+$/, /^\/runs\/[0-9a-f-]{36}$/, /^\/api\/runs\/[0-9a-f-]{36}$/, /^\/deliveries\?emitter=/]) {
      expect(paths.some((p) => re.test(p)), String(re)).toBe(true);
    }
    for (const [path, page] of pages) {
      expect(page.status, path).toBe(200);
      expect(page.type, path).toMatch(path.startsWith('/api/') ? /^application\/json/ : path.endsWith('.css') ? /^text\/css/ : /^text\/html/);
      if (path.startsWith('/api/')) expect(() => JSON.parse(page.body), path).not.toThrow();
    }
    const res = await fetch(`${open.base}/audiences`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const root = await fetch(`${open.base}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/audiences']);
  });

  it('the JSON API carries the numbers of the CLI\'s --json', async () => {
    const api = (await (await fetch(`${open.base}/api/audiences`)).json()) as { audiences: { audience: string; size: number | null; status: string }[] };
    const cli = await linkedInProcess(['status', '--json', '--dir', project.dir]);
    expect(cli.status, cli.stderr).toBe(0);
    const status = JSON.parse(cli.stdout) as { audiences: { audience: string; size: number | null; status: string }[] };
    const pick = (xs: { audience: string; size: number | null; status: string }[]) => xs.map((a) => [a.audience, a.status, a.size]);
    expect(pick(api.audiences)).toEqual(pick(status.audiences));
    expect(api.audiences.some((a) => (a.size ?? 0) > 0)).toBe(true);
  }, 120_000);

  it('a list cut at its limit says so, as a page and as JSON; a list that fits does not', async () => {
    const wh = await openDuckDb(join(project.dir, 'bank.duckdb'), { readOnly: true });
    const sent = await findDeliveries(wh, SCHEMA_NAME, { limit: 100_000 }).finally(() => wh.close());
    expect(sent.length).toBeGreaterThan(2);
    expect(sent.length).toBeLessThan(LIST_LIMIT);
    // At the default limit every list of the bank project fits: no note.
    for (const path of ['/runs', '/audit', '/deliveries']) {
      const json = (await (await fetch(`${open.base}/api${path}`)).json()) as { more: boolean | Record<string, boolean> };
      expect(json.more, path).toEqual(path === '/deliveries' ? { runs: false, deadLetters: false, records: false } : false);
      expect(await (await fetch(open.base + path)).text(), path).not.toContain('Showing only the newest');
    }
    // One row a list: each list is cut, shows the newest, and says so next to it.
    const server = await startUiServer({ host: '127.0.0.1', port: 0 }, createUiHandler(projectSource(project.desired, project.dir), { listLimit: 1 }));
    const url = `http://127.0.0.1:${server.address.port}`;
    try {
      const api = (await (await fetch(`${url}/api/deliveries`)).json()) as { records: { messageId: string }[]; more: { records: boolean } };
      expect(api.records.map((r) => r.messageId)).toEqual(sent.slice(0, 1).map((r) => r.messageId));
      expect(api.more.records).toBe(true);
      const page = await (await fetch(`${url}/deliveries`)).text();
      expect(page).toMatch(/<h2 id="sent">[\s\S]*Showing only the newest 1; older ones are left out\. Search by emitter[\s\S]*<h2 id="dead-letters">/);
      for (const path of ['/runs', '/audit']) {
        expect(((await (await fetch(`${url}/api${path}`)).json()) as { more: boolean }).more, path).toBe(true);
        expect(await (await fetch(url + path)).text(), path).toContain('Showing only the newest 1;');
      }
      // A search narrow enough to fit: no note.
      const user = sent.find((r) => sent.filter((x) => x.userId === r.userId).length === 1)!.userId;
      const one = (await (await fetch(`${url}/api/deliveries?user=${encodeURIComponent(user)}`)).json()) as { records: unknown[]; more: { records: boolean } };
      expect([one.records.length, one.more.records]).toEqual([1, false]);
    } finally {
      await server.close();
    }
  });

  it("a run's page lists the delivery passes that delivered its events, not the passes after it that delivered later runs'", async () => {
    // What each pass delivered, from the delivery record: outbox rows (sent or dead-lettered) by their run, backfill events by the run they were copied from.
    const wh = await openDuckDb(join(project.dir, 'bank.duckdb'), { readOnly: true });
    const s = SCHEMA_NAME;
    const delivered = await wh
      .query<{ run: string; pass: string }>(
        `SELECT DISTINCT o.run_id AS run, l.run_id || ' ' || l.emitter_key AS pass FROM ${s}.delivery_log l JOIN ${s}.outbox o ON l.source = 'outbox' AND o.id = l.source_id
         UNION SELECT compute_run_id, run_id || ' ' || emitter_key FROM ${s}.delivery_events WHERE source = 'backfill'`,
      )
      .finally(() => wh.close());
    const passesOf = (run: string) => delivered.rows.filter((r) => r.run === run).map((r) => r.pass).sort();

    const { runs } = (await (await fetch(`${open.base}/api/runs`)).json()) as { runs: { id: string; audienceKey: string; startedAt: string }[] };
    const listed = new Map<string, { runId: string; emitterKey: string; startedAt: string }[]>();
    for (const run of runs) {
      const res = await fetch(`${open.base}/api/runs/${run.id}`);
      listed.set(run.id, ((await res.json()) as { deliveries: { runId: string; emitterKey: string; startedAt: string }[] }).deliveries);
      expect(listed.get(run.id)!.map((d) => `${d.runId} ${d.emitterKey}`).sort(), run.id).toEqual(passesOf(run.id));
    }
    // Each round of computes was delivered before the next started: no page lists a pass of a later round.
    for (const audience of new Set(runs.map((r) => r.audienceKey))) {
      const oldestFirst = runs.filter((r) => r.audienceKey === audience).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
      for (const [i, run] of oldestFirst.slice(0, -1).entries()) {
        for (const d of listed.get(run.id)!) expect(d.startedAt < oldestFirst[i + 1]!.startedAt, `${d.runId} on ${run.id}`).toBe(true);
      }
    }
    const withPasses = runs.filter((r) => listed.get(r.id)!.length > 0);
    expect(withPasses.length, 'runs whose events were delivered').toBeGreaterThanOrEqual(3);
    expect(runs.length - withPasses.length, 'runs none of whose events were delivered (baselines)').toBeGreaterThan(0);
    const page = await (await fetch(`${open.base}/runs/${withPasses[0]!.id}`)).text();
    expect(page).toContain('Delivery passes that sent or dead-lettered the events of this run');
  });

  it('unknown paths, audiences and runs answer 404, as a page or as JSON', async () => {
    for (const path of ['/nope', '/audiences/no-such-audience', '/runs/00000000-0000-0000-0000-000000000000', '/audiences/a/b', '/api/nope', '/audiences/%E0%A4%A']) {
      const res = await fetch(open.base + path);
      expect(res.status, path).toBe(404);
    }
    const api = await fetch(`${open.base}/api/audiences/no-such-audience`);
    expect(await api.json()).toEqual({ error: { status: 404, message: 'No applied audience no-such-audience.' } });
    // The runs form with a mistyped key says the key names no audience, beside the form, not "no runs".
    const typo = await fetch(`${open.base}/runs?audience=overdue-card`);
    expect(typo.status).toBe(404);
    const body = await typo.text();
    expect(body).toMatch(/<form class="filter" method="get" action="\/runs"[\s\S]*value="overdue-card"[\s\S]*<p class="error" role="alert">\[AUDIENCE_NOT_APPLIED\] Audience overdue-card is not applied and has no recorded run\. Did you mean &quot;overdue-cards&quot;\?/);
    const typoApi = await fetch(`${open.base}/api/runs?audience=overdue-card`);
    expect([typoApi.status, ((await typoApi.json()) as { error: { message: string } }).error.message]).toEqual([404, expect.stringContaining('[AUDIENCE_NOT_APPLIED] Audience overdue-card is not applied')]);
    // So does the deliveries search with an emitter that is not applied and delivered nothing.
    const emitter = await fetch(`${open.base}/deliveries?emitter=travel-entred`);
    expect(emitter.status).toBe(404);
    expect(await emitter.text()).toMatch(/action="\/deliveries"[\s\S]*value="travel-entred"[\s\S]*<p class="error" role="alert">\[EMITTER_NOT_FOUND\] No event emitter &quot;travel-entred&quot; \(emitters: [^)]*travel-entered/);
    const emitterApi = await fetch(`${open.base}/api/deliveries?emitter=travel-entred`);
    expect(emitterApi.status).toBe(404);
    expect((await fetch(`${open.base}/deliveries?emitter=travel-entered`)).status).toBe(200);
    // An applied audience that has not run yet is no error.
    const never = await fetch(`${open.base}/runs?audience=vip-upsell`);
    expect([never.status, await never.text()]).toEqual([200, expect.stringContaining('No runs of vip-upsell.')]);
  });

  it('refuses every write with 405 and changes nothing', async () => {
    const before = await (await fetch(`${open.base}/api/audit`)).text();
    for (const path of ['/audiences', '/audiences/overdue-cards', '/api/audiences', '/api/runs', '/deliveries', '/audit', '/graph', '/']) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const res = await fetch(open.base + path, { method, body: method === 'DELETE' ? undefined : '{}' });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get('allow')).toBe('GET, HEAD');
        // The API answers its refusals as it answers every error: the error object, in JSON.
        if (path.startsWith('/api/')) expect(await res.json()).toEqual({ error: { status: 405, message: 'The dashboard is read-only: changes go through git, plan and apply.' } });
        else expect(await res.text()).toMatch(/^The dashboard is read-only/);
      }
    }
    expect(await (await fetch(`${open.base}/api/audit`)).text()).toBe(before);
  });

  it('answers only to a loopback Host without a token: a rebound DNS name cannot read it', async () => {
    /** A GET with the Host header a browser sends for the name it resolved (fetch may not set Host). */
    const get = (path: string, host: string, base = open.base, headers: Record<string, string> = {}) => rawGet(base + path, { ...headers, host });
    const port = new URL(open.base).port;
    for (const host of [`attacker.example:${port}`, 'attacker.example', `127.0.0.1.nip.io:${port}`, `localhost.attacker.example:${port}`]) {
      for (const path of ['/audiences', '/api/deliveries', '/why?audience=overdue-cards&user=u1']) {
        const res = await get(path, host);
        expect(res.status, `${host} ${path}`).toBe(421);
        expect(res.body).not.toContain('overdue');
        expect(res.body).toContain('loopback name');
      }
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`, `app.localhost:${port}`]) {
      expect((await get('/api/audiences', host)).status, host).toBe(200);
    }
    // With a token the name does not matter: a rebound page cannot send the header.
    const viaName = await get('/api/audiences', `dashboard.example:${new URL(guarded.base).port}`, guarded.base, { authorization: `Bearer ${TOKEN}` });
    expect(viaName.status).toBe(200);
  });

  it("refuses what a page of another site makes the browser ask for, before reading anything; curl, the dashboard's own pages and a link followed still work", async () => {
    let reads = 0;
    const source = projectSource(project.desired, project.dir);
    const counted = { ...source, secrets: () => source.secrets(), read: <T>(fn: Parameters<typeof source.read<T>>[0]) => ((reads += 1), source.read(fn)) };
    const server = await startUiServer({ host: '127.0.0.1', port: 0 }, createUiHandler(counted));
    const base = `http://127.0.0.1:${server.address.port}`;
    const fetchMeta = (site: string, mode: string, dest: string) => ({ 'sec-fetch-site': site, 'sec-fetch-mode': mode, 'sec-fetch-dest': dest });
    try {
      const refused: [string, Record<string, string>][] = [
        ['an image of another site', fetchMeta('cross-site', 'no-cors', 'image')],
        ["another site's script, fetch()", fetchMeta('cross-site', 'cors', 'empty')],
        ['a frame of another site', fetchMeta('cross-site', 'navigate', 'iframe')],
        ['a page of the same site on another port', fetchMeta('same-site', 'no-cors', 'empty')],
        ['an older browser, by its Origin', { origin: 'http://attacker.example' }],
        ['a sandboxed frame', { origin: 'null' }],
      ];
      for (const [who, headers] of refused) {
        for (const path of ['/why?audience=travel-spenders&user=u_00000013', '/api/why?audience=travel-spenders&user=u_00000013', '/api/trace/abc', '/deliveries?user=u_00000013']) {
          const res = await rawGet(base + path, headers);
          expect(res.status, `${who} ${path}`).toBe(403);
          expect(res.body).toContain('a page of another site asked for this');
          if (path.startsWith('/api/')) expect(JSON.parse(res.body).error.status).toBe(403);
        }
      }
      expect(reads).toBe(0);
      const allowed: [string, Record<string, string>][] = [
        ['curl', {}],
        ['the address typed in', fetchMeta('none', 'navigate', 'document')],
        ["the dashboard's own page", fetchMeta('same-origin', 'navigate', 'document')],
        ["the dashboard's own stylesheet", fetchMeta('same-origin', 'no-cors', 'style')],
        ['a link followed from another site', fetchMeta('cross-site', 'navigate', 'document')],
        ['an older browser on the same origin', { origin: base }],
      ];
      for (const [who, headers] of allowed) expect((await rawGet(`${base}/why?audience=travel-spenders&user=u_00000013`, headers)).status, who).toBe(200);
      expect(reads).toBe(allowed.length);
    } finally {
      await server.close();
    }
  });

  it('escapes hostile names: a name with markup shows as text', async () => {
    for (const path of ['/audiences', '/audiences/travel-spenders']) {
      const body = await (await fetch(open.base + path)).text();
      expect(body, path).not.toContain('<script>alert');
      expect(body, path).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;spenders&quot;');
    }
    const one = await (await fetch(`${open.base}/audiences/travel-spenders`)).text();
    expect(one).not.toContain(HOSTILE_DESCRIPTION);
    expect(one).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(await (await fetch(`${open.base}/audiences?q=${encodeURIComponent('"><b>q')}`)).text()).toContain('value="&quot;&gt;&lt;b&gt;q"');
  });

  it('shows no secret in any page or API response (the stored refusals echoed one)', async () => {
    const deliveries = pages.get('/deliveries')!.body;
    expect(deliveries).toContain('unknown contact');
    expect(deliveries).toContain('(redacted)');
    for (const [path, page] of pages) for (const canary of Object.values(CANARIES)) expect(page.body.includes(canary), `${canary} in ${path}`).toBe(false);
  });

  it('reads without the write lock: pages answer while another process holds the file read-only', async () => {
    const held = await openDuckDb(join(project.dir, 'bank.duckdb'), { readOnly: true });
    try {
      const res = await fetch(`${open.base}/audiences/overdue-cards`);
      expect(res.status).toBe(200);
    } finally {
      await held.close();
    }
  });

  it('the read-only warehouse refuses writes and transactions', async () => {
    const wh = await openDuckDb(':memory:');
    try {
      const ro = readOnly(wh);
      await expect(ro.query('CREATE TABLE t (x INTEGER)')).rejects.toThrow(/read-only/);
      await expect(ro.transaction(async () => 1)).rejects.toThrow(/read-only/);
      expect((await ro.query<{ x: number }>('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
    } finally {
      await wh.close();
    }
  });
});

describe('linked ui --ui-token-secret', () => {
  it('asks for the bearer token on every path and never prints it', async () => {
    for (const path of ['/audiences', '/api/audiences', '/assets/ui.css', '/']) {
      const none = await fetch(guarded.base + path);
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="linked"');
      if (path.startsWith('/api/')) expect(await none.json()).toEqual({ error: { status: 401, message: 'A bearer token is required: send Authorization: Bearer <token>.' } });
      else expect([none.headers.get('content-type'), await none.text()]).toEqual(['text/plain; charset=utf-8', 'A bearer token is required: send Authorization: Bearer <token>.\n']);
      // Same length, shorter, longer: each refused (compared as digests, so no length shows in the timing).
      for (const wrong of [`${TOKEN.slice(0, -1)}x`, TOKEN.slice(0, -4), `${TOKEN}extra`]) {
        expect((await fetch(guarded.base + path, { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
      }
    }
    for (const path of ['/audiences', '/audiences/travel-spenders', '/deliveries', '/audit', '/api/audiences', '/api/deliveries']) {
      const res = await fetch(guarded.base + path, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status, path).toBe(200);
      expect((await res.text()).includes(TOKEN), path).toBe(false);
    }
    expect(guarded.output()).not.toContain(TOKEN);
    expect(JSON.parse(guarded.output())).toMatchObject({ tokenRequired: true });
  }, 120_000);

  it('refuses to listen beyond this machine without a token, and a missing or short token', async () => {
    const exposed = await linkedInProcess(['ui', '--dir', project.dir, '--host', '0.0.0.0', '--port', '0']);
    expect(exposed.status).toBe(1);
    expect(exposed.stderr).toContain('--ui-token-secret LINKED_UI_TOKEN');
    expect(() => dashboardToken('0.0.0.0', undefined, {})).toThrow(/reachable beyond this machine/);
    expect(() => dashboardToken('::1', undefined, {})).not.toThrow();
    expect(() => dashboardToken('127.0.0.1', 'NOT_SET_ANYWHERE_UI', {})).toThrow('The secret NOT_SET_ANYWHERE_UI is not set');
    expect(() => dashboardToken('127.0.0.1', 'SHORT', { SHORT: 'abc' })).toThrow(/too short/);
    expect(() => dashboardToken('127.0.0.1', 'not a name', {})).toThrow(/name of an environment variable/);
    expect(dashboardToken('0.0.0.0', 'GOOD', { GOOD: TOKEN })).toBe(TOKEN);
  }, 120_000);
});

describe('linked run --listen … --ui', () => {
  it('serves the dashboard next to /healthz and /metrics, read-only', async () => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in CANARIES)));
    const child = spawn(process.execPath, [BIN, 'run', '--dir', project.dir, '--listen', '127.0.0.1:0', '--ui', '--no-deliver', '--tick-seconds', '30'], {
      env: clean,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /and the dashboard on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`linked run exited (${code}): ${out}`)));
    });
    expect(await (await fetch(`${base}/healthz`)).text()).toMatch(/^(ok|not ok): /);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('# TYPE');
    const page = await fetch(`${base}/audiences/overdue-cards`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Cards with an overdue balance');
    const api = (await (await fetch(`${base}/api/audiences`)).json()) as { audiences: unknown[] };
    expect(api.audiences).toHaveLength(4);
    expect((await fetch(`${base}/audiences`, { method: 'POST' })).status).toBe(405);
    // A page of another site is refused the dashboard here too; the scrapes, which cost no query, are not.
    const image = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' };
    expect((await rawGet(`${base}/audiences/overdue-cards`, image)).status).toBe(403);
    expect((await rawGet(`${base}/metrics`, image)).status).toBe(200);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    const refused = await linkedInProcess(['run', '--dir', project.dir, '--ui', '--once']);
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringContaining('--ui serves the dashboard on the --listen address')]);
  }, 150_000);

});

describe('linked ui on a state it cannot read', () => {
  it('answers 503 with what to do when the state is missing or older than the code, and does not create or migrate it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'linked-ui-empty-'));
    const file = join(dir, 'bank.duckdb');
    const setup = await openDuckDb(file);
    await setup.query('CREATE TABLE main.profiles (user_id VARCHAR)');
    await setup.close();
    const server = await startUiServer({ host: '127.0.0.1', port: 0 }, createUiHandler(projectSource(project.desired, dir)));
    const url = `http://127.0.0.1:${server.address.port}`;
    try {
      const missing = await fetch(`${url}/api/audiences`);
      expect(missing.status).toBe(503);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('There is no state in schema LINKED_AUDIENCES yet: apply the stack first');
      const older = MIGRATIONS.at(-1)!.version - 1;
      const wh = await openDuckDb(file);
      await migrateState(wh, SCHEMA_NAME, { upTo: older }).finally(() => wh.close());
      const page = await fetch(`${url}/audiences`);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain(`is at version ${older} and this linked reads version ${older + 1}`);
      const after = await openDuckDb(file, { readOnly: true });
      const { rows } = await after.query<{ v: number }>('SELECT MAX(version) AS v FROM "LINKED_AUDIENCES".schema_version').finally(() => after.close());
      expect(rows[0]!.v).toBe(older);
    } finally {
      await server.close();
    }
  });
});
