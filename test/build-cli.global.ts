/*
 * Builds the compiled CLI (dist/) once before the tests, when a source is newer than the last
 * build: the tests spawn bin/linked.js, which runs dist/ only when it is current and would
 * otherwise compile the TypeScript through tsx in every child process.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { newestSourceMtime } from '../bin/source-files.js';

const ROOT = join(import.meta.dirname, '..');

function builtAt(): number {
  try {
    return statSync(join(ROOT, 'dist', '.built')).mtimeMs;
  } catch {
    return -1;
  }
}

export default function setup(): void {
  if (builtAt() >= newestSourceMtime(ROOT)) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}
