import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../activation/helpers.js';
import { freePort } from '../controller/daemon-project.js';
import { linked } from '../plan/cli-project.js';
import { linkedJson, marketingAndRisk, multiStackProject, spawnLinked, type Daemon } from './project.js';

/*
 * Two stacks of one app on one DuckDB file and one state schema, each served by its own
 * `linked run --stack`: a stack's controller is not the other stack's.
 */
let server: TestServer | undefined;
const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  await server?.close();
});

async function twoStacks(): Promise<string> {
  server = await startServer();
  const dir = await multiStackProject(marketingAndRisk(server.url));
  for (const stack of ['marketing', 'risk']) {
    const apply = await linked(['apply', '--dir', dir, '--stack', stack, '--auto-approve']);
    expect(apply.status, apply.stderr).toBe(0);
  }
  return dir;
}


describe('one controller per stack on one DuckDB file', () => {
  it('status lists only the stack\'s controllers, and compute does not hand its run to another stack\'s', async () => {
    const dir = await twoStacks();
    const risk = spawnLinked(dir, ['run', '--stack', 'risk', '--tick-seconds', '1', '--json']);
    daemons.push(risk);
    await risk.waitFor(/"type":"run".*"audienceKey":"risk-aud"/);

    expect((await linkedJson(['status', '--dir', dir, '--stack', 'marketing', '--json'])).controllers).toEqual([]);
    expect((await linkedJson(['status', '--dir', dir, '--stack', 'risk', '--json'])).controllers).toMatchObject([{ stack: 'risk' }]);

    // No controller serves marketing: compute computes here rather than wait for risk's.
    const compute = await linkedJson(['compute', 'mkt-aud', '--dir', dir, '--stack', 'marketing', '--json']);
    expect(compute).toMatchObject({ audienceKey: 'mkt-aud', status: 'Live', members: 2, trigger: 'manual' });
  }, 120_000);

  it('another stack\'s controller leaves a compute request to the controller of its stack', async () => {
    const dir = await twoStacks();
    const risk = spawnLinked(dir, ['run', '--stack', 'risk', '--tick-seconds', '1', '--json']);
    daemons.push(risk);
    await risk.waitFor(/"type":"run".*"audienceKey":"risk-aud"/);

    const requested = await linkedJson(['compute', 'mkt-aud', '--dir', dir, '--stack', 'marketing', '--request', '--json']);
    expect(requested).toMatchObject({ requested: true, audience: 'mkt-aud' });
    // Two of risk's beats after the request: the tick of the first, which read the pending requests, has ended.
    const since = Date.now();
    const beats = new Set<string>();
    while (beats.size < 2) {
      const [c] = (await linkedJson(['status', '--dir', dir, '--stack', 'risk', '--json'])).controllers;
      if (new Date(c.heartbeatAt).getTime() > since) beats.add(c.heartbeatAt);
    }

    const port = await freePort();
    const marketing = spawnLinked(dir, ['run', '--stack', 'marketing', '--tick-seconds', '1', '--json', '--listen', `127.0.0.1:${port}`]);
    daemons.push(marketing);
    await marketing.waitFor(/"type":"run".*"audienceKey":"mkt-aud"/);
    const runs = (await linkedJson(['runs', 'mkt-aud', '--dir', dir, '--stack', 'marketing', '--json'])).runs;
    expect(runs).toMatchObject([{ trigger: 'manual', status: 'Live' }]);

    // Its /metrics are marketing's: risk's audience, computed by risk's daemon, is risk's daemon's series.
    // Each series names the stack, so a scraper that adds no target labels tells the daemons apart.
    let metrics = '';
    while (!metrics.includes('linked_audience_members{audience="mkt-aud"')) metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('linked_audience_members{audience="mkt-aud",stack="marketing"} 2');
    expect(metrics).toContain('linked_ready{stack="marketing"} 1');
    expect(metrics).toMatch(/^linked_process_start_time_seconds\{stack="marketing"\} \d+$/m);
    const series = metrics.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(series.filter((l) => !/[{,]stack="marketing"[,}]/.test(l))).toEqual([]);
    expect(metrics).not.toContain('risk-aud');
  }, 120_000);
});
