import { buildSync } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

// In the checkout's own .tmp/: node_modules may be shared with other checkouts (a symlink), whose
// test runs would drop this run's bundles.
const CACHE = join(import.meta.dirname, '..', '..', '.tmp', 'fixture-bundles');
/** Bundles untouched this long belong to no run still going. */
const STALE_MS = 24 * 3_600_000;
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
    } else {
      // In use again: not stale for clearFixtureBundles.
      const now = new Date();
      utimesSync(bundle, now, now);
    }
    bundles.set(file, bundle);
  }
  return [bundle];
}

/**
 * Drops the bundles of earlier runs (each source change leaves one): called once before the
 * tests. Only stale ones: another test run in this checkout may be using the others.
 */
export function clearFixtureBundles(): void {
  let names: string[];
  try {
    names = readdirSync(CACHE);
  } catch {
    return;
  }
  const before = Date.now() - STALE_MS;
  for (const name of names) {
    const file = join(CACHE, name);
    try {
      if (statSync(file).mtimeMs < before) rmSync(file, { force: true });
    } catch {
      // Gone already: another run cleared it.
    }
  }
}
