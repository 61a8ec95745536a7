import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** A stand-in package: the real bin/, a dist/ and a src/ that each say which one ran. */
function fakePackage(): { root: string; at: (path: string, seconds: number) => void; which: () => string } {
  const root = mkdtempSync(join(tmpdir(), 'linked-bin-'));
  for (const d of ['bin', 'dist/cli', 'src/cli', '.git']) mkdirSync(join(root, d), { recursive: true });
  for (const f of ['linked.js', 'source-files.js']) copyFileSync(join(ROOT, 'bin', f), join(root, 'bin', f));
  writeFileSync(join(root, 'package.json'), '{"name":"linked-audiences","type":"module"}');
  writeFileSync(join(root, 'dist/cli/main.js'), "console.log('dist');\n");
  writeFileSync(join(root, 'dist/.built'), '');
  writeFileSync(join(root, 'dist/.inputs.json'), JSON.stringify(['examples/bank/data.ts']));
  // TypeScript syntax: only tsx runs this.
  writeFileSync(join(root, 'src/cli/main.ts'), "const from: string = 'src';\nconsole.log(from);\n");
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(root, 'node_modules'));
  const base = Date.now() / 1000 - 3600;
  const at = (path: string, seconds: number) => utimesSync(join(root, path), base + seconds, base + seconds);
  for (const p of ['package.json', 'bin/source-files.js', 'src', 'src/cli', 'src/cli/main.ts']) at(p, 0);
  const which = () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'linked.js')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout.trim();
  };
  return { root, at, which };
}

describe('bin/linked.js: the compiled CLI only when it is current', () => {
  it('runs dist/ when built after every source, the sources through tsx when one is newer or dist/ was never built', () => {
    const pkg = fakePackage();
    pkg.at('dist/.built', 10);
    expect(pkg.which()).toBe('dist');
    pkg.at('src/cli/main.ts', 20);
    expect(pkg.which()).toBe('src');
    pkg.at('dist/.built', 20);
    expect(pkg.which()).toBe('dist'); // as new as the newest source: a packed tarball's equal times
    rmSync(join(pkg.root, 'dist/.built'));
    expect(pkg.which()).toBe('src');
  });

  it("what running an example writes, and its app, leave the build current; a file the build read does not", () => {
    const pkg = fakePackage();
    for (const d of ['examples/bank/cdktf.out/stacks', 'examples/bank/bank.duckdb.waiters']) mkdirSync(join(pkg.root, d), { recursive: true });
    const written = ['examples/bank/cdktf.out/manifest.json', 'examples/bank/bank.duckdb', 'examples/bank/main.ts'];
    for (const f of ['examples/bank/data.ts', ...written]) writeFileSync(join(pkg.root, f), '');
    pkg.at('examples/bank/data.ts', 0);
    pkg.at('dist/.built', 10);
    for (const p of ['examples', 'examples/bank', 'examples/bank/cdktf.out', 'examples/bank/bank.duckdb.waiters', ...written]) pkg.at(p, 20);
    expect(pkg.which()).toBe('dist');
    pkg.at('examples/bank/data.ts', 20);
    expect(pkg.which()).toBe('src');
  });

  it('a build that did not list what it read is not taken as current', () => {
    const pkg = fakePackage();
    pkg.at('dist/.built', 10);
    expect(pkg.which()).toBe('dist');
    rmSync(join(pkg.root, 'dist/.inputs.json'));
    expect(pkg.which()).toBe('src');
  });

  it('an installed copy (no .git) runs dist/ whatever the times say', () => {
    const pkg = fakePackage();
    pkg.at('dist/.built', 0);
    pkg.at('src/cli/main.ts', 20);
    expect(pkg.which()).toBe('src');
    rmSync(join(pkg.root, '.git'), { recursive: true });
    expect(pkg.which()).toBe('dist');
  });
});
