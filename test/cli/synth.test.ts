import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, cpSync, openSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { loadDesired, renderSummary, synthApp } from '../../src/manifest/index.js';
import { register as registerSynth } from '../../src/cli/commands/synth.js';
import { register as registerValidate } from '../../src/cli/commands/validate.js';
import { cleanup, tempDir } from '../constructs/helpers.js';
import { writeUserProject } from '../support/installed-package.js';
import { linkedInProcess } from '../support/linked-cli.js';

afterAll(cleanup);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const linked = (args: string[], env: NodeJS.ProcessEnv = {}) => linkedInProcess(args, { env });

/**
 * A new user's project: its own directory, package.json and cdktf.json, and linked-audiences
 * installed as a dependency (a symlink to this checkout, as `npm link` would make it).
 */
function userProject(main: string): string {
  const dir = tempDir('la-user-app-');
  writeUserProject(dir, main, { name: 'my-audiences' });
  return dir;
}

const USER_APP = `
import { App, LinkedAudiencesStack, Warehouse, DataGraph, Audience, Destination, EventEmitter, Trigger,
  Schedule, all, trait, col, event, days, secret } from 'linked-audiences';

const app = new App();
const stack = new LinkedAudiencesStack(app, 'marketing', { warehouse: Warehouse.duckdb({ path: 'warehouse.duckdb' }) });
const graph = new DataGraph(stack, 'graph', {
  profile: { table: 'main.profiles', id: 'user_id', traits: ['email', 'plan'], identifiers: ['user_id'] },
  events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'props' },
});
const account = graph.entity('account', { table: 'main.accounts', primaryKey: 'id' });
const accounts = graph.profile.relate('accounts', account, { identifier: 'user_id', column: 'user_id' });
const rich = new Audience(stack, 'rich', {
  enabled: true,
  schedule: Schedule.every('1h'),
  where: all(trait('plan').equals('premium'), accounts.where(col('balance').gt(10000)), event('Login').within(days(7))),
});
const braze = Destination.braze(stack, 'braze', { apiKey: secret('BRAZE_API_KEY'), appId: 'app-1', endpoint: 'https://rest.iad-01.braze.com' });
const hook = Destination.webhook(stack, 'hook', { url: 'http://127.0.0.1:9/hook', headers: { Authorization: secret('HOOK_TOKEN') } });
new EventEmitter(stack, 'rich-accounts', { audience: rich, destination: braze, trigger: Trigger.entityAdded(accounts) });
new EventEmitter(stack, 'rich-entered', { audience: rich, destination: hook, trigger: Trigger.audienceEntered() });
app.synth();
`;

const canaries = { BRAZE_API_KEY: 'canary-braze-5f1c0e', HOOK_TOKEN: 'canary-hook-99a2b7' };
let userAppSynth: Promise<{ dir: string; synth: Awaited<ReturnType<typeof linked>> }> | undefined;

/**
 * USER_APP in its project, synthesized by `linked synth` (with canary secrets in the environment),
 * once for the file: the first test checks that synth, and the re-synth test starts from a copy
 * of its project rather than synthesizing the same app again.
 */
function synthesizedUserApp() {
  userAppSynth ??= (async () => {
    const dir = userProject(USER_APP);
    return { dir, synth: await linked(['synth', '--dir', dir, '--json'], canaries) };
  })();
  return userAppSynth;
}

describe('linked synth / validate, as a new user runs them', () => {
  it('synthesizes and validates a user app in its own directory, with no secret value in cdktf.out', async () => {
    const { dir, synth } = await synthesizedUserApp();
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    const result = JSON.parse(synth.stdout);
    expect(result.outDir).toBe(join(dir, 'cdktf.out'));
    expect(result.stacks).toEqual([{ name: 'marketing', file: join(dir, 'cdktf.out', 'stacks', 'marketing', 'cdk.tf.json'), resources: 6 }]);

    const validate = await linked(['validate', '--dir', dir, '--json']);
    expect(validate.status).toBe(0);
    const summary = JSON.parse(validate.stdout);
    expect(summary.valid).toBe(true);
    expect(summary.stacks[0]).toMatchObject({
      stack: 'marketing',
      warehouse: 'duckdb warehouse.duckdb',
      counts: { entities: 1, relationships: 1, classicAudiences: 0, audiences: 1, enabledAudiences: 1, destinations: 2, emitters: 2 },
    });

    expect(renderSummary(summary.stacks[0])).toContain('Stack marketing (duckdb warehouse.duckdb): valid');

    // D9: references travel, values never do.
    const files = readdirSync(join(dir, 'cdktf.out'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(1);
    const everything = files.map((e) => readFileSync(join(e.parentPath, e.name), 'utf8')).join('\n');
    for (const value of Object.values(canaries)) expect(everything).not.toContain(value);
    expect(everything).toContain('BRAZE_API_KEY');
    expect(everything).toContain('HOOK_TOKEN');
  });

  it('fails the synth with each invalid construct path and message, exit code 1', async () => {
    const broken = USER_APP.replace("col('balance').gt(10000)", "col('balance').gt(true as never)").replace("Schedule.every('1h')", "Schedule.cron('99 * * * *')");
    const dir = userProject(broken);
    const r = await linked(['synth', '--dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Error [SYNTH_FAILED]: The app (tsx main.ts) failed in');
    expect(r.stderr).toContain('[marketing/rich] condition.conditions[1].where.value.literal: expected number or string, received boolean (for operator "gt")');
    // The cron is checked with the other cross-resource checks, once every resource parses.
  });

  it('refuses an entity that no relationship of the graph reaches, with the guide\'s message for that entity', async () => {
    const unrelated = USER_APP.replace(
      "const accounts = graph.profile.relate(",
      "graph.entity('loan', { table: 'main.loans', primaryKey: 'loan_id' });\nconst accounts = graph.profile.relate(",
    );
    const r = await linked(['synth', '--dir', userProject(unrelated)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      '[marketing/graph] Entity relationship not in Data Graph for entity loan (at entities[1].slug) Conditions, entity triggers and enrichment reach an entity through a relationship only: relate it',
    );
    expect(r.stderr).not.toContain('marketing/rich');
  });

  it('names a syntax error by file and line, without the frames of tsx and esbuild', async () => {
    const dir = userProject(`${USER_APP}\nconst broken: number = ;\n`);
    const error = await synthApp(dir, { quiet: true }).then(() => undefined, (e: Error & { code?: string }) => e);
    expect(error).toMatchObject({ code: 'SYNTH_FAILED' });
    expect(error!.message).toMatch(/main\.ts:\d+:\d+: ERROR: Unexpected ";"/);
    expect(error!.message).not.toContain('node_modules');
    expect(error!.message).not.toMatch(/^\s+at .*node:internal/m);
  });

  it('reports an invalid cron with the construct path once the schema is satisfied (synthApp, in process)', async () => {
    const dir = userProject(USER_APP.replace("Schedule.every('1h')", "Schedule.cron('99 * * * *')"));
    await expect(synthApp(dir, { quiet: true })).rejects.toMatchObject({
      code: 'SYNTH_FAILED',
      message: expect.stringContaining('[marketing/rich] Invalid cron expression "99 * * * *"'),
    });
  });

  it('explains a missing cdktf.json and a missing synth', async () => {
    const dir = tempDir('la-empty-');
    await expect(synthApp(dir)).rejects.toMatchObject({ code: 'CDKTF_JSON_MISSING', message: expect.stringMatching(/^No cdktf.json in /) });
    const validate = await linked(['validate', '--dir', dir, '--json']);
    expect(validate.status).toBe(1);
    expect(JSON.parse(validate.stdout).error).toMatchObject({ code: 'MANIFEST_MISSING' });
  });

  it('--help explains both commands', () => {
    const program = new Command('linked');
    registerSynth(program);
    registerValidate(program);
    const [synth, validate] = program.commands.map((c) => {
      let out = '';
      c.configureOutput({ writeOut: (s) => (out += s) });
      c.outputHelp();
      return out;
    });
    expect(synth).toContain("run the app as the project's cdktf.json says");
    expect(synth).toContain('--dir <dir>');
    expect(synth).toContain('--json');
    expect(validate).toContain('--stack <stack>');
    expect(validate).toContain('no ${...} expressions');
  });
});

describe('the examples synthesize and validate', () => {
  // airline and ecommerce: test/examples/*-data.test.ts, on the app their suites synthesize.
  it('examples/bank: four audiences using every condition kind, two destinations, every trigger; `linked test --synth` passes its tests', async () => {
    const outDir = join(tempDir('la-example-'), 'cdktf.out');
    const tested = await linked(['test', '--dir', join(ROOT, 'examples', 'bank'), '--out-dir', outDir, '--synth']);
    expect(tested.stdout).toMatch(/Tests: \d+ passed, \d+ total/);
    expect(tested.stdout).not.toContain('FAIL');
    expect(tested.status).toBe(0);
    const d = await loadDesired(outDir);
    expect({ audiences: d.audiences.length, destinations: d.destinations.length, emitters: d.emitters.length, classicAudiences: d.classicAudiences.length }).toEqual({
      audiences: 4,
      destinations: 2,
      emitters: 5,
      classicAudiences: 1,
    });
    const kinds = new Set<string>();
    const visit = (c: unknown): void => {
      if (!c || typeof c !== 'object') return;
      const node = c as Record<string, unknown>;
      if (typeof node.kind === 'string') kinds.add(node.kind);
      Object.values(node).forEach((v) => (Array.isArray(v) ? v.forEach(visit) : visit(v)));
    };
    d.audiences.forEach((a) => visit(a.condition));
    expect([...kinds].sort()).toEqual(['and', 'audience', 'column', 'entity', 'event', 'not', 'or', 'trait']);
    expect(d.emitters.map((e) => e.trigger).sort()).toEqual(['audience_entered', 'audience_exited', 'audience_membership_changed', 'entity_added', 'entity_removed']);
    expect(d.warehouse).toMatchObject({ type: 'duckdb', path: 'bank.duckdb' });
    expect(d.audiences.find((a) => a.key === 'vip-upsell')?.enabled).toBe(false);
  });
  it('plan, validate and preview synthesize again when the sources changed; --no-synth refuses a stale plan', async () => {
    const synthesized = await synthesizedUserApp();
    expect(synthesized.synth.status).toBe(0);
    const dir = tempDir('la-user-app-');
    cpSync(synthesized.dir, dir, { recursive: true, verbatimSymlinks: true });
    const stack = () => readFileSync(join(dir, 'cdktf.out', 'stacks', 'marketing', 'cdk.tf.json'), 'utf8');
    expect(stack()).toContain('premium');
    writeFileSync(join(dir, 'main.ts'), USER_APP.replace("equals('premium')", "equals('gold')"));
    const earlier = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'cdktf.out', 'manifest.json'), earlier, earlier);

    const refused = await linked(['plan', '--dir', dir, '--no-synth', '--json']);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout).error).toEqual({
      code: 'SYNTH_STALE',
      message: 'cdktf.out is out of date (main.ts changed after the last synth): run `linked synth` first, or drop --no-synth.',
    });

    const validate = await linked(['validate', '--dir', dir]);
    expect(validate.status).toBe(0);
    expect(validate.stderr).toBe('Synthesizing (main.ts changed after the last synth)...\n');
    expect(stack()).toContain('gold');
    // Current again: nothing to synthesize, --no-synth is happy.
    expect((await linked(['validate', '--dir', dir, '--no-synth'])).stderr).toBe('');
  }, 120_000);

  it("a command's output redirected into the project is not a source, then or for the commands after it, until edited", async () => {
    const synthesized = await synthesizedUserApp();
    expect(synthesized.synth.status).toBe(0);
    const dir = tempDir('la-user-app-');
    cpSync(synthesized.dir, dir, { recursive: true, verbatimSymlinks: true });
    // The copy's sources as old as the synth they were synthesized by.
    const earlier = new Date(Date.now() - 60_000);
    for (const f of readdirSync(dir, { withFileTypes: true })) if (f.isFile()) utimesSync(join(dir, f.name), earlier, earlier);
    // The real bin, its stdout and stderr files in the project as a shell's `> validate.txt 2> validate.err` makes them.
    const validateInto = (out: string, err: string) => {
      const fds = [openSync(join(dir, out), 'w'), openSync(join(dir, err), 'w')];
      try {
        return spawnSync(process.execPath, [join(ROOT, 'bin/linked.js'), 'validate', '--dir', dir, '--no-synth'], { stdio: ['ignore', ...fds], env: { ...process.env, NO_COLOR: '1' } }).status;
      } finally {
        fds.forEach(closeSync);
      }
    };

    expect(validateInto('validate.txt', 'validate.err')).toBe(0);
    expect(readFileSync(join(dir, 'validate.err'), 'utf8')).toBe('');
    expect(readFileSync(join(dir, 'validate.txt'), 'utf8')).toContain('Stack marketing');
    // Both files are newer than the synth; the next command, into files of its own, knows them as output.
    expect(validateInto('again.txt', 'again.err')).toBe(0);
    expect(readFileSync(join(dir, 'again.err'), 'utf8')).toBe('');
    expect((await linked(['validate', '--dir', dir, '--no-synth'])).stderr).toBe('');

    // Edited afterwards, a file is a source like any other.
    appendFileSync(join(dir, 'validate.txt'), 'notes\n');
    expect((await linked(['validate', '--dir', dir, '--no-synth'])).stderr).toBe(
      'Warning: cdktf.out is out of date (validate.txt changed after the last synth): run `linked synth` first, or drop --no-synth.\n',
    );
  }, 120_000);

  it("cdktf.json's output, nested, is where synth writes and every command reads, default stack and state alike", async () => {
    const synthesized = await synthesizedUserApp();
    expect(synthesized.synth.status).toBe(0);
    const dir = tempDir('la-user-app-');
    cpSync(synthesized.dir, dir, { recursive: true, verbatimSymlinks: true });
    rmSync(join(dir, 'cdktf.out'), { recursive: true });
    const cdktfJson = JSON.parse(readFileSync(join(dir, 'cdktf.json'), 'utf8'));
    writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ ...cdktfJson, output: 'build/cdktf.out' }));
    const out = join(dir, 'build', 'cdktf.out');

    // cdktn's App makes only the last folder of its output: the synth makes the rest.
    const synth = await linked(['synth', '--dir', dir, '--json'], canaries);
    expect(synth.status, synth.stdout + synth.stderr).toBe(0);
    expect(JSON.parse(synth.stdout).outDir).toBe(out);
    // Commands that read the synthesized app find it there, not in <dir>/cdktf.out: the stack's
    // warehouse (a file this project has not made) is what they stop at.
    for (const command of ['status', 'plan', 'runs']) {
      const r = await linked([command, '--dir', dir, '--no-synth', '--json'].filter((a) => command === 'plan' || a !== '--no-synth'), canaries);
      expect([command, JSON.parse(r.stdout).error?.code]).toEqual([command, 'WAREHOUSE_MISSING']);
    }
    utimesSync(join(out, 'manifest.json'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    writeFileSync(join(dir, 'main.ts'), USER_APP.replace("equals('premium')", "equals('gold')"));
    const refused = await linked(['plan', '--dir', dir, '--no-synth', '--json'], canaries);
    expect(JSON.parse(refused.stdout).error).toEqual({
      code: 'SYNTH_STALE',
      message: 'build/cdktf.out is out of date (main.ts changed after the last synth): run `linked synth` first, or drop --no-synth.',
    });
  });
});
