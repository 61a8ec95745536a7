import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, tempDir } from '../constructs/helpers.js';
import { writeUserProject } from '../support/installed-package.js';
import { linkedInProcess } from '../support/linked-cli.js';

afterAll(cleanup);

async function linked(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await linkedInProcess(args);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user's project with linked-audiences installed as a dependency (a symlink to this checkout). */
function userProject(main: string): string {
  const dir = tempDir('la-test-app-');
  writeUserProject(dir, main, { name: 'my-audiences' });
  return dir;
}

const app = (expected: string) => `
import { App, LinkedAudiencesStack, Warehouse, SnowflakeAuth, DataGraph, Audience, AudienceTest, all, trait, col, secret } from 'linked-audiences';

const app = new App();
const stack = new LinkedAudiencesStack(app, 'shop', { warehouse: Warehouse.snowflake({
  account: 'acme', username: 'svc', database: 'PROD', warehouse: 'WH', role: 'LINKED', auth: SnowflakeAuth.keyPair(secret('SNOWFLAKE_PRIVATE_KEY')),
}) });
const graph = new DataGraph(stack, 'graph', { profile: { table: 'crm.customers', id: 'id', traits: ['tier'], identifiers: ['id'] } });
const order = graph.entity('order', { table: 'sales.orders', primaryKey: 'order_id', columns: ['customer_id', 'total'] });
const orders = graph.profile.relate('orders', order, { identifier: 'id', column: 'customer_id' });
const big = new Audience(stack, 'big-spenders', { where: all(trait('tier').equals('gold'), orders.where(col('total').gte(100))) });

new AudienceTest(stack, 'gold-big-spenders', {
  audience: big,
  profiles: [{ id: 'c1', tier: 'gold' }, { id: 'c2', tier: 'gold' }, { id: 'c3', tier: 'silver' }],
  entities: { order: [{ order_id: 'o1', customer_id: 'c1', total: 150 }, { order_id: 'o2', customer_id: 'c2', total: 20 }, { order_id: 'o3', customer_id: 'c3', total: 500 }] },
  expect: { members: ${expected} },
});
app.synth();
`;

// Each case starts CLI processes that synthesize an app through tsx: seconds each, more on a busy machine.
describe('linked test, as a user runs it in CI', { timeout: 180_000 }, () => {
  it('exits 0 when the tests pass, whatever the production warehouse; 1 with a readable diff when one fails', async () => {
    const good = userProject(app(`['c1']`));
    const passed = await linked(['test', '--dir', good]);
    expect(passed.stderr).toContain('Synthesizing');
    expect(passed.stdout).toContain('PASS shop › gold-big-spenders');
    expect(passed.stdout).toContain('Tests: 1 passed, 1 total');
    expect(passed.code).toBe(0);

    const bad = userProject(app(`['c1', 'c2']`));
    const junit = join(bad, 'results.xml');
    const failed = await linked(['test', '--dir', bad, '--junit', junit, '--sql']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('FAIL shop › gold-big-spenders');
    expect(failed.stdout).toContain('declared at main.ts:13');
    expect(failed.stdout).toContain('- missing (expected in, selected out): c2');
    expect(failed.stdout).toContain('FROM "crm"."customers" AS "p"');
    expect(readFileSync(junit, 'utf8')).toContain('<failure message="members differ">');

    const json = await linked(['test', '--dir', bad, '--json', '--no-synth']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    expect(report.tests[0]).toMatchObject({ name: 'gold-big-spenders', status: 'failed', source: { file: 'main.ts', line: 13 }, failures: [{ kind: 'members', missing: ['c2'], unexpected: [] }] });
  });
});
