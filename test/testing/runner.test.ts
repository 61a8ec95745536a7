import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { App, Audience, AudienceTest, DataGraph, LinkedAudiencesStack, Warehouse, all, col, days, event, not, trait, type AudienceTestProps } from '../../constructs/index.js';
import { loadDesired } from '../../src/manifest/index.js';
import { fixtureTables } from '../../src/model/audience-test.js';
import { columnTypes, loadAudienceTests, matchesPattern, renderJUnit, renderText, runTests, summarize } from '../../src/testing/index.js';
import { impliedColumnTypes } from '../../src/testing/implied-types.js';
import { bankStack, cleanup, synthError, tempDir } from '../constructs/helpers.js';

afterAll(cleanup);

const NOW = '2026-06-01T00:00:00Z';

/** The bank-shaped stack with one audience: premium customers with a card over 1,000 and no payment in 30 days. */
function project(tests: (ctx: ReturnType<typeof bankStack> & { audience: Audience }) => void) {
  const ctx = bankStack();
  const audience = new Audience(ctx.stack, 'overdue', {
    where: all(
      trait('plan').equals('premium'),
      ctx.accounts.where(ctx.cards.where(col('balance').gt(1000))),
      not(event('Payment Made').within(days(30))),
    ),
  });
  tests({ ...ctx, audience });
  return ctx;
}

const FIXTURES = {
  profiles: [
    { user_id: 'u1', plan: 'premium' },
    { user_id: 'u2', plan: 'premium' },
    { user_id: 'u3', plan: 'basic' },
    { user_id: 'u4', plan: 'premium' },
  ],
  entities: {
    account: [
      { account_id: 'a1', user_id: 'u1' },
      { account_id: 'a2', user_id: 'u2' },
      { account_id: 'a3', user_id: 'u3' },
      { account_id: 'a4', user_id: 'u4' },
    ],
    credit_card: [
      { card_id: 'c1', account_id: 'a1', balance: 1500 },
      { card_id: 'c2', account_id: 'a1', balance: 2500.5 },
      { card_id: 'c9', account_id: 'a1', balance: 10 },
      { card_id: 'c3', account_id: 'a2', balance: 1500 },
      { card_id: 'c4', account_id: 'a3', balance: 1500 },
      { card_id: 'c5', account_id: 'a4', balance: 200 },
    ],
  },
  events: [{ user_id: 'u2', event: 'Payment Made', ts: '2026-05-20T08:00:00Z', properties: { amount: 100 } }],
} satisfies Omit<AudienceTestProps, 'audience' | 'expect'>;

async function synthAndRun(ctx: { app: App; outdir: string }, pattern?: string) {
  ctx.app.synth();
  return runTests(ctx.outdir, { pattern });
}

describe('linked test: the runner', () => {
  it('passes when the audience selects the expected members and entities, on the real compiler', async () => {
    const ctx = project(({ stack, audience, cards }) => {
      new AudienceTest(stack, 'selects-u1', {
        audience,
        now: NOW,
        ...FIXTURES,
        expect: { members: ['u1'], excludes: ['u2', 'u3', 'u4'], entityMatches: [{ relationship: cards, matches: { u1: ['c1', 'c2'] } }] },
      });
    });
    const { results, summary } = await synthAndRun(ctx);
    expect(results.map((r) => [r.name, r.status, r.error?.message])).toEqual([['selects-u1', 'passed', undefined]]);
    expect(results[0].actual).toEqual({ members: ['u1'], entityMatches: [{ path: 'accounts.cards', matches: [{ profile: 'u1', entity: 'c1' }, { profile: 'u1', entity: 'c2' }] }] });
    expect(summary).toMatchObject({ total: 1, passed: 1, failed: 0, errors: 0 });
  });

  it('a wrong expectation fails, and the report names the missing and the unexpected members and where the test is', async () => {
    const ctx = project(({ stack, audience, cards }) => {
      new AudienceTest(stack, 'wrong-members', {
        audience,
        now: NOW,
        ...FIXTURES,
        // Wrong on purpose: u2 paid last week (out), u1 is in.
        expect: { members: ['u2', 'u4'], entityMatches: [{ relationship: cards, matches: { u1: ['c1', 'c9'] } }] },
      });
    });
    const { results, summary } = await synthAndRun(ctx);
    const [r] = results;
    expect(r.status).toBe('failed');
    expect(r.failures).toEqual([
      { kind: 'members', expected: ['u2', 'u4'], actual: ['u1'], missing: ['u2', 'u4'], unexpected: ['u1'] },
      { kind: 'entityMatches', path: 'accounts.cards', missing: [{ profile: 'u1', entity: 'c9' }], unexpected: [{ profile: 'u1', entity: 'c2' }] },
    ]);
    // The declaring line of this file, as the stack trace of the construct gave it.
    expect(r.source?.file).toMatch(/test\/testing\/runner\.test\.ts$/);
    const text = renderText(results, summary, { sql: true });
    expect(text).toContain('FAIL bank › wrong-members');
    expect(text).toMatch(/declared at .*runner\.test\.ts:\d+/);
    expect(text).toContain('expected: u2, u4');
    expect(text).toContain('actual:   u1');
    expect(text).toContain('- missing (expected in, selected out): u2, u4');
    expect(text).toContain('+ unexpected (expected out, selected in): u1');
    expect(text).toContain('- missing: u1 → c9');
    expect(text).toContain('+ unexpected: u1 → c2');
    expect(text).toContain('FROM "main"."profiles"');
    expect(text).toContain('Tests: 1 failed, 0 passed, 1 total');
  });

  it('a test without `now` counts windows from the reference time of the run', async () => {
    const ctx = project(({ stack, audience }) => {
      new AudienceTest(stack, 'no-now', { audience, ...FIXTURES, expect: { includes: ['u1'] } });
    });
    ctx.app.synth();
    const at = async (iso: string) => (await runTests(ctx.outdir, { now: new Date(iso) })).results[0];
    // u2's payment of 2026-05-20 keeps it out for 30 days, and no longer.
    expect((await at('2026-06-01T00:00:00Z')).actual?.members).toEqual(['u1']);
    const later = await at('2026-07-01T00:00:00Z');
    expect([later.now, later.actual?.members]).toEqual(['2026-07-01T00:00:00.000Z', ['u1', 'u2']]);
  });

  it('includes and excludes are checked on their own', async () => {
    const ctx = project(({ stack, audience }) => {
      new AudienceTest(stack, 'contains', { audience, now: NOW, ...FIXTURES, expect: { includes: ['u1', 'u3'], excludes: ['u1', 'u4'] } });
    });
    const [r] = (await synthAndRun(ctx)).results;
    expect(r.failures).toEqual([
      { kind: 'includes', missing: ['u3'] },
      { kind: 'excludes', unexpected: ['u1'] },
    ]);
  });

  it('fixture columns missing from the graph are a clear error naming the fixture row and column', async () => {
    const ctx = project(({ stack, audience }) => {
      new AudienceTest(stack, 'typo', {
        audience,
        now: NOW,
        profiles: [{ user_id: 'u1', plan: 'premium' }, { user_id: 'u2', plann: 'premium' }],
        entities: { acount: [{ account_id: 'a1', user_id: 'u1' }] },
        types: { 'main.profile': { plan: 'VARCHAR' }, 'main.accounts': { balanse: 'DOUBLE' } },
        expect: { members: ['u1'] },
      });
    });
    const { results, summary } = await synthAndRun(ctx);
    const [r] = results;
    expect(r.status).toBe('error');
    expect(r.error?.code).toBe('FIXTURE_INVALID');
    expect(r.error?.message).toContain('profiles[1].plann: column plann is not in the Data Graph for table main.profiles (did you mean plan?)');
    expect(r.error?.message).toContain('entities.acount: is not in the Data Graph (did you mean account?)');
    expect(r.error?.message).toContain('types.main.profile: is not a table of the Data Graph (did you mean main.profiles?)');
    expect(r.error?.message).toContain('types.main.accounts.balanse: column balanse is not in the Data Graph for table main.accounts (did you mean balance?)');
    expect(summary.errors).toBe(1);
    expect(renderText(results, summary)).toContain('ERROR bank › typo');
  });

  it('junction fixtures take the columns the junction exposes: those it lists, or any when it lists none', async () => {
    // Listed: the bank's card offers expose role and linked_at.
    const listed = project(({ stack, cards, accounts, offers }) => {
      const owners = new Audience(stack, 'offer-owners', { where: accounts.where(cards.where(offers.where(offers.junction('role').equals('owner')))) });
      new AudienceTest(stack, 'owner-link', {
        audience: owners,
        profiles: [{ user_id: 'u1' }, { user_id: 'u2' }],
        entities: { account: [{ account_id: 'a1', user_id: 'u1' }, { account_id: 'a2', user_id: 'u2' }], credit_card: [{ card_id: 'c1', account_id: 'a1' }, { card_id: 'c2', account_id: 'a2' }], offer: [{ offer_id: 'o1' }] },
        junctions: { offers: [{ card_offer_id: 'l1', card_id: 'c1', offer_id: 'o1', role: 'owner' }, { card_offer_id: 'l2', card_id: 'c2', offer_id: 'o1', role: 'viewer' }] },
        expect: { members: ['u1'] },
      });
    });
    expect((await synthAndRun(listed, 'owner-link')).results.map((r) => [r.status, r.error?.message])).toEqual([['passed', undefined]]);

    // None listed (Northwind's order lines): every column of the table, as for an entity without columns.
    const outdir = tempDir();
    const app = new App({ outdir });
    const stack = new LinkedAudiencesStack(app, 'shop', { warehouse: Warehouse.duckdb({ path: 'x.duckdb' }) });
    const graph = new DataGraph(stack, 'graph', { profile: { table: 'main.customers', id: 'customer_id', identifiers: ['customer_id'] } });
    const orders = graph.profile.relate('orders', graph.entity('order', { table: 'main.orders', primaryKey: 'order_id' }), { identifier: 'customer_id', column: 'customer_id' });
    const products = orders.relateThrough('products', graph.entity('product', { table: 'main.products', primaryKey: 'product_id' }), {
      junction: { table: 'main.order_details', primaryKey: ['order_id', 'product_id'] },
      parent: ['order_id', 'order_id'],
      entity: ['product_id', 'product_id'],
    });
    const bulk = new Audience(stack, 'bulk-buyers', { where: orders.where(products.where(products.junction('quantity').gte(10))) });
    new AudienceTest(stack, 'ten-or-more', {
      audience: bulk,
      profiles: [{ customer_id: 'C1' }, { customer_id: 'C2' }],
      entities: { order: [{ order_id: 1, customer_id: 'C1' }, { order_id: 2, customer_id: 'C2' }], product: [{ product_id: 7 }] },
      junctions: { products: [{ order_id: 1, product_id: 7, quantity: 12 }, { order_id: 2, product_id: 7, quantity: 3 }] },
      expect: { members: ['C1'], entityMatches: [{ relationship: products, matches: { C1: ['7'] } }] },
    });
    app.synth();
    expect((await runTests(outdir)).results.map((r) => [r.status, r.error?.message])).toEqual([['passed', undefined]]);
  });

  it('a column holding two kinds of values is refused with its row', async () => {
    const ctx = project(({ stack, audience }) => {
      new AudienceTest(stack, 'mixed', {
        audience,
        now: NOW,
        profiles: [{ user_id: 'u1', plan: 'premium' }, { user_id: 'u2', plan: 3 }],
        expect: { members: [] },
      });
    });
    const [r] = (await synthAndRun(ctx)).results;
    expect(r.error?.code).toBe('FIXTURE_TYPE_MIXED');
    expect(r.error?.message).toContain('profiles[1].plan');
  });

  it('tables without fixtures exist empty, their columns typed as the conditions compare them', async () => {
    const ctx = project(({ stack, audience }) => {
      new AudienceTest(stack, 'no-cards', {
        audience,
        now: NOW,
        // No card rows, no events: `balance > 1000` still compiles, and every premium profile is out.
        profiles: [{ user_id: 'u1', plan: 'premium', credit_score: null }],
        types: { 'main.profiles': { credit_score: 'BIGINT' } },
        expect: { members: [] },
      });
    });
    const [r] = (await synthAndRun(ctx)).results;
    expect([r.status, r.error]).toEqual(['passed', undefined]);
  });

  it('column types: declared, implied by the graph, read from the rows, else as the conditions compare the column', async () => {
    const ctx = project(({ stack, audience }) => {
      new AudienceTest(stack, 'types', { audience, now: NOW, ...FIXTURES, expect: { members: ['u1'] } });
    });
    ctx.app.synth();
    const desired = await loadDesired(ctx.outdir);
    const [spec] = loadAudienceTests(ctx.outdir, 'bank');
    const { tables } = fixtureTables(desired.graph, desired.classicAudiences, {
      ...spec.fixtures,
      profiles: [{ user_id: 'u1', created_at: '2026-01-01T00:00:00Z', email: null, credit_score: null }],
    });
    const compared = impliedColumnTypes(desired, 'overdue');
    const typesOf = (table: string, declared = {}) => {
      const t = tables.find((x) => x.table === table)!;
      return Object.fromEntries(columnTypes(t, declared, compared.get(table)));
    };
    expect(typesOf('main.profiles', { credit_score: 'BIGINT' })).toMatchObject({ user_id: 'VARCHAR', created_at: 'TIMESTAMP', email: 'VARCHAR', credit_score: 'BIGINT', plan: 'VARCHAR' });
    // 1500 and 2500.5 share a column as numbers; a card table left empty would still compare balance as one.
    expect(typesOf('main.credit_cards')).toMatchObject({ card_id: 'VARCHAR', balance: 'DOUBLE', due_date: 'VARCHAR' });
    expect(typesOf('main.events')).toMatchObject({ user_id: 'VARCHAR', event: 'VARCHAR', ts: 'TIMESTAMP', properties: 'JSON' });
    const empty = fixtureTables(desired.graph, desired.classicAudiences, { ...spec.fixtures, entities: {} }).tables.find((t) => t.table === 'main.credit_cards')!;
    expect(Object.fromEntries(columnTypes(empty, {}, compared.get('main.credit_cards')))).toMatchObject({ balance: 'DOUBLE', card_id: 'VARCHAR' });
  });

  it('synth writes the tests beside the stack, and a pattern selects by test name or audience', async () => {
    const ctx = project(({ stack, audience }) => {
      new AudienceTest(stack, 'first', { audience, now: NOW, ...FIXTURES, expect: { members: ['u1'] } });
      new AudienceTest(stack, 'second-one', { audience, now: NOW, ...FIXTURES, expect: { includes: ['u1'] } });
    });
    ctx.app.synth();
    const file = join(ctx.outdir, 'stacks', 'bank', 'linked-tests.json');
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).tests.map((t: { name: string }) => t.name)).toEqual(['first', 'second-one']);
    expect(loadAudienceTests(ctx.outdir, 'bank').map((t) => t.audience)).toEqual(['overdue', 'overdue']);
    expect((await runTests(ctx.outdir, { pattern: 'second' })).results.map((r) => r.name)).toEqual(['second-one']);
    expect((await runTests(ctx.outdir, { pattern: 'over*' })).results).toHaveLength(2);
    await expect(runTests(ctx.outdir, { pattern: 'nothing' })).rejects.toThrow(/No audience test matches "nothing" \(2 declared\)/);
    expect(matchesPattern({ name: 'a-b', audience: 'x' }, '*-b')).toBe(true);
    expect(matchesPattern({ name: 'a-b', audience: 'x' }, 'b*')).toBe(false);
  });

  it('a stack without tests writes no tests file, and the run says how to write one', async () => {
    const ctx = project(() => {});
    ctx.app.synth();
    expect(existsSync(join(ctx.outdir, 'stacks', 'bank', 'linked-tests.json'))).toBe(false);
    await expect(runTests(ctx.outdir)).rejects.toThrow(/No audience tests in .*declare one with `new AudienceTest\(stack, 'id', \{ audience, profiles, expect \}\)` \(docs\/testing.md\)/);
  });

  it('a test of an unknown audience, or with no expectation, fails the synth with the construct path', () => {
    const ctx = project(({ stack }) => {
      new AudienceTest(stack, 'ghost', { audience: 'no-such', profiles: [], expect: { members: [] } });
      new AudienceTest(stack, 'empty', { audience: 'overdue', expect: {} });
    });
    const message = synthError(ctx.app);
    expect(message).toContain('[bank/ghost] audience: no audience "no-such" in the stack; audiences: overdue');
    expect(message).toContain('[bank/empty] expect: expects nothing: give members, includes, excludes or entityMatches');
  });

  it('graphs on database.schema.table names run in catalogs of their own; JUnit XML names each failure', async () => {
    const outdir = tempDir();
    const app = new App({ outdir });
    const stack = new LinkedAudiencesStack(app, 'shop', { warehouse: Warehouse.duckdb({ path: 'x.duckdb' }) });
    const graph = new DataGraph(stack, 'graph', { profile: { table: 'PROD.CRM.CUSTOMERS', id: 'ID', traits: ['TIER'], identifiers: ['ID'] } });
    const order = graph.entity('order', { table: 'PROD.SALES.ORDERS', primaryKey: 'ORDER_ID', columns: ['CUSTOMER_ID', 'TOTAL'] });
    const orders = graph.profile.relate('orders', order, { identifier: 'ID', column: 'CUSTOMER_ID' });
    const big = new Audience(stack, 'big-spenders', { where: all(trait('TIER').equals('gold'), orders.where(col('TOTAL').gte(100))) });
    const fixtures = {
      // Integer ids joined to text ones: joined on a cast, as in production.
      profiles: [{ ID: 1, TIER: 'gold' }, { ID: 2, TIER: 'gold' }],
      entities: { order: [{ ORDER_ID: 'o1', CUSTOMER_ID: '1', TOTAL: 150 }, { ORDER_ID: 'o2', CUSTOMER_ID: '2', TOTAL: 50 }] },
    };
    new AudienceTest(stack, 'gold-and-big', { audience: big, ...fixtures, expect: { members: ['1'] } });
    new AudienceTest(stack, 'wrong <on purpose>', { audience: big, ...fixtures, expect: { members: ['2'] } });
    app.synth();
    const { results, summary } = await runTests(outdir);
    expect(results.map((r) => [r.name, r.status, r.error?.message])).toEqual([
      ['gold-and-big', 'passed', undefined],
      ['wrong <on purpose>', 'failed', undefined],
    ]);
    const xml = renderJUnit(results, summary);
    expect(xml).toContain('<testsuites name="linked test" tests="2" failures="1" errors="0"');
    expect(xml).toContain('<testcase name="gold-and-big" classname="shop.big-spenders"');
    expect(xml).toContain('<testcase name="wrong &lt;on purpose&gt;"');
    expect(xml).toMatch(/<failure message="members differ">[^<]*- missing \(expected in, selected out\): 2/);
    expect(summarize(results, 1).total).toBe(2);
    expect((await loadDesired(outdir)).stack).toBe('shop');
  });
});

describe('AudienceTest props are documented', () => {
  it('every optional prop of the construct says its default', () => {
    const file = join(fileURLToPath(new URL('../..', import.meta.url)), 'constructs', 'audience-test.ts');
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const optional: { name: string; hasDefault: boolean }[] = [];
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node)) return;
      for (const member of node.members) {
        if (!ts.isPropertySignature(member) || !member.questionToken) continue;
        const tags = ts.getJSDocTags(member).map((t) => t.tagName.text);
        optional.push({ name: `${node.name.text}.${member.name.getText(source)}`, hasDefault: tags.includes('default') });
      }
    });
    expect(optional.length).toBeGreaterThanOrEqual(12);
    expect(optional.filter((p) => !p.hasDefault).map((p) => p.name)).toEqual([]);
  });
});
