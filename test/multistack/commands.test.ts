import { afterEach, describe, expect, it } from 'vitest';
import { json, startServer, type TestServer } from '../activation/helpers.js';
import { linked } from '../plan/cli-project.js';
import { linkedJson, marketingAndRisk, multiStackProject } from './project.js';

/*
 * The commands of one stack when another stack of the app keeps its state in the same schema
 * (one DuckDB file): each shows and touches its own stack.
 */
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
});

/**
 * Both stacks applied, computed and delivered to a webhook on 127.0.0.1, which refuses risk's
 * events (400): risk's are dead letters.
 */
async function twoStacksRun(): Promise<string> {
  server = await startServer((req, _n, res) => json(res, req.url.startsWith('/risk') ? 400 : 200, {}));
  const dir = await multiStackProject(marketingAndRisk(server.url));
  for (const stack of ['marketing', 'risk']) {
    const apply = await linked(['apply', '--auto-approve', '--dir', dir, '--stack', stack]);
    expect(apply.status, apply.stderr).toBe(0);
    // Exit 1 for risk: its events were dead-lettered.
    expect((await linked(['run', '--once', '--dir', dir, '--stack', stack])).status).toBe(stack === 'risk' ? 1 : 0);
  }
  return dir;
}

describe('a stack beside another in one state schema', () => {
  it('gc collects the shared state (every stack\'s emitters count)', async () => {
    const dir = await twoStacksRun();
    expect(await linkedJson(['gc', '--dir', dir, '--stack', 'marketing', '--json'])).toMatchObject({ dryRun: false, total: 0 });
  });

  it('runs, deliveries and dead letters are the stack\'s own', async () => {
    const dir = await twoStacksRun();
    const of = (stack: string, ...args: string[]) => linkedJson([...args, '--dir', dir, '--stack', stack, '--json']);
    for (const [stack, prefix] of [['marketing', 'mkt'], ['risk', 'risk']]) {
      expect((await of(stack, 'runs')).runs.map((r: { audienceKey: string }) => r.audienceKey)).toEqual([`${prefix}-aud`]);
      const deliveries = (await of(stack, 'deliveries')).deliveries;
      expect(deliveries.length).toBeGreaterThan(0);
      expect(new Set(deliveries.map((d: { emitterKey: string }) => d.emitterKey))).toEqual(new Set([`${prefix}-entered`]));
      expect((await of(stack, 'deliveries', '--runs')).runs.map((r: { emitterKey: string }) => r.emitterKey)).toEqual([`${prefix}-entered`]);
    }
    expect((await of('marketing', 'dead-letters')).deadLetters).toEqual([]);
    expect((await of('risk', 'dead-letters')).deadLetters).toMatchObject([{ emitterKey: 'risk-entered' }, { emitterKey: 'risk-entered' }]);
    // Marketing's --all is marketing's dead letters: none, so nothing is left pending.
    expect(await of('marketing', 'replay', '--all')).toMatchObject({ replayed: [], rejected: [], pending: [] });
  });
});
