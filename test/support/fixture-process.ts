import { buildSync } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const CACHE = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'linked-test-fixtures');
const bundles = new Map<string, string>();

/**
 * What `node` runs to start a TypeScript fixture as a child process: the fixture bundled with
 * esbuild (our modules inlined, packages left to node_modules), built once per test process.
 * Loading the same modules through tsx's hooks costs a child about three times the CPU, and the
 * crash and controller tests start dozens of children. Bundles are named by their content, so
 * parallel test processes share one and a changed source makes a new one.
 */
export function fixtureArgs(file: string): string[] {
  let bundle = bundles.get(file);
  if (!bundle) {
    const { outputFiles } = buildSync({
      entryPoints: [file],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'warning',
    });
    const code = outputFiles[0]!.contents;
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    // Inside the checkout, so the bundle's imports of packages resolve from its node_modules.
    bundle = join(CACHE, `${basename(file).replace(/\.ts$/, '')}-${hash}.mjs`);
    if (!existsSync(bundle)) {
      mkdirSync(CACHE, { recursive: true });
      const partial = `${bundle}.${process.pid}.partial`;
      writeFileSync(partial, code);
      renameSync(partial, bundle);
    }
    bundles.set(file, bundle);
  }
  return [bundle];
}

/** Drops the bundles of earlier runs (each source change leaves one): called once before the tests. */
export function clearFixtureBundles(): void {
  rmSync(CACHE, { recursive: true, force: true });
}
