import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeliveries } from '../../src/activation/inspect.js';
import { traceEvent, type Trace } from '../../src/trace/trace.js';
import type { UiServer } from '../../src/ui/server.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { WhyNode } from '../../src/why/explain.js';
import { whyProfile, type WhyResult } from '../../src/why/why.js';
import { HOSTILE_NAME, SCHEMA, type BankProject } from './bank-project.js';
import { openDashboard, type Dashboard } from './dashboard.js';

/*
 * The trace and why pages of the dashboard in a real headless Chromium, over the bank example
 * after a few runs and deliveries: a reader clicks from a sent event on the deliveries page to its
 * trace, and from an audience's page to the explanation of a profile, and the pages say what
 * `traceEvent` and `whyProfile` (what `linked trace` / `linked why` print) say.
 */
let project: BankProject;
let server: UiServer;
let browser: Browser;
let base: string;

const texts = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));

/** A page that records console errors, script errors, failed requests and answers >= 400. */
async function newPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { page, problems };
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
const treeLines = (n: WhyNode): string[] => [`${n.held ? '✓' : '✗'} ${n.label}${n.decidedBy ? ` [${n.decidedBy}]` : ''}`, ...n.children.flatMap(treeLines)];

let dashboard: Dashboard | undefined;

beforeAll(async () => {
  dashboard = await openDashboard();
  ({ project, server, base, browser } = dashboard);
}, 180_000);

afterAll(async () => {
  await dashboard?.close();
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
    const link = await page.$(`#sent + table a[href="/trace/${encodeURIComponent(sent!.messageId)}"]`);
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
    expect(problems).toEqual([]);
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
      expect(await page.$eval('#why-audience', (s) => (s as unknown as { value: string }).value)).toBe('travel-spenders');
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

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
