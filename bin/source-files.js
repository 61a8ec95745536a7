// The files the compiled CLI (dist/) is built from. bin/linked.js runs dist/ only when its build
// stamp is at least as new as every one of them, so an edited checkout never runs stale code.
// Plain JavaScript: it runs before anything is compiled.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Folders whose code the bundle compiles. In src/ a folder's own time counts too (a removed
 * command file changes only its folder). Of examples/ the bundle takes the data generators
 * only: the examples are also projects people run, and what running them writes there (cdktf.out,
 * the DuckDB file, its WAL and waiters) must not make the build look stale.
 */
const SOURCE_DIRS = [
  { dir: 'src', folders: true },
  { dir: 'examples', folders: false },
];
/** Single files the build depends on. */
const SOURCE_FILES = ['package.json', 'scripts/build.mjs', 'bin/source-files.js'];

const CODE = /\.(ts|js|mjs)$/;
/** What a project writes: never a source. */
const OUTPUT_DIRS = new Set(['node_modules', 'cdktf.out']);

/** The newest modification time (ms) among the sources under `root`; 0 when none exists. */
export function newestSourceMtime(root) {
  let newest = 0;
  const mtime = (path) => {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return 0;
    }
  };
  const visit = (path, folders) => {
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    if (folders) newest = Math.max(newest, mtime(path));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || OUTPUT_DIRS.has(entry.name)) continue;
      const child = join(path, entry.name);
      if (entry.isDirectory()) visit(child, folders);
      else if (CODE.test(entry.name) || (folders && entry.name.endsWith('.json'))) newest = Math.max(newest, mtime(child));
    }
  };
  for (const { dir, folders } of SOURCE_DIRS) visit(join(root, dir), folders);
  for (const file of SOURCE_FILES) newest = Math.max(newest, mtime(join(root, file)));
  return newest;
}
