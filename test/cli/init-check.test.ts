import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'linked.js');
const { version: VERSION, devDependencies: DEV } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

function run(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', npm_config_offline: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * What `npm install` in the project does, without the network: what the generated package.json
 * declares (dependencies and devDependencies) and, hoisted flat beside it as npm lays them out,
 * everything those need to run; linked-audiences unpacked from the tarball, the others taken from
 * this checkout's node_modules. Nothing else: a tool the project needs but does not declare (the
 * package's devDependencies are not installed) is missing here as after a real install.
 */
async function npmInstallOffline(project: string, tarball: string): Promise<void> {
  const modules = join(project, 'node_modules');
  const pkg = join(modules, 'linked-audiences');
  mkdirSync(pkg, { recursive: true });
  mkdirSync(join(modules, '.bin'));
  const tar = await run('tar', ['xzf', tarball, '-C', pkg, '--strip-components', '1'], project);
  expect(tar.stderr).toBe('');
  type Manifest = Partial<Record<'dependencies' | 'devDependencies' | 'optionalDependencies' | 'peerDependencies', Record<string, string>>>;
  const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  const needs = (m: Manifest) => Object.keys({ ...m.dependencies, ...m.peerDependencies, ...m.optionalDependencies });
  const own = manifest(project);
  const declared = Object.keys({ ...own.dependencies, ...own.devDependencies }).filter((n) => n !== 'linked-audiences');
  const queue = [...declared, ...needs(manifest(pkg))];
  const installed = new Set(['linked-audiences']);
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (installed.has(name)) continue;
    const from = join(ROOT, 'node_modules', name);
    if (!existsSync(from)) {
      // An optional dependency for another platform; a declared one must be there.
      expect(declared, `${name}: not in this checkout's node_modules`).not.toContain(name);
      continue;
    }
    installed.add(name);
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(realpathSync(from), join(modules, name));
    queue.push(...needs(manifest(from)));
  }
  symlinkSync('../linked-audiences/bin/linked.js', join(modules, '.bin', 'linked'));
}

describe('linked init, check and a packed install', () => {
  it('--version prints the package version', async () => {
    const r = await run(process.execPath, [BIN, '--version'], ROOT);
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.status).toBe(0);
  });

  it('refuses a folder that holds files, and writes nothing there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'linked-init-'));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const r = await run(process.execPath, [BIN, 'init', dir], ROOT);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('INIT_NOT_EMPTY');
    expect(r.stderr).toContain('linked init my-audiences');
    expect(existsSync(join(dir, 'main.ts'))).toBe(false);
  });

  it('scaffolds into a folder holding only .git, with --json listing the files', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'linked-init-')), 'My Audiences');
    mkdirSync(join(dir, '.git'), { recursive: true });
    const r = await run(process.execPath, [BIN, 'init', dir, '--json', '--package', 'file:../x.tgz'], ROOT);
    expect(r.stderr).toBe('');
    const { created } = JSON.parse(r.stdout) as { created: { name: string; files: string[]; dependency: string } };
    expect(created.name).toBe('my-audiences');
    expect(created.files).toEqual(['.github/workflows/linked.yml', '.gitignore', 'README.md', 'cdktf.json', 'main.ts', 'package.json', 'tsconfig.json']);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
    // linked check needs TypeScript and Node's types, in the ranges the package is built with: a
    // bare `npm install typescript` may give a major whose compiler API it cannot call.
    expect(pkg).toMatchObject({
      name: 'my-audiences',
      dependencies: { 'linked-audiences': 'file:../x.tgz' },
      devDependencies: { typescript: DEV.typescript, '@types/node': DEV['@types/node'] },
    });
    expect(readFileSync(join(dir, 'main.ts'), 'utf8')).toContain("new LinkedAudiencesStack(app, 'my-audiences'");
    // The workflow's own ${{ }} expressions are not placeholders.
    expect(readFileSync(join(dir, '.github/workflows/linked.yml'), 'utf8')).toContain('${{ secrets.GITHUB_TOKEN }}');
  });

  it("the workflow's first step stops a runner that cannot reach the file: dependency, before npm ci", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'linked-init-')), 'app');
    expect((await run(process.execPath, [BIN, 'init', dir, '--json', '--package', 'file:../x.tgz'], ROOT)).status).toBe(0);
    const workflow = readFileSync(join(dir, '.github/workflows/linked.yml'), 'utf8');
    // The step's script as the runner's bash gets it: the block under its `run: |`, dedented.
    const steps = [...workflow.matchAll(/- name: Check that linked-audiences can be installed here\n\s+run: \|\n((?: {10}.*\n)+)/g)].map((m) => m[1]!.replace(/^ {10}/gm, ''));
    expect(steps).toHaveLength(2); // plan and apply
    expect(steps[1]).toBe(steps[0]);
    const step = () => run('bash', ['-e', '-c', steps[0]!], dir);
    expect(workflow.indexOf('Check that linked-audiences')).toBeLessThan(workflow.indexOf('npm ci'));

    const unreachable = await step();
    expect(unreachable.status).toBe(1);
    expect(unreachable.stdout).toMatch(/^::error file=package\.json::linked-audiences is "file:\.\.\/x\.tgz", a path this runner does not have: depend on a registry version/);

    writeFileSync(join(dir, '..', 'x.tgz'), '');
    expect(await step()).toMatchObject({ status: 0, stdout: '' });
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    pkg.dependencies['linked-audiences'] = '^0.1.0';
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
    expect(await step()).toMatchObject({ status: 0, stdout: '' });
  });

  it('prints the next steps as they are typed: the folder quoted for the shell, the CLI through npx --no-install', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'linked-init-'));
    const r = await run(process.execPath, [BIN, 'init', 'Named Proj'], tmp);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("\n  cd 'Named Proj'\n");
    expect(r.stdout).toContain('npx --no-install linked check');
    expect(r.stdout).toContain('\nWalk-through: node_modules/linked-audiences/docs/getting-started.md (after npm install)\n');
    // Before npm install, plain `npx linked <command>` runs an unrelated registry package.
    const plainNpx = /npx linked [a-z]/;
    expect(r.stdout).not.toMatch(plainNpx);
    for (const file of ['README.md', 'main.ts', '.github/workflows/linked.yml']) expect(readFileSync(join(tmp, 'Named Proj', file), 'utf8'), file).not.toMatch(plainNpx);
    // run --once delivers too: no separate deliver step.
    expect(readFileSync(join(tmp, 'Named Proj', 'README.md'), 'utf8')).not.toContain('linked deliver');
  });

  it("getting-started's tarball path is found from the project's folder; a path that is not is warned about", async () => {
    const doc = readFileSync(join(ROOT, 'docs', 'getting-started.md'), 'utf8');
    // Step 1 runs npm pack inside the checkout; step 2 runs init beside it.
    expect(doc).toMatch(/cd linked-audiences && npm ci[^\n]*\nnpm pack/);
    const spec = /linked\.js init my-audiences --package (\S+)/.exec(doc)?.[1];
    expect(spec).toBeDefined();
    const tmp = mkdtempSync(join(tmpdir(), 'linked-init-'));
    mkdirSync(join(tmp, 'linked-audiences'));
    writeFileSync(join(tmp, 'linked-audiences', `linked-audiences-${VERSION}.tgz`), '');
    const init = await run(process.execPath, [BIN, 'init', 'my-audiences', '--package', spec!], tmp);
    expect(init.status).toBe(0);
    expect(init.stderr).toBe('');

    const wrong = await run(process.execPath, [BIN, 'init', 'other', '--package', `file:../linked-audiences-${VERSION}.tgz`], tmp);
    expect(wrong.status).toBe(0);
    expect(wrong.stderr).toBe(
      `Warning: "file:../linked-audiences-${VERSION}.tgz" points to ${join(tmp, `linked-audiences-${VERSION}.tgz`)}, which does not exist: npm install in other will fail. Give --package a path from the project's folder (file:../...).\n`,
    );
  });

  it('init, then from an `npm pack` tarball: --version, example data, check, plan, and synth --check stops at a type error', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'linked-pack-'));
    const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp, '--json'], ROOT);
    expect(pack.status, pack.stderr).toBe(0);
    const [{ filename, files }] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const shipped = files.map((f) => f.path);
    expect(shipped).toEqual(expect.arrayContaining(['dist/.built', 'dist/cli/main.js', 'docs/getting-started.md', 'README.md', 'templates/project/gitignore']));

    const init = await run(process.execPath, [BIN, 'init', 'app', '--package', `file:../${filename}`], tmp);
    expect(init.status, init.stderr).toBe(0);
    const project = join(tmp, 'app');
    await npmInstallOffline(project, join(tmp, filename));
    const linked = (...args: string[]) => run(process.execPath, [join(project, 'node_modules', '.bin', 'linked'), ...args], project);

    expect((await linked('--version')).stdout.trim()).toBe(VERSION);
    const data = await linked('example', 'bank', '--profiles', '200', '--out', 'warehouse.duckdb');
    expect(data.status, data.stderr).toBe(0);
    // Its CSVs ship in the tarball, found from the package's root by the compiled command.
    const northwind = await linked('example', 'northwind', '--out', 'northwind.duckdb', '--json');
    expect(northwind.status, northwind.stdout + northwind.stderr).toBe(0);
    expect(JSON.parse(northwind.stdout)).toMatchObject({ counts: { customers: 91, orders: 830 } });

    const check = await linked('check');
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toContain('Types: no errors');
    expect(check.stdout).toContain('Stack app (duckdb warehouse.duckdb): valid');

    const plan = await linked('plan');
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/Plan: 4 to add, 0 to change/);

    // The scaffold's audience test passes: fixtures only, no warehouse.
    const tested = await linked('test', '--no-synth');
    expect(tested.status, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/Tests: 1 passed, 1 total/);

    // A column filter used as a profile-level condition: tsx runs it, the type check refuses it.
    const main = readFileSync(join(project, 'main.ts'), 'utf8');
    const wrong = main.replace("trait('plan').oneOf('premium', 'private'),", "col('balance').gt(1),");
    expect(wrong).not.toBe(main);
    writeFileSync(join(project, 'main.ts'), wrong);
    const line = wrong.split('\n').findIndex((l) => l.includes('where: all(')) + 1;
    const checked = await linked('synth', '--check');
    expect(checked.status).toBe(1);
    expect(checked.stderr).toMatch(/Error \[TYPE_ERRORS\]: \d+ type errors? in main\.ts: fix/);
    expect(checked.stderr).toMatch(new RegExp(`^main\\.ts:${line}:\\d+ - error TS2322: Type 'Condition<string>' is not assignable to type 'Condition<ProfileScope>'`, 'm'));
    expect(checked.stderr).toContain('ProfileScope');
    expect(checked.stderr).not.toContain('unique symbol');
  }, 300_000);
});
