// The files the compiled CLI (dist/) is built from. bin/linked.js runs dist/ only when its build
// stamp is at least as new as every one of them, so an edited checkout never runs stale code.
// Plain JavaScript: it runs before anything is compiled.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Folders whose TypeScript the bundle compiles (directories count too: a new command file changes its folder). */
export const SOURCE_DIRS = ['src', 'examples'];
/** Single files the build depends on. */
export const SOURCE_FILES = ['package.json', 'scripts/build.mjs', 'bin/source-files.js'];

/** The newest modification time (ms) among the sources under `root`; 0 when none exists. */
export function newestSourceMtime(root) {
  let newest = 0;
  const visit = (path) => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (st.mtimeMs > newest) newest = st.mtimeMs;
    if (!st.isDirectory()) return;
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      if (entry.isDirectory() || /\.(ts|js|mjs|json)$/.test(entry.name)) visit(join(path, entry.name));
    }
  };
  for (const dir of SOURCE_DIRS) visit(join(root, dir));
  for (const file of SOURCE_FILES) visit(join(root, file));
  return newest;
}
