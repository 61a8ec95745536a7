// The files the compiled CLI (dist/) is built from. bin/linked.js runs dist/ only when its build
// stamp is at least as new as every one of them, so an edited checkout never runs stale code.
// Plain JavaScript: it runs before anything is compiled.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Single files the build depends on. */
const SOURCE_FILES = ['package.json', 'scripts/build.mjs', 'bin/source-files.js'];

/**
 * The newest modification time (ms) among the sources under `root`; 0 when none exists. All of
 * src/, folders included (a removed command file changes only its folder); elsewhere exactly the
 * files the last build read (dist/.inputs.json, from scripts/build.mjs: the examples' data
 * generators), so that what running an example writes beside them (cdktf.out, the DuckDB file,
 * its WAL and waiters) or an edit of its app leaves the build current. Without that list (a build
 * made before it existed) nothing is known to be current.
 */
export function newestSourceMtime(root) {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(root, 'dist', '.inputs.json'), 'utf8'));
  } catch {
    return Infinity;
  }
  let newest = 0;
  const mtime = (path) => {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return 0;
    }
  };
  const visit = (path) => {
    newest = Math.max(newest, mtime(path));
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const child = join(path, entry.name);
      if (entry.isDirectory()) visit(child);
      else if (/\.(ts|js|mjs|json)$/.test(entry.name)) newest = Math.max(newest, mtime(child));
    }
  };
  visit(join(root, 'src'));
  for (const file of [...inputs, ...SOURCE_FILES]) newest = Math.max(newest, mtime(join(root, file)));
  return newest;
}
