import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlan } from '../../src/plan/build.js';
import { savePlan } from '../../src/plan/planfile.js';
import { ApplyLogStore } from '../../src/state/apply/apply-log.js';
import { canonicalJson, sha256 } from '../../src/state/canonical.js';
import { migrateState } from '../../src/state/migrate.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { desired, rawDesired, tempDir, writeManifest } from '../plan/fixtures.js';
import { linked, makeProject } from '../plan/cli-project.js';

describe('linked apply <planfile> (CLI process)', () => {
  it('applies a saved plan with CI provenance, then refuses it as stale', async () => {
    const dir = tempDir();
    const d = desired(rawDesired('w.duckdb', 2));
    let wh = await openDuckDb(join(dir, 'w.duckdb'));
    await migrateState(wh, 'LINKED_AUDIENCES');
    const plan = await buildPlan(wh, d);
    await wh.close();
    const file = join(dir, 'plan.json');
    savePlan(file, plan);

    const ci = { GITHUB_ACTIONS: 'true', GITHUB_SHA: 'c'.repeat(40), GITHUB_REF: 'refs/pull/7/merge', GITHUB_HEAD_REF: 'add-vip', GITHUB_ACTOR: 'octocat' };
    const ok = await linked(['apply', file, '--dir', dir], ci);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^\nApply complete: 5 added, 0 changed, 0 replaced, 0 destroyed \(apply [0-9a-f-]{36}\)\.\n$/);

    const stale = await linked(['apply', file, '--dir', dir]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/^Error \[PLAN_STALE\]: The saved plan is stale: the state of stack "marketing" changed since the plan was made/);

    wh = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      const log = await new ApplyLogStore(wh, 'LINKED_AUDIENCES').read();
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ appliedBy: 'octocat', commitSha: 'c'.repeat(40), branch: 'add-vip', prNumber: 7, planHash: plan.planHash });
    } finally {
      await wh.close();
    }
  }, 180_000);

  it('refuses a saved plan once cdktf.out holds another synth of its stack', async () => {
    const { dir, raw, write } = await makeProject(2);
    const file = join(dir, 'plan.json');
    expect((await linked(['plan', '--dir', dir, '--no-synth', '--out', file])).status).toBe(0);
    write(rawDesired('w.duckdb', 3)); // a later synth: one audience more than the plan saw
    const changed = await linked(['apply', file, '--dir', dir, '--no-synth']);
    expect(changed.status).toBe(1);
    expect(changed.stderr).toMatch(/^Error \[PLAN_MANIFEST_CHANGED\]: .*plan\.json was made from another synth of stack "?marketing"?.*linked plan --out/);
    write(raw); // back to what the plan was made from: it applies
    expect((await linked(['apply', file, '--dir', dir, '--no-synth'])).status).toBe(0);
  }, 180_000);

  it('checks a saved plan against the synthesized output --out-dir names, not the project\'s cdktf.out', async () => {
    const { dir, write } = await makeProject(2);
    // The pipeline synthesizes to build/cdktf.out; the project's own cdktf.out holds a later synth.
    const outDir = join(dir, 'build', 'cdktf.out');
    writeManifest(join(dir, 'build'), desired(rawDesired('w.duckdb', 2)));
    write(rawDesired('w.duckdb', 3));
    const file = join(dir, 'plan.json');
    expect((await linked(['plan', '--dir', dir, '--out-dir', outDir, '--no-synth', '--out', file])).status).toBe(0);

    // Made from --out-dir: it applies, though cdktf.out holds another synth.
    const ofOutDir = await linked(['apply', file, '--dir', dir, '--out-dir', outDir, '--no-synth']);
    expect([ofOutDir.status, ofOutDir.stderr]).toEqual([0, '']);
    expect(ofOutDir.stdout).toMatch(/Apply complete: 5 added/);

    // A plan of cdktf.out's synth does not match --out-dir: refused, naming the directory compared.
    const other = join(dir, 'other.json');
    expect((await linked(['plan', '--dir', dir, '--no-synth', '--out', other])).status).toBe(0);
    const refused = await linked(['apply', other, '--dir', dir, '--out-dir', outDir, '--no-synth']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^Error \[PLAN_MANIFEST_CHANGED\]: .*other\.json was made from another synth of stack "?marketing"? \(manifest [0-9a-f]{12}, /);
    expect(refused.stderr).toContain(`, ${outDir} now `);
  }, 180_000);

  it('refuses a saved plan of another stack than --stack names, writing nothing', async () => {
    const { dir } = await makeProject(2);
    const file = join(dir, 'plan.json');
    expect((await linked(['plan', '--dir', dir, '--no-synth', '--out', file])).status).toBe(0);
    const other = await linked(['apply', file, '--dir', dir, '--no-synth', '--stack', 'risk']);
    expect(other.status).toBe(1);
    expect(other.stderr).toBe(
      `Error [PLAN_STACK_MISMATCH]: ${file} is a plan of stack "marketing", not of "risk": drop --stack to apply it, or make the plan of "risk" with \`linked plan --stack risk --out <file>\`.\n`,
    );
    const untouched = await linked(['plan', '--dir', dir, '--no-synth', '--detailed-exitcode']);
    expect(untouched.status, 'the state is untouched: the plan still has every change').toBe(2);
    expect((await linked(['apply', file, '--dir', dir, '--no-synth', '--stack', 'marketing'])).status).toBe(0);
  }, 180_000);

  it('applies a plan saved by a linked that did not record its synth yet, once its content matches cdktf.out', async () => {
    const { dir } = await makeProject(2);
    const file = join(dir, 'plan.json');
    expect((await linked(['plan', '--dir', dir, '--no-synth', '--out', file])).status).toBe(0);
    // As that linked saved it: format version 1 without manifestHash, its hash over the other fields.
    const { planHash: _planHash, manifestHash: _manifestHash, ...older } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...older, planHash: sha256(canonicalJson(older)) }, null, 2));
    const applied = await linked(['apply', file, '--dir', dir, '--no-synth']);
    expect(applied.stderr).toBe(
      `Warning: ${file} was saved by an older linked, which did not record the synth it was made from: applied as cdktf.out declares its changes and warehouse.\n`,
    );
    expect(applied.status).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete: 5 added, 0 changed, 0 replaced, 0 destroyed/);
  }, 180_000);

  it('refuses a plan edited to reach another warehouse, stack or spec, its hash recomputed, when cdktf.out holds the synth', async () => {
    const { dir } = await makeProject(2);
    const file = join(dir, 'plan.json');
    expect((await linked(['plan', '--dir', dir, '--no-synth', '--out', file])).status).toBe(0);
    const original = JSON.parse(readFileSync(file, 'utf8'));
    /** The plan with `edit` applied and its hash made again, as anyone can (it is a checksum, not a signature). */
    const tampered = (edit: (p: any) => void, name: string) => {
      const p = structuredClone(original);
      edit(p);
      const { planHash: _h, ...rest } = p;
      const path = join(dir, `${name}.json`);
      writeFileSync(path, JSON.stringify({ ...rest, planHash: sha256(canonicalJson(rest)) }, null, 2));
      return path;
    };
    mkdirSync(join(dir, 'elsewhere'));
    const cases: [string, (p: any) => void, RegExp][] = [
      ['warehouse', (p) => (p.warehouse.path = join(dir, 'elsewhere', 'other.duckdb')), /PLAN_NOT_OF_MANIFEST.*its warehouse is not the stack's/],
      ['older-warehouse', (p) => { delete p.manifestHash; p.warehouse.path = join(dir, 'elsewhere', 'other.duckdb'); }, /PLAN_NOT_OF_MANIFEST/],
      ['schema', (p) => (p.stateSchema = 'OTHER_STATE'), /PLAN_NOT_OF_MANIFEST.*state schema OTHER_STATE/],
      ['stack', (p) => (p.stack = 'evil'), /PLAN_STACK_UNKNOWN.*stack "evil", which cdktf.out does not hold \(it holds "marketing"\)/],
      [
        'spec',
        (p) => {
          const c = p.changes.find((x: any) => x.kind === 'audience');
          c.after = { ...c.after, name: 'injected' };
        },
        /PLAN_NOT_OF_MANIFEST.*its audience\.aud-0 is not the one the stack declares/,
      ],
      ['delete', (p) => (p.changes.find((x: any) => x.kind === 'audience').after = null), /PLAN_NOT_OF_MANIFEST.*it deletes audience\.aud-0, which the stack declares/],
    ];
    for (const [name, edit, message] of cases) {
      const r = await linked(['apply', tampered(edit, name), '--dir', dir, '--no-synth']);
      expect([r.status, r.stderr], name).toEqual([1, expect.stringMatching(message)]);
    }
    // Nothing was applied anywhere, nor a warehouse file made elsewhere.
    expect(execFileSync('ls', [join(dir, 'elsewhere')]).toString()).toBe('');
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      expect(await new ApplyLogStore(wh, 'LINKED_AUDIENCES').read().catch(() => [])).toEqual([]);
    } finally {
      await wh.close();
    }
    // The untouched plan still applies: no edited one changed the state before it.
    const applied = await linked(['apply', file, '--dir', dir, '--no-synth']);
    expect([applied.status, applied.stdout]).toEqual([0, expect.stringMatching(/Apply complete: 5 added/)]);
  }, 180_000);

  it('records a plan downloaded into a clean checkout as applied from its commit, not from uncommitted changes', async () => {
    const { dir, write } = await makeProject(2);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('config', 'user.name', 'Bea Author');
    git('config', 'user.email', 'bea@example.test');
    writeFileSync(join(dir, '.gitignore'), 'cdktf.out/\n*.duckdb*\n');
    git('add', '.');
    git('commit', '-q', '-m', 'audiences');
    // Any name, in a directory of its own: CI downloads the pull request's plan under the artifact's.
    mkdirSync(join(dir, 'artifacts'));
    const file = join(dir, 'artifacts', 'plan.json');
    expect((await linked(['plan', '--dir', dir, '--no-synth', '--out', file])).status).toBe(0);
    const applied = await linked(['apply', file, '--dir', dir, '--no-synth']);
    expect(applied.stderr).toBe('');
    expect(applied.status).toBe(0);
    const audit = await linked(['audit', '--dir', dir, '--json']);
    expect(JSON.parse(audit.stdout).entries).toMatchObject([{ commitSha: git('rev-parse', 'HEAD'), dirty: false }]);

    // A source file the commit does not hold still counts.
    writeFileSync(join(dir, 'extra.ts'), '// not committed\n');
    write(rawDesired('w.duckdb', 3));
    expect((await linked(['plan', '--dir', dir, '--no-synth', '--out', file])).status).toBe(0);
    const dirty = await linked(['apply', file, '--dir', dir, '--no-synth']);
    expect(dirty.stderr).toMatch(/^Warning: the working tree has uncommitted changes \(extra\.ts\);/);
  }, 180_000);

  it('saves a plan without following a link left under its temporary name', async () => {
    const dir = tempDir();
    const d = desired(rawDesired('w.duckdb', 1));
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    await migrateState(wh, 'LINKED_AUDIENCES');
    const plan = await buildPlan(wh, d).finally(() => wh.close());
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me');
    const file = join(dir, 'plan.json');
    symlinkSync(victim, `${file}.${process.pid}.tmp`);
    savePlan(file, plan);
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(JSON.parse(readFileSync(file, 'utf8')).planHash).toBe(plan.planHash);
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
  });

  it('explains a missing plan file, as JSON with --json', async () => {
    const missing = await linked(['apply', join(tempDir(), 'nope.json'), '--json']);
    expect(missing.status).toBe(1);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: 'PLAN_FILE_INVALID', message: expect.stringMatching(/^Cannot read the plan file .*nope\.json/) });
  }, 120_000);
});
