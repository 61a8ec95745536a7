import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { GitFixture } from '../github/git-fixture.js';
import { linked } from '../plan/cli-project.js';
import { desired, rawDesired, writeManifest } from '../plan/fixtures.js';
import { installThisPackage } from '../support/installed-package.js';

const BIN = fileURLToPath(new URL('../../bin/linked.js', import.meta.url));

/*
 * `linked run --git` as real processes against a real git repository: a team's project (its own
 * main.ts importing linked-audiences) is pushed commit by commit, and the controller pulls,
 * synthesizes, plans, applies (deletes only with --prune) and computes each one.
 */

function project(audiences: string[], extra = ''): Record<string, string> {
  const declared = audiences
    .map(
      (key) =>
        `new Audience(stack, '${key}', { enabled: true, schedule: Schedule.every('1h'), where: trait('plan').equals('${key}') });`,
    )
    .join('\n');
  return {
    '.gitignore': 'cdktf.out\nnode_modules\n',
    'cdktf.json': JSON.stringify({ language: 'typescript', app: 'tsx main.ts' }),
    'main.ts': `import { App, Audience, DataGraph, LinkedAudiencesStack, Schedule, Warehouse, trait } from 'linked-audiences';
const app = new App();
const stack = new LinkedAudiencesStack(app, 'marketing', { warehouse: Warehouse.duckdb({ path: 'warehouse.duckdb' }) });
new DataGraph(stack, 'graph', {
  profile: { table: 'main.profiles', id: 'user_id', traits: ['email', 'plan'], identifiers: ['user_id'] },
  events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'props' },
});
${declared}
${extra}
app.synth();
`,
  };
}

describe('linked run --git', () => {
  let repo: GitFixture;
  let home: string;
  beforeAll(async () => {
    repo = new GitFixture();
    // The checkout resolves linked-audiences from an enclosing node_modules, as an installed dependency.
    installThisPackage(repo.root);
    home = repo.dir('controller');
    mkdirSync(home);
    const wh = await openDuckDb(join(home, 'warehouse.duckdb'));
    try {
      await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, email VARCHAR, plan VARCHAR)`);
      await wh.query(`CREATE TABLE main.events (user_id VARCHAR, event VARCHAR, ts TIMESTAMP, props JSON)`);
      await wh.query(`INSERT INTO main.profiles VALUES ('u1', 'a@x', 'gold'), ('u2', 'b@x', 'gold'), ('u3', 'c@x', 'silver')`);
    } finally {
      await wh.close();
    }
  });
  afterAll(() => repo.dispose());

  const runOnce = async (...extra: string[]) => {
    const r = await linked(['run', '--git', repo.origin, '--dir', home, '--once', '--json', ...extra]);
    const lines = r.stdout.trim().split('\n').filter(Boolean);
    return { ...r, sync: lines.length ? JSON.parse(lines.at(-1)!).sync : undefined };
  };
  const status = async () => {
    const r = await linked(['status', '--dir', home, '--json']);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { audiences: { audience: string; status: string; size: number | null }[]; sync: Record<string, unknown> };
  };

  it('applies and computes each pushed commit; deletes wait for --prune; a broken commit keeps the last synced one; suspend holds', async () => {
    const c1 = repo.commit(project(['gold', 'silver']), 'Gold and silver audiences');
    const first = await runOnce();
    expect(first.status, first.stderr).toBe(0);
    expect(first.sync).toMatchObject({ status: 'synced', commit: c1, syncedCommit: c1, applied: true, computed: true, pendingDeletes: 0 });
    let s = await status();
    expect(s.sync).toMatchObject({ status: 'synced', lastSyncedCommit: c1, source: repo.origin, branch: 'main' });
    expect(s.audiences.map((a) => [a.audience, a.status, a.size])).toEqual([
      ['gold', 'Live', 2],
      ['silver', 'Live', 1],
    ]);

    const text = await linked(['status', '--dir', home]);
    expect(text.stdout).toContain(`Sync: synced from ${repo.origin} (main)`);
    expect(text.stdout).toContain(`last synced commit ${c1.slice(0, 12)} at `);

    // Silver removed from git, bronze added: bronze is applied, silver stays until --prune.
    const c2 = repo.commit(project(['gold', 'bronze']), 'Bronze replaces silver');
    const second = await runOnce();
    expect(second.status, second.stderr).toBe(0);
    expect(second.sync).toMatchObject({ status: 'out of sync', commit: c2, applied: true, pendingDeletes: 1 });
    expect(second.sync.message).toBe('1 resource removed from git still exists: deleting needs --prune');
    s = await status();
    expect(s.audiences.map((a) => a.audience).sort()).toEqual(['bronze', 'gold', 'silver']);

    const pruned = await runOnce('--prune');
    expect(pruned.sync).toMatchObject({ status: 'synced', commit: c2, applied: true, pendingDeletes: 0 });
    s = await status();
    expect(s.audiences.map((a) => a.audience).sort()).toEqual(['bronze', 'gold']);

    // A commit whose app fails validation fails the synth; the last synced commit stays c2 and compute still runs.
    const c3 = repo.commit(project(['gold', 'bronze'], "new Audience(stack, 'broken', { schedule: Schedule.cron('99 * * * *'), where: trait('plan').equals('x') });"), 'Broken');
    const broken = await runOnce();
    expect(broken.status).toBe(1);
    expect(broken.sync).toMatchObject({ status: 'failed', commit: c3, failedStep: 'synth', computed: true });
    expect(broken.sync.message).toContain('Invalid cron expression "99 * * * *"');
    s = await status();
    expect(s.sync).toMatchObject({ status: 'failed', lastSyncedCommit: c2, attemptedCommit: c3 });

    // Suspended: nothing is fetched, applied or computed, even by a restarted controller.
    const suspend = await linked(['sync', 'suspend', '--dir', home]);
    expect(suspend.status, suspend.stderr).toBe(0);
    repo.commit(project(['gold', 'bronze', 'platinum']), 'Platinum');
    const held = await runOnce();
    expect(held.sync).toMatchObject({ status: 'suspended', commit: null, applied: false, computed: false });
    expect((await status()).audiences.map((a) => a.audience)).not.toContain('platinum');

    await linked(['sync', 'resume', '--dir', home]);
    const resumed = await runOnce();
    expect(resumed.sync).toMatchObject({ status: 'synced', applied: true });
    expect((await status()).audiences.map((a) => a.audience)).toContain('platinum');

    // The audit joins each apply with its commit in the author's clone.
    const audit = await linked(['audit', '--dir', home, '--format', 'json', '--repo', repo.author]);
    expect(audit.status, audit.stderr).toBe(0);
    const records = JSON.parse(audit.stdout).entries as { commit: string; author: string; subject: string; changes: { address: string; action: string }[] }[];
    const byCommit = (c: string) => records.filter((r) => r.commit === c);
    expect(byCommit(c1)).toEqual([expect.objectContaining({ author: 'Ana Lyst <ana@example.com>', subject: 'Gold and silver audiences' })]);
    expect(byCommit(c2).flatMap((r) => r.changes.map((c) => `${c.action} ${c.address}`)).sort()).toEqual([
      'create audience.bronze',
      'delete audience.silver',
    ]);
  }, 180_000);

  it('keeps pulling on its interval until SIGTERM, picking up each new commit', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '--git', repo.origin, '--dir', home, '--interval', '1s', '--tick-seconds', '1'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((done) => child.on('close', done));
    const waitFor = async (text: string) => {
      for (let i = 0; i < 600 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out, `waiting for "${text}"`).toContain(text);
    };
    await waitFor('sync synced');
    const next = repo.commit(project(['gold', 'bronze', 'platinum', 'diamond']), 'Diamond');
    await waitFor(`sync synced ${next.slice(0, 12)} (applied, computed)`);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('SIGTERM: finishing the current step, then stopping');
    expect(out.trimEnd().endsWith('stopped')).toBe(true);
  }, 120_000);

  it('refuses --prune without --git, and a bad --interval', async () => {
    const prune = await linked(['run', '--prune', '--dir', home]);
    expect(prune.status).toBe(1);
    expect(prune.stderr).toContain('--prune and --workdir need --git.');
    const interval = await linked(['run', '--git', repo.origin, '--dir', home, '--interval', 'soon']);
    expect(interval.status).toBe(1);
    expect(interval.stderr).toContain('--interval must be a duration such as 30s, 5m or 500ms (got "soon")');
  });
});

describe('linked status before the first sync of linked run --git', () => {
  let repo: GitFixture;
  beforeAll(() => {
    repo = new GitFixture();
  });
  afterAll(() => repo.dispose());

  it('says the first sync has not completed (text and JSON) and shows what state there is; elsewhere the error names the fix', async () => {
    // The first commit's app fails: the controller holds a checkout, and nothing is synthesized to its home.
    const commit = repo.commit({ ...project(['gold']), 'main.ts': "throw new Error('not ready yet');\n" }, 'Broken start');
    const home = repo.dir('first-sync');
    mkdirSync(home);
    const run = await linked(['run', '--git', repo.origin, '--dir', home, '--once', '--json']);
    expect(run.status).toBe(1);

    const text = await linked(['status', '--dir', home]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('No applied audiences.');
    expect(text.stdout).toContain(`Sync: waiting for the first sync from ${repo.origin} (main)`);
    expect(text.stdout).toContain(
      `checked out ${commit.slice(0, 12)}; the first sync of \`linked run --git\` has not completed: nothing is synthesized to ${join(home, 'cdktf.out')} yet`,
    );
    const json = await linked(['status', '--dir', home, '--json']);
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      audiences: [],
      delivery: [],
      sync: { status: 'pending', source: repo.origin, branch: 'main', attemptedCommit: commit, message: expect.stringContaining('has not completed') },
      controllers: [],
    });

    // Synthesized but nothing recorded yet (as while the first plan runs): the state is read, the sync still pending.
    const wh = await openDuckDb(join(home, 'w.duckdb'));
    await wh.close();
    writeManifest(home, desired(rawDesired('w.duckdb', 1)));
    const synthesized = await linked(['status', '--dir', home, '--json']);
    expect(synthesized.status, synthesized.stderr).toBe(0);
    expect(JSON.parse(synthesized.stdout)).toMatchObject({ audiences: [], sync: { status: 'pending', attemptedCommit: commit, message: expect.stringContaining('nothing is recorded yet') } });

    // Neither a project nor a controller's home: the error says what to do for each.
    const elsewhere = await linked(['status', '--dir', repo.dir('elsewhere')]);
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stderr).toContain('MANIFEST_MISSING');
    expect(elsewhere.stderr).toContain('run "linked synth" in the project directory first (for the state of a `linked run --git` controller, give --dir its home)');
  }, 120_000);
});
