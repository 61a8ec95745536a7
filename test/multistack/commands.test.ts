import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json, startServer, type TestServer } from '../activation/helpers.js';
import { linked } from '../plan/cli-project.js';
import { LockStore, stackLockName } from '../../src/state/apply/lock.js';
import { LeaseStore } from '../../src/state/control/leases.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linkedJson, marketingAndRisk, multiStackProject, spawnLinked, type Daemon } from './project.js';

/*
 * The commands of one stack when another stack of the app keeps its state in the same schema
 * (one DuckDB file): each shows and touches its own stack.
 */
let server: TestServer | undefined;
const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
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
    // Which stack a status is of, in the JSON itself (scripts that loop over stacks keep their outputs).
    expect(await of('risk', 'status')).toMatchObject({ stack: 'risk', audiences: [{ audience: 'risk-aud' }] });
    expect((await of('marketing', 'dead-letters')).deadLetters).toEqual([]);
    expect((await of('risk', 'dead-letters')).deadLetters).toMatchObject([{ emitterKey: 'risk-entered' }, { emitterKey: 'risk-entered' }]);
    // Marketing's --all is marketing's dead letters: none, so nothing is left pending.
    expect(await of('marketing', 'replay', '--all')).toMatchObject({ replayed: [], rejected: [], pending: [] });
  });

  it('force-unlock releases what another stack holds only when that stack is named', async () => {
    const dir = await twoStacksRun();
    // What a risk apply and a risk controller that died left behind.
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    let lockId: string;
    try {
      const attempt = await new LockStore(wh, 'LINKED_AUDIENCES').tryAcquire(stackLockName('risk'), { holder: 'ci@runner (pid 1)', operation: 'apply' });
      if (!attempt.acquired) throw new Error(`risk's lock is held: ${attempt.held.id}`);
      lockId = attempt.lock.id;
      expect(await new LeaseStore(wh, 'LINKED_AUDIENCES').acquire('risk-aud', 'controller:gone:1:x', 600_000)).toBe(true);
    } finally {
      await wh.close();
    }
    for (const id of [lockId, 'risk-aud']) {
      const refused = await linked(['force-unlock', id, '--dir', dir, '--stack', 'marketing']);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('LOCK_OTHER_STACK');
      expect(refused.stderr).toContain(`\`linked force-unlock ${id} --stack risk\``);
      expect((await linked(['force-unlock', id, '--dir', dir, '--stack', 'risk'])).status).toBe(0);
    }
  });

  it('the dashboard of a stack shows its own runs and deliveries', async () => {
    const dir = await twoStacksRun();
    const ui = spawnLinked(dir, ['ui', '--stack', 'marketing', '--port', '0', '--json']);
    daemons.push(ui);
    await ui.waitFor(/"url"/);
    const base = (JSON.parse(ui.output()) as { url: string }).url.replace(/\/$/, '');
    for (const page of ['/api/runs', '/api/deliveries']) {
      const body = await (await fetch(base + page)).text();
      expect(body, page).toContain('mkt-');
      expect(body, page).not.toContain('risk-');
    }
  });
});
