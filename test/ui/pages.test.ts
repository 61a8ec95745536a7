import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeliveries } from '../../src/activation/inspect.js';
import { readAppliedModel } from '../../src/compute/applied.js';
import { statusView } from '../../src/compute/format.js';
import { readRuns, readStatuses } from '../../src/compute/status.js';
import { traceEvent, type Trace } from '../../src/trace/trace.js';
import { createUiHandler, startUiServer, type UiServer } from '../../src/ui/server.js';
import { projectSource } from '../../src/ui/source.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { WhyEntityRows, WhyNode, WhyRowNode } from '../../src/why/explain.js';
import { whyProfile, type WhyResult } from '../../src/why/why.js';
import { HOSTILE_NAME, HOSTILE_RESPONSE, SCHEMA, type BankProject } from './bank-project.js';
import { openDashboard, type Dashboard } from './dashboard.js';

/*
 * The dashboard in a real headless Chromium (Debian's chromium, driven by puppeteer-core) over the
 * bank example after a few runs and deliveries: every section renders without a console error or
 * a failed request, the numbers are the state's, and a reader clicks from the audiences to an
 * audience, one of its runs, and its deliveries; from a sent event on the deliveries page to its
 * trace, and from an audience's page to the explanation of a profile, and those pages say what
 * `traceEvent` and `whyProfile` (what `linked trace` / `linked why` print) say. One browser and one
 * served project for all: starting them is most of what a test here costs. Screenshots land in
 * .tmp/ui-screenshots/.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const SHOTS = join(ROOT, '.tmp', 'ui-screenshots');
let project: BankProject;
let server: UiServer;
let browser: Browser;
let base: string;

interface Problems {
  list: string[];
}

/** A page that records console errors and warnings, script errors, failed requests, answers >= 400 and dialogs. */
async function newPage(): Promise<{ page: Page; problems: Problems }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const problems: Problems = { list: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.list.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.list.push(`page error: ${String(e)}`));
  page.on('requestfailed', (r) => problems.list.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.list.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('dialog', (d) => {
    problems.list.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return { page, problems };
}

const texts = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));

/** Clicks the link whose text is `text` inside `scope` and waits for the next page. */
async function follow(page: Page, scope: string, text: string): Promise<void> {
  const links = await page.$$(`${scope} a`);
  for (const link of links) {
    if ((await link.evaluate((a) => (a.textContent ?? '').trim())) !== text) continue;
    await Promise.all([page.waitForNavigation(), link.click()]);
    return;
  }
  throw new Error(`no link "${text}" in ${scope} of ${page.url()}`);
}

/** What the library says, read from the project's warehouse as the CLI would. */
async function withWarehouse<T>(fn: (wh: Awaited<ReturnType<typeof openDuckDb>>) => Promise<T>): Promise<T> {
  const wh = await openDuckDb(join(project.dir, 'bank.duckdb'), { readOnly: true });
  try {
    return await fn(wh);
  } finally {
    await wh.close();
  }
}

/** The explained tree as the page lists it: verdict, label and what decided it, in pre-order. */
const lineOf = (n: WhyNode | WhyRowNode) => `${n.held ? '✓' : '✗'} ${n.label}${n.decidedBy ? ` [${n.decidedBy}]` : ''}`;
/** The related rows under an entity node: each row's line and its filter's, then how many more. */
const rowLines = (r: WhyEntityRows): string[] => [
  ...r.shown.flatMap((row) => [`${row.matched ? '✓' : '✗'} ${r.relationship} ${row.key} [${row.matched ? 'counts' : 'does not count'}]`, ...rowTreeLines(row.where)]),
  ...(r.more > 0 ? [` … ${r.more} more ${r.relationship} not shown`] : []),
];
const rowTreeLines = (n: WhyRowNode): string[] => [lineOf(n), ...(n.rows ? rowLines(n.rows) : []), ...n.children.flatMap(rowTreeLines)];
const treeLines = (n: WhyNode): string[] => [lineOf(n), ...(n.rows ? rowLines(n.rows) : []), ...n.children.flatMap(treeLines)];

let dashboard: Dashboard | undefined;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dashboard = await openDashboard();
  ({ project, server, base, browser } = dashboard);
}, 180_000);

afterAll(async () => {
  await dashboard?.close();
});

describe('the dashboard in Chromium', () => {
  it('renders every section with no console error, failed request or dialog', async () => {
    const { page, problems } = await newPage();
    const sections = [
      ['/audiences', 'Audiences'],
      ['/runs', 'Runs'],
      ['/deliveries', 'Deliveries'],
      ['/audit', 'Audit'],
      ['/graph', 'Data Graph'],
    ] as const;
    for (const [path, heading] of sections) {
      const res = await page.goto(base + path);
      expect(res?.status(), path).toBe(200);
      expect((await texts(page, 'h1'))[0], path).toContain(heading);
      expect(await texts(page, 'nav a[aria-current="page"]'), path).toEqual([heading]);
      // The stylesheet applied: the header is dark, so its text is white on it.
      expect(await page.$eval('header', (h) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(h).backgroundColor)).toBe('rgb(13, 42, 87)');
      await page.screenshot({ path: join(SHOTS, `${path.slice(1)}.png`), fullPage: true });
    }
    expect(problems.list).toEqual([]);
    await page.close();
  }, 120_000);

  it('fits a phone\'s screen: every section reachable, wide tables scroll in their own box', async () => {
    const { page, problems } = await newPage();
    await page.setViewport({ width: 375, height: 800 });
    const [sent] = await withWarehouse((wh) => findDeliveries(wh, SCHEMA, { emitter: 'travel-entered', limit: 1 }));
    const paths = ['/audiences', '/audiences/travel-spenders', '/runs', '/deliveries', '/audit', '/graph', `/trace/${sent!.messageId}`];
    for (const path of paths) {
      await page.goto(base + path);
      // The page itself never scrolls sideways: only a table's box, or a figure, may.
      const width = await page.evaluate(() => {
        const d = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number };
        return { page: d.document.documentElement.scrollWidth, screen: d.innerWidth };
      });
      expect(width.page, path).toBeLessThanOrEqual(width.screen);
      const nav = await page.$$eval('nav a', (as) => as.map((a) => a.getBoundingClientRect().right));
      for (const right of nav) expect(right, `${path}: a section link off screen`).toBeLessThanOrEqual(width.screen);
      // A box that scrolls takes focus, so a keyboard can scroll it, and says which table it holds.
      const boxes = await page.$$eval('main table', (ts) => ts.map((t) => ({ tabindex: t.parentElement!.getAttribute('tabindex'), label: t.parentElement!.getAttribute('aria-label'), caption: t.querySelector('caption')?.textContent })));
      for (const b of boxes) expect(b, path).toEqual({ tabindex: '0', label: b.caption, caption: b.caption });
      // A caption starts on screen, and a status reads on one line.
      const captions = await page.$$eval('main table caption', (cs) =>
        cs.map((c) => {
          const range = (globalThis as unknown as { document: { createRange(): { selectNodeContents(n: unknown): void; getBoundingClientRect(): { left: number } } } }).document.createRange();
          range.selectNodeContents(c);
          return { text: c.textContent, indent: range.getBoundingClientRect().left - c.parentElement!.getBoundingClientRect().left };
        }),
      );
      for (const c of captions) expect(c.indent, `${path}: caption ${c.text}`).toBeLessThan(20);
      const badges = await page.$$eval('main .status', (bs) => bs.map((b) => ({ text: b.textContent, lines: b.getClientRects().length, height: b.getBoundingClientRect().height })));
      for (const b of badges) expect(b.height, `${path}: status ${b.text}`).toBeLessThan(30);
    }
    await page.screenshot({ path: join(SHOTS, 'deliveries-narrow.png') });
    expect(problems.list).toEqual([]);
    await page.close();
  }, 120_000);

  it('the audiences table shows the state\'s status, size and schedule of each audience', async () => {
    const wh = await openDuckDb(join(project.dir, 'bank.duckdb'), { readOnly: true });
    let expected: string[][];
    try {
      const model = await readAppliedModel(wh, SCHEMA);
      const rows = new Map((await readStatuses(wh, SCHEMA)).map((r) => [r.audienceKey, r]));
      expected = model!.audiences.map((a) => statusView(a, rows.get(a.key))).map((v) => [v.audience, v.status, v.size === null ? '-' : v.size.toLocaleString('en-US'), v.schedule]);
    } finally {
      await wh.close();
    }
    const { page, problems } = await newPage();
    await page.goto(`${base}/audiences`);
    const shown = await page.$$eval('main table tbody tr', (trs) =>
      trs.map((tr) => {
        const td = [...tr.querySelectorAll('td')].map((c) => (c.textContent ?? '').trim());
        return [tr.querySelector('td a')!.textContent!.trim(), td[1]!.replace(/\s*\(paused\)$/, ''), td[2]!, td[5]!];
      }),
    );
    expect(shown).toEqual(expected);
    expect(expected.some((r) => r[2] !== '-' && r[2] !== '0')).toBe(true);
    expect(problems.list).toEqual([]);
    await page.close();
  });

  it('the runs table carries the counts of `linked runs`, entities added and removed included', async () => {
    const runs = await withWarehouse((wh) => readRuns(wh, SCHEMA, { limit: 100 }));
    expect(runs.some((r) => (r.entitiesAdded ?? 0) + (r.entitiesRemoved ?? 0) > 0)).toBe(true);
    const sign = (prefix: string, n: number | null) => (n === null ? '-' : `${prefix}${n.toLocaleString('en-US')}`);
    const expected = runs.map((r) => [r.audienceKey, sign('', r.members), sign('+', r.entered), sign('-', r.exited), sign('+', r.entitiesAdded), sign('-', r.entitiesRemoved)]);
    const { page, problems } = await newPage();
    await page.goto(`${base}/runs`);
    const head = await texts(page, 'main table thead th');
    const at = (label: string) => head.indexOf(label);
    expect(head).toEqual(expect.arrayContaining(['Audience', 'Members', 'Entered', 'Exited', 'Entities added', 'Entities removed']));
    const columns = ['Audience', 'Members', 'Entered', 'Exited', 'Entities added', 'Entities removed'].map(at);
    const shown = await page.$$eval('main table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((c) => (c.textContent ?? '').trim())));
    expect(shown.map((row) => columns.map((i) => row[i]!))).toEqual(expected);
    expect(problems.list).toEqual([]);
    await page.close();
  });

  it('clicks from the audiences to an audience, one of its runs, and its deliveries', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${base}/audiences`);
    await follow(page, 'main table', 'travel-spenders');
    expect(new URL(page.url()).pathname).toBe('/audiences/travel-spenders');
    // The hostile name is text: the heading reads it back literally, and no element came of it.
    expect((await texts(page, 'h1'))[0]).toContain(HOSTILE_NAME);
    expect(await page.$$('main script, main img')).toHaveLength(0);
    const wh = await openDuckDb(join(project.dir, 'bank.duckdb'), { readOnly: true });
    const runs = await readRuns(wh, SCHEMA, { audienceKey: 'travel-spenders' }).finally(() => wh.close());
    expect(await page.$$('figure.chart svg circle')).toHaveLength(runs.filter((r) => r.status === 'Live').length);
    expect(await texts(page, 'ul.condition .group')).toContain('All of');
    await page.screenshot({ path: join(SHOTS, 'audience.png'), fullPage: true });

    const newest = runs[0]!;
    const started = newest.startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z').replace('T', ' ');
    const runTable = (await page.$$('main table'))[0]!;
    expect(await runTable.$eval('caption', (c) => c.textContent)).toBe('Runs of travel-spenders');
    await follow(page, 'main table:first-of-type', started);
    expect(new URL(page.url()).pathname).toBe(`/runs/${newest.id}`);
    expect(await texts(page, 'h1 code')).toEqual([newest.id]);
    await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });

    await follow(page, 'main p', 'travel-entered');
    expect(new URL(page.url()).search).toBe('?emitter=travel-entered');
    const dead = await page.$$eval('#dead-letters + .scroll table tbody tr', (trs) => trs.map((tr) => (tr.textContent ?? '').trim()));
    expect(dead.length).toBeGreaterThan(0);
    for (const row of dead) expect(row).toMatch(/travel-entered.*unknown contact.*\(redacted\)/s);
    // The destination's markup is text: read back literally, and no element came of it.
    expect(dead.join('\n')).toContain(HOSTILE_RESPONSE.replace(/"/g, '\\"'));
    expect(await page.$$('main script, main img')).toHaveLength(0);
    await page.screenshot({ path: join(SHOTS, 'deliveries-travel-entered.png'), fullPage: true });
    expect(problems.list).toEqual([]);
    await page.close();
  }, 120_000);

  it('filters and searches with the form, without script', async () => {
    const { page, problems } = await newPage();
    await page.setJavaScriptEnabled(false);
    await page.goto(`${base}/audiences`);
    await page.type('#q', 'OVERDUE');
    await Promise.all([page.waitForNavigation(), page.click('form.filter button')]);
    expect(await texts(page, 'main table tbody tr td:first-child a')).toEqual(['overdue-cards']);
    await page.goto(`${base}/audiences`);
    await page.select('#status', 'Disabled');
    await Promise.all([page.waitForNavigation(), page.click('form.filter button')]);
    expect(await texts(page, 'main table tbody tr td:first-child a')).toEqual(['vip-upsell']);
    expect(await page.$eval('#status', (s) => (s as unknown as { value: string }).value)).toBe('Disabled');
    expect(problems.list).toEqual([]);
    await page.close();
  });

  it("refuses what a page of another site has the browser ask for (an image, a frame, a script's fetch); a link from it still opens the dashboard", async () => {
    // The dashboard's answers as it sent them: the browser hides some (an image refused by ORB) from the page and from puppeteer.
    const answered = new Map<string, number>();
    const handler = createUiHandler(projectSource(project.desired, project.dir));
    const own = await startUiServer({ host: '127.0.0.1', port: 0 }, (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.on('finish', () => answered.set(url.searchParams.get('as') ?? url.pathname, res.statusCode));
      handler(req, res);
    });
    const dashboardUrl = `http://127.0.0.1:${own.address.port}`;
    const why = `${dashboardUrl}/why?audience=travel-spenders&user=u_00000013`;
    const attacker = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><title>elsewhere</title><a id="go" href="${dashboardUrl}/audiences">the dashboard</a><img src="${why}&as=image"><iframe src="${why}&as=frame"></iframe>` +
          `<script>fetch(${JSON.stringify(`${why}&as=fetch`)}, { mode: 'no-cors' }).catch(() => {})</script>`,
      );
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    const page = await browser.newPage();
    try {
      // `localhost` is another site than `127.0.0.1`, as any web site is.
      await page.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/`, { waitUntil: 'networkidle0' });
      expect(Object.fromEntries(answered)).toEqual({ image: 403, frame: 403, fetch: 403 });
      await Promise.all([page.waitForNavigation(), page.click('#go')]);
      expect(answered.get('/audiences')).toBe(200);
      expect((await texts(page, 'h1'))[0]).toContain('Audiences');
    } finally {
      await page.close();
      // The browser keeps its connection to the page's server alive: close it, not wait for it.
      attacker.closeAllConnections();
      await new Promise<void>((r) => attacker.close(() => r()));
      await own.close();
    }
  }, 60_000);

  it('draws the Data Graph: the profile and a box per relationship, the junction on its edge', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${base}/graph`);
    const boxes = await page.$$eval('figure.diagram svg > g.node > text:first-of-type', (ts) => ts.map((t) => t.textContent));
    expect(boxes).toEqual(['Profile', 'Accounts', 'Credit cards', 'Transactions', 'Offers']);
    expect(await page.$eval('figure.diagram svg', (s) => s.textContent)).toContain('main.card_off');
    expect(problems.list).toEqual([]);
    await page.close();
  });
});

describe('trace and why pages in Chromium', () => {
  it('clicks from a sent event to its trace: run, audience version, commit', async () => {
    const [sent] = await withWarehouse((wh) => findDeliveries(wh, SCHEMA, { emitter: 'travel-entered', limit: 1 }));
    expect(sent).toBeDefined();
    const expected: Trace = await withWarehouse((wh) => traceEvent(wh, SCHEMA, { id: sent!.messageId }));
    expect(expected.run).not.toBeNull();
    expect(expected.apply?.commitSha).toBeTruthy();

    const { page, problems } = await newPage();
    await page.goto(`${base}/deliveries?emitter=travel-entered`);
    const link = await page.$(`#sent + .scroll table a[href="/trace/${encodeURIComponent(sent!.messageId)}"]`);
    expect(link, 'the message id links to its trace').not.toBeNull();
    await Promise.all([page.waitForNavigation(), link!.click()]);
    expect(new URL(page.url()).pathname).toBe(`/trace/${sent!.messageId}`);
    expect(await texts(page, 'h1 code')).toEqual([sent!.messageId]);
    const body = await page.$eval('main', (m) => m.textContent ?? '');
    expect(body).toContain(expected.run!.id);
    expect(body).toContain(expected.apply!.commitSha!);
    expect(body).toContain(`version ${expected.version!.version}`);
    // The definition as `linked trace` renders it (condition-text), shown as text.
    expect(await page.$eval('pre.definition', (p) => p.textContent)).toBe(expected.version!.definition);
    expect(await page.$$('main script, main img')).toHaveLength(0);
    // The trace links on to the run and to why the user is in the audience now.
    expect(await page.$(`a[href="/runs/${expected.run!.id}"]`)).not.toBeNull();
    await Promise.all([page.waitForNavigation(), page.click('main > p a[href^="/why?"]')]);
    expect(new URL(page.url()).searchParams.get('user')).toBe(sent!.userId);
    expect(problems.list).toEqual([]);
    await page.close();
  }, 120_000);

  it('an unknown messageId answers 404 with the fix, beside the form', async () => {
    const { page } = await newPage();
    const res = await page.goto(`${base}/trace/no-such-message`);
    expect(res?.status()).toBe(404);
    expect((await texts(page, 'p.error'))[0]).toMatch(/TRACE_NOT_FOUND.*linked deliveries --user-id/);
    expect(await page.$eval('#trace-id', (i) => (i as unknown as { value: string }).value)).toBe('no-such-message');
    await page.close();
  });

  it('explains a member and a non-member from the audience page, as whyProfile does', async () => {
    const { members, others } = await withWarehouse(async (wh) => ({
      members: (await wh.query<{ id: string }>(`SELECT profile_id AS id FROM "${SCHEMA}".membership WHERE audience_key = 'travel-spenders' ORDER BY profile_id LIMIT 1`)).rows,
      others: (await wh.query<{ id: string }>(`SELECT user_id AS id FROM main.profiles WHERE user_id NOT IN (SELECT profile_id FROM "${SCHEMA}".membership WHERE audience_key = 'travel-spenders') ORDER BY user_id LIMIT 1`)).rows,
    }));
    expect(members).toHaveLength(1);
    expect(others).toHaveLength(1);
    const { page, problems } = await newPage();
    for (const id of [members[0]!.id, others[0]!.id]) {
      const expected: WhyResult = await withWarehouse((wh) => whyProfile(wh, SCHEMA, { audienceKey: 'travel-spenders', profileId: id }));
      expect(expected.member).toBe(id === members[0]!.id);
      await page.goto(`${base}/audiences/travel-spenders`);
      await page.type('#why-user', id);
      await Promise.all([page.waitForNavigation(), page.click('#why + form button')]);
      const url = new URL(page.url());
      expect([url.pathname, url.searchParams.get('audience'), url.searchParams.get('user')]).toEqual(['/why', 'travel-spenders', id]);
      expect(await page.$eval('p.verdict-line', (p) => p.textContent)).toContain(`is ${expected.member ? 'IN' : 'NOT IN'} audience travel-spenders`);
      const shown = await page.$$eval('ul.why li', (lis) =>
        lis.map((li) => {
          const part = (sel: string) => (li.querySelector(`:scope > ${sel}`)?.textContent ?? '').trim();
          return `${part('.verdict')} ${part('.label')}${part('.decided') ? ` ${part('.decided')}` : ''}`;
        }),
      );
      expect(shown).toEqual(treeLines(expected.tree));
      // travel-spenders filters the cards' transactions: the page explains those rows as the CLI does.
      if (expected.member) expect(shown.some((l) => / transactions \S+ \[(counts|does not count)\]$/.test(l))).toBe(true);
      expect(await page.$eval('#why-audience', (s) => (s as unknown as { value: string }).value)).toBe('travel-spenders');
    }
    expect(problems.list).toEqual([]);
    await page.close();
  }, 120_000);

  it('after an unknown audience, the why form chooses none for the reader and asks for one', async () => {
    const { page } = await newPage();
    const res = await page.goto(`${base}/why?audience=travel-spender&user=u_00000013`);
    expect(res?.status()).toBe(404);
    expect((await texts(page, 'p.error'))[0]).toMatch(/AUDIENCE_NOT_APPLIED.*Did you mean "travel-spenders"/);
    const value = () => page.$eval('#why-audience', (s) => (s as unknown as { value: string }).value);
    expect(await value()).toBe('');
    // Explain with no audience chosen: the browser keeps the page (the select is required) instead of explaining the first audience.
    await page.click('main form button');
    await new Promise((r) => setTimeout(r, 300));
    expect(new URL(page.url()).searchParams.get('audience')).toBe('travel-spender');
    await page.select('#why-audience', 'overdue-cards');
    await Promise.all([page.waitForNavigation(), page.click('main form button')]);
    expect([new URL(page.url()).searchParams.get('audience'), await value()]).toEqual(['overdue-cards', 'overdue-cards']);
    await page.close();
  });

  it('an unknown profile answers 404 with the fix; a hostile audience name stays text', async () => {
    const { page } = await newPage();
    const res = await page.goto(`${base}/why?audience=travel-spenders&user=${encodeURIComponent('<b>nobody</b>')}`);
    expect(res?.status()).toBe(404);
    expect((await texts(page, 'p.error'))[0]).toMatch(/PROFILE_NOT_FOUND.*<b>nobody<\/b>/);
    expect(await page.$$('main b')).toHaveLength(0);
    await page.goto(`${base}/audiences/travel-spenders`);
    expect((await texts(page, 'h1'))[0]).toContain(HOSTILE_NAME);
    await page.close();
  });
});
