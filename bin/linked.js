#!/usr/bin/env node
// The compiled CLI (dist/, `npm run build`) starts in a fraction of the time tsx takes to compile
// the TypeScript on every start. A checkout whose sources changed since the last build, or one
// never built, runs the sources through tsx instead: always correct, only slower.
// tsx is never needed for the CLI itself otherwise; it loads the user's app (cdktf.json's "app").
import { statSync } from 'node:fs';
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

// At least as new, not strictly newer: a packed tarball gives every file the same time.
if (builtStamp() >= newestSourceMtime(root)) {
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
