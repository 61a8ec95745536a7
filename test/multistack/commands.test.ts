import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../activation/helpers.js';
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

/** Both stacks applied, computed and delivered to a webhook on 127.0.0.1. */
async function twoStacksRun(): Promise<string> {
  server = await startServer();
  const dir = await multiStackProject(marketingAndRisk(server.url));
  for (const stack of ['marketing', 'risk']) {
    for (const args of [['apply', '--auto-approve'], ['run', '--once']]) {
      const r = await linked([...args, '--dir', dir, '--stack', stack]);
      expect(r.status, r.stderr + r.stdout).toBe(0);
    }
  }
  return dir;
}


describe('a stack beside another in one state schema', () => {
  it('gc collects the shared state (every stack\'s emitters count)', async () => {
    const dir = await twoStacksRun();
    expect(await linkedJson(['gc', '--dir', dir, '--stack', 'marketing', '--json'])).toMatchObject({ dryRun: false, total: 0 });
  });
});
