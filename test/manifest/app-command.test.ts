import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { appCommand } from '../../src/manifest/synth.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const emptyProject = () => {
  const d = mkdtempSync(join(tmpdir(), 'linked-app-command-'));
  dirs.push(d);
  return d;
};
const ourLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('how synth starts the app (cdktf.json "app")', () => {
  it('runs `tsx <file> [args]` and `npx tsx ...` on node with tsx loader, without a shell', () => {
    const dir = emptyProject();
    expect(appCommand('tsx main.ts', dir)).toEqual({ file: process.execPath, args: ['--import', ourLoader, 'main.ts'], line: 'tsx main.ts' });
    expect(appCommand('  npx tsx src/app.ts --stage=dev ', dir)).toMatchObject({ file: process.execPath, args: ['--import', ourLoader, 'src/app.ts', '--stage=dev'] });
  });

  const withTsx = (version: string) => {
    const dir = emptyProject();
    mkdirSync(join(dir, 'node_modules', 'tsx'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'tsx', 'package.json'), JSON.stringify({ name: 'tsx', version, exports: { '.': './loader.mjs', './package.json': './package.json' } }));
    writeFileSync(join(dir, 'node_modules', 'tsx', 'loader.mjs'), '');
    return dir;
  };

  it("uses the project's own tsx when it has one; a tsx older than 4 runs through its CLI", () => {
    const dir = withTsx('4.7.0');
    expect(appCommand('tsx main.ts', dir)).toMatchObject({ args: ['--import', pathToFileURL(join(dir, 'node_modules', 'tsx', 'loader.mjs')).href, 'main.ts'] });
    expect(appCommand('tsx main.ts', withTsx('3.14.0'))).toEqual({ line: 'tsx main.ts' });
  });

  it('leaves to the shell whatever a shell would read differently, and every other program', () => {
    const dir = emptyProject();
    for (const line of ['tsx main.ts && echo done', 'FOO=1 tsx main.ts', 'tsx "my app.ts"', 'tsx $APP', 'tsx --tsconfig x.json main.ts', 'tsx', 'node main.js', 'npx cdktn synth']) {
      expect(appCommand(line, dir), line).toEqual({ line });
    }
  });
});
