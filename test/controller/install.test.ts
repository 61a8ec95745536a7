import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installDependencies } from '../../src/controller/git-sync.js';

/* The dependency step of `linked run --git`, with real npm and local `file:` packages (no network). */
const root = mkdtempSync(join(tmpdir(), 'linked-install-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function localPackage(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
  return `file:${dir}`;
}

describe('installDependencies', () => {
  it('installs when package.json changes, skips when it did not, and explains a failure', async () => {
    const checkout = join(root, 'checkout');
    mkdirSync(join(checkout, '.git'), { recursive: true });
    const manifest = (deps: Record<string, string>) => writeFileSync(join(checkout, 'package.json'), JSON.stringify({ name: 'team-audiences', private: true, dependencies: deps }));
    const logs: string[] = [];
    const log = (line: string) => logs.push(line);

    manifest({});
    await installDependencies(checkout, log);
    expect(logs).toEqual([]);

    manifest({ 'dep-a': localPackage('dep-a') });
    await installDependencies(checkout, log);
    expect(logs).toEqual(['npm install in the checkout (its package.json changed)']);
    expect(existsSync(join(checkout, 'node_modules', 'dep-a', 'package.json'))).toBe(true);

    rmSync(join(checkout, 'package-lock.json')); // untracked: the next fetch's git clean removes it
    await installDependencies(checkout, log);
    expect(logs).toHaveLength(1);

    manifest({ 'dep-a': localPackage('dep-a'), 'dep-b': localPackage('dep-b') });
    await installDependencies(checkout, log);
    expect(logs).toHaveLength(2);
    expect(existsSync(join(checkout, 'node_modules', 'dep-b'))).toBe(true);

    // A lock file out of step with package.json: npm ci refuses, offline.
    writeFileSync(join(checkout, 'package-lock.json'), JSON.stringify({ name: 'team-audiences', lockfileVersion: 3, requires: true, packages: { '': { name: 'team-audiences' } } }));
    await expect(installDependencies(checkout, log)).rejects.toMatchObject({
      code: 'INSTALL_FAILED',
      message: expect.stringMatching(/^npm ci failed in the checkout:\n[\s\S]*in sync/),
    });

    writeFileSync(join(checkout, 'package.json'), '{ not json');
    await expect(installDependencies(checkout, log)).rejects.toMatchObject({ code: 'INSTALL_FAILED', message: expect.stringContaining('not valid JSON') });
  }, 120_000);
});
