#!/usr/bin/env node
// The compiled CLI (dist/, `npm run build`) starts in a fraction of the time tsx takes to compile
// the TypeScript on every start. A checkout whose sources changed since the last build, or one
// never built, runs the sources through tsx instead: always correct, only slower.
// tsx is never needed for the CLI itself otherwise; it loads the user's app (cdktf.json's "app").
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestSourceMtime } from './source-files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function builtStamp() {
  try {
    return statSync(join(root, 'dist', '.built')).mtimeMs;
  } catch {
    return -1;
  }
}

// An installed copy (no .git) is never edited: its dist/ is current when it exists. In a checkout,
// the build must be at least as new as every source (not strictly newer: a packed tarball gives
// every file the same time).
const built = builtStamp();
const current = built >= 0 && (!existsSync(join(root, '.git')) || built >= newestSourceMtime(root));
if (current) {
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
