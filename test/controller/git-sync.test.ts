import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSync } from '../../src/controller/git-sync.js';
import { lastSynthOf } from '../../src/controller/home.js';
import { syncOnce } from '../../src/controller/sync-loop.js';
import type { Desired } from '../../src/model/desired.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { GitFixture } from '../github/git-fixture.js';
import { installThisPackage } from '../support/installed-package.js';
import { recordingWarehouse, type RecordedStatement } from '../support/recording-warehouse.js';

/*
 * `linked run --git`'s steps (GitSync) under syncOnce, against a real git repository and a real
 * synth: the app is a team's main.ts run by tsx, preceded by a script that counts every synth and
 * fails it while a flag file exists (a registry that is down for one attempt).
 */
describe('GitSync: synthesizes a commit once, plans it at every attempt', () => {
  let repo: GitFixture;
  let home: string;
  let counter: string;
  let failFlag: string;
  let sync: GitSync;
  const planned: Desired[] = [];

  function project(audiences: string[]): Record<string, string> {
    const declared = audiences
      .map((key) => `new Audience(stack, '${key}', { enabled: true, schedule: Schedule.every('1h'), where: trait('plan').equals('${key}') });`)
      .join('\n');
    return {
      '.gitignore': 'cdktf.out\nnode_modules\n',
      'cdktf.json': JSON.stringify({ language: 'typescript', app: 'node count-synth.mjs && tsx main.ts' }),
      'count-synth.mjs': `import { appendFileSync, existsSync } from 'node:fs';
appendFileSync(${JSON.stringify(counter)}, 'synth\\n');
if (existsSync(${JSON.stringify(failFlag)})) {
  console.error('Error: the package registry did not answer');
  process.exit(1);
}
`,
      'main.ts': `import { App, Audience, DataGraph, LinkedAudiencesStack, Schedule, Warehouse, trait } from 'linked-audiences';
const app = new App();
const stack = new LinkedAudiencesStack(app, 'marketing', { warehouse: Warehouse.duckdb({ path: 'warehouse.duckdb' }) });
new DataGraph(stack, 'graph', { profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'], identifiers: ['user_id'] } });
${declared}
app.synth();
`,
    };
  }

  beforeAll(async () => {
    repo = new GitFixture();
    installThisPackage(repo.root);
    home = repo.dir('controller');
    counter = repo.dir('synths.txt');
    failFlag = repo.dir('registry-down');
    mkdirSync(home);
    const wh = await openDuckDb(join(home, 'warehouse.duckdb'));
    try {
      await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, plan VARCHAR)`);
      await wh.query(`INSERT INTO main.profiles VALUES ('u1', 'gold'), ('u2', 'silver')`);
    } finally {
      await wh.close();
    }
    sync = new GitSync({ dir: home, daemon: { deliver: false }, onDesired: (d) => planned.push(d) });
  });
  afterAll(async () => {
    await sync.stop();
    repo.dispose();
  });

  const attempt = () => syncOnce({ repo: repo.origin, branch: 'main', workdir: join(home, '.linked', 'checkout'), prune: false, steps: sync.steps });
  const synths = () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0);
  const audiences = () => planned.at(-1)!.audiences.map((a) => a.key).sort();

  it('skips the synth of an unchanged commit, synthesizes a new one, and retries a failed one', async () => {
    const c1 = repo.commit(project(['gold']), 'Gold');
    expect(await attempt()).toMatchObject({ status: 'synced', commit: c1, applied: true, computed: true });
    expect(synths()).toBe(1);

    // The same commit: planned again (against the warehouse, where drift shows), not synthesized.
    for (let i = 0; i < 2; i++) expect(await attempt()).toMatchObject({ status: 'synced', commit: c1, applied: false, computed: true });
    expect(synths()).toBe(1);
    expect(planned).toHaveLength(3);

    // A new commit whose synth fails: the last good output stays, and the next attempt synthesizes it again.
    writeFileSync(failFlag, '');
    const c2 = repo.commit(project(['gold', 'silver']), 'Silver');
    expect(await attempt()).toMatchObject({ status: 'failed', commit: c2, failedStep: 'synth', computed: true });
    expect(synths()).toBe(2);
    expect(existsSync(join(lastSynthOf(home), 'manifest.json'))).toBe(true);
    rmSync(failFlag);
    expect(await attempt()).toMatchObject({ status: 'synced', commit: c2, applied: true });
    expect(synths()).toBe(3);
    expect(audiences()).toEqual(['gold', 'silver']);
    expect(await attempt()).toMatchObject({ status: 'synced', commit: c2, applied: false });
    expect(synths()).toBe(3);

    // The output gone (removed by hand): synthesized again.
    rmSync(lastSynthOf(home), { recursive: true });
    expect(await attempt()).toMatchObject({ status: 'synced', commit: c2, applied: false });
    expect(synths()).toBe(4);
  }, 120_000);

  it('with a look interval, ticks between pulls leave the warehouse alone; each pull looks, and computes', async () => {
    // One daemon on the file at a time.
    await sync.stop();
    const sessions: RecordedStatement[][] = [];
    const paced = new GitSync({
      dir: home,
      daemon: { deliver: false, lookEveryMs: 60_000 },
      observe: (o) => ({
        ...o,
        open: async () => {
          const recorded = recordingWarehouse(await o.open());
          sessions.push(recorded.statements);
          return recorded.wh;
        },
      }),
    });
    const sent = () => sessions.flat().map((s) => s.sql);
    const beats = () => sent().filter((sql) => /^UPDATE "LINKED_AUDIENCES"\."controllers" SET "heartbeat_at"/.test(sql)).length;
    const pull = () => syncOnce({ repo: repo.origin, branch: 'main', workdir: join(home, '.linked', 'checkout'), prune: false, steps: paced.steps });
    try {
      await paced.resume();
      // Both audiences ran in the attempts above: nothing is due until the next hour.
      expect(await pull()).toMatchObject({ status: 'synced', computed: true });
      const firstBeats = beats();
      expect(firstBeats).toBeGreaterThan(0);
      const afterPull = sent().length;
      for (let i = 0; i < 3; i++) expect(await paced.tick()).toBeUndefined();
      // Not even the suspension is read.
      expect(sent().slice(afterPull)).toEqual([]);
      // The next pull plans against the warehouse, and its compute looks, quiet spell or not.
      expect(await pull()).toMatchObject({ status: 'synced', computed: true });
      expect(beats()).toBe(firstBeats + 1);
    } finally {
      await paced.stop();
    }
  }, 120_000);
});

describe('GitSync serving a new warehouse', () => {
  it('migrates the state before its delivery loop first looks at it', async () => {
    const repo = new GitFixture();
    installThisPackage(repo.root);
    const home = repo.dir('controller');
    mkdirSync(home);
    const wh = await openDuckDb(join(home, 'warehouse.duckdb'));
    await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, plan VARCHAR)`);
    await wh.close();
    const log: string[] = [];
    // Migrating a real warehouse takes a while: each DDL statement waits, so a look started
    // before the migration ends would read the state while it is half made.
    const slowDdl = (wh: Warehouse): Warehouse => ({
      ...wh,
      dialect: wh.dialect,
      query: async (sql, params, options) => {
        if (/^(CREATE|ALTER)\b/.test(sql)) await new Promise((r) => setTimeout(r, 20));
        return wh.query(sql, params, options);
      },
      stream: (...args) => wh.stream(...args),
      transaction: (fn) => wh.transaction(fn),
      describeTable: (t) => wh.describeTable(t),
      close: () => wh.close(),
    });
    const sync = new GitSync({
      dir: home,
      serve: true,
      daemon: { pollMs: 50, log: (l) => log.push(l) },
      observe: (o) => ({ ...o, open: async () => slowDdl(await o.open()) }),
      log: (l) => log.push(l),
    });
    try {
      repo.commit(
        {
          'cdktf.json': JSON.stringify({ language: 'typescript', app: 'tsx main.ts' }),
          'main.ts': `import { App, DataGraph, LinkedAudiencesStack, Warehouse } from 'linked-audiences';
const app = new App();
const stack = new LinkedAudiencesStack(app, 'marketing', { warehouse: Warehouse.duckdb({ path: 'warehouse.duckdb' }) });
new DataGraph(stack, 'graph', { profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'], identifiers: ['user_id'] } });
app.synth();
`,
        },
        'A graph',
      );
      expect(await syncOnce({ repo: repo.origin, branch: 'main', workdir: join(home, '.linked', 'checkout'), prune: false, steps: sync.steps })).toMatchObject({ status: 'synced' });
      // Several looks of the delivery loop.
      await new Promise((r) => setTimeout(r, 300));
      expect(log.filter((l) => /look failed/.test(l))).toEqual([]);
    } finally {
      await sync.stop();
      repo.dispose();
    }
  }, 120_000);
});
