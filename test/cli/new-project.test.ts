import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { cleanup, tempDir } from '../constructs/helpers.js';
import { installThisPackage } from '../support/installed-package.js';
import { linkedInProcess } from '../support/linked-cli.js';

afterAll(cleanup);

const ROOT = join(import.meta.dirname, '..', '..');
const DEV = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;

/** `linked init` into a new folder, this checkout installed as its linked-audiences, and Node's types as its devDependency gives them. */
async function newProject(options: { nodeTypes?: boolean } = {}): Promise<string> {
  const dir = join(tempDir('la-check-'), 'app');
  const init = await linkedInProcess(['init', dir, '--package', 'file:../linked-audiences.tgz']);
  expect(init.status, init.stderr).toBe(0);
  installThisPackage(dir);
  if (options.nodeTypes === false) return dir;
  mkdirSync(join(dir, 'node_modules', '@types'));
  symlinkSync(realpathSync(join(ROOT, 'node_modules', '@types', 'node')), join(dir, 'node_modules', '@types', 'node'));
  return dir;
}

describe('linked check: the project is checked, not the package', () => {
  it("under stricter options than the package's own, errors are reported in the project's files only", async () => {
    const dir = await newProject();
    const config = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    // Each of these finds something in the package's sources, none in the scaffold's main.ts.
    Object.assign(config.compilerOptions, { noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, noPropertyAccessFromIndexSignature: true, noImplicitOverride: true, noUnusedLocals: true });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));

    const clean = await linkedInProcess(['check', '--dir', dir]);
    expect(clean.stderr).toBe('');
    expect(clean.status).toBe(0);
    expect(clean.stdout).toContain('Types: no errors (1 file checked).');

    // The same options still apply to the project's own files.
    writeFileSync(join(dir, 'main.ts'), readFileSync(join(dir, 'main.ts'), 'utf8') + '\nexport const firstPlan: string = ["premium"][0];\n');
    const strict = await linkedInProcess(['check', '--dir', dir, '--json']);
    expect(strict.status).toBe(1);
    const { error } = JSON.parse(strict.stdout) as { error: { code: string; details: { diagnostics: { file: string; code: number }[] } } };
    expect(error.code).toBe('TYPE_ERRORS');
    expect(error.details.diagnostics.map((d) => `${d.file} TS${d.code}`)).toEqual(['main.ts TS2322']);
  }, 120_000);

  it("without Node's types: the missing tsconfig entry, none of its consequences in the package, and the command that installs them", async () => {
    const dir = await newProject({ nodeTypes: false });
    const r = await linkedInProcess(['check', '--dir', dir, '--json']);
    expect(r.status).toBe(1);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string; details: { diagnostics: { file: string; code: number }[] } } };
    expect(error.details.diagnostics.map((d) => `${d.file} TS${d.code}`)).toEqual([' TS2688']);
    expect(error.message).toBe(`1 type error in tsconfig.json: fix it, then run "linked check" again. Node's types are not installed: run "npm install --save-dev @types/node@${DEV['@types/node']}".`);
  }, 60_000);

  it("checks with the project's TypeScript 6 (the same compiler API as 5), reporting its errors", async () => {
    const dir = await newProject();
    // A real TypeScript 6 (a devDependency of this package under another name) as the project's own.
    symlinkSync(realpathSync(join(ROOT, 'node_modules', 'typescript-6')), join(dir, 'node_modules', 'typescript'));
    writeFileSync(join(dir, 'main.ts'), readFileSync(join(dir, 'main.ts'), 'utf8') + '\nexport const firstPlan: number = "premium";\n');
    const r = await linkedInProcess(['check', '--dir', dir, '--json']);
    expect(r.status, r.stderr).toBe(1);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; details: { diagnostics: { file: string; code: number }[] } } };
    expect(error.code).toBe('TYPE_ERRORS');
    expect(error.details.diagnostics.map((d) => `${d.file} TS${d.code}`)).toEqual(['main.ts TS2322']);
  }, 120_000);

  it('refuses a TypeScript of another major by its version, with the install command of one that works', async () => {
    const dir = await newProject();
    // What `npm install --save-dev typescript` gives once TypeScript 7 (the Go port) is the latest:
    // a package of that name without the compiler API of TypeScript 5.
    const ts = join(dir, 'node_modules', 'typescript');
    mkdirSync(ts);
    writeFileSync(join(ts, 'package.json'), JSON.stringify({ name: 'typescript', version: '7.0.2', main: 'index.js' }));
    writeFileSync(join(ts, 'index.js'), "exports.version = '7.0.2';\n");
    const r = await linkedInProcess(['check', '--dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Error [TYPESCRIPT_UNSUPPORTED]: TypeScript 7.0.2 is installed, and "linked check" needs TypeScript 5 or 6 (it calls its compiler API): run "npm install --save-dev typescript@${DEV.typescript}" in ${dir}.`);
  });
});

describe('a new project before its warehouse exists', () => {
  it('plan names every example that writes one, and leaves nothing beside the missing file', async () => {
    const dir = await newProject();
    const r = await linkedInProcess(['plan', '--dir', dir, '--json']);
    expect(r.status).toBe(1);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('WAREHOUSE_MISSING');
    const program = await buildProgram(['example']);
    const examples = program.commands.find((c) => c.name() === 'example')!.commands.map((c) => c.name());
    expect(examples).toContain('northwind');
    for (const name of examples) expect(error.message, name).toMatch(new RegExp(`linked example [a-z|]*\\b${name}\\b`));
    // No waiting for a file that is not there: no `warehouse.duckdb.waiters/`, no empty warehouse.
    expect(readdirSync(dir).filter((f) => f.startsWith('warehouse.duckdb'))).toEqual([]);
    expect(existsSync(join(dir, 'warehouse.duckdb'))).toBe(false);
  }, 60_000);
});

describe('a new project: what the CLI writes into it is not a source', () => {
  it('a plan saved with --out and a --junit report leave the synthesized app current; an edit of main.ts does not', async () => {
    const dir = await newProject();
    const data = await linkedInProcess(['example', 'bank', '--profiles', '50', '--out', join(dir, 'warehouse.duckdb')]);
    expect(data.status, data.stderr).toBe(0);
    const saved = await linkedInProcess(['plan', '--dir', dir, '--out', join(dir, 'plan.json')]);
    expect(saved.status, saved.stderr).toBe(0);
    expect(saved.stderr).toBe('Synthesizing (cdktf.out holds no synthesized app)...\n');
    const tested = await linkedInProcess(['test', '--dir', dir, '--junit', join(dir, 'report.xml')]);
    expect(tested.status, tested.stdout).toBe(0);
    expect(tested.stderr).toBe('');

    const again = await linkedInProcess(['plan', '--dir', dir]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    expect((await linkedInProcess(['plan', '--dir', dir, '--no-synth'])).status).toBe(0);

    appendFileSync(join(dir, 'main.ts'), '\n// an edit\n');
    const edited = await linkedInProcess(['plan', '--dir', dir]);
    expect(edited.status, edited.stderr).toBe(0);
    expect(edited.stderr).toBe('Synthesizing (main.ts changed after the last synth)...\n');
  }, 120_000);
});
