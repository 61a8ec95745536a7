import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  /** The folder holding this package's package.json (the checkout, or node_modules/linked-audiences). */
  root: string;
  name: string;
  version: string;
}

let cached: PackageInfo | undefined;

/**
 * This package's root, found by walking up from this module to the package.json that names it.
 * The module sits at different depths in src/ (run through tsx) and in dist/ (a bundled chunk),
 * so no fixed number of `..` would do.
 */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'linked-audiences') return (cached = { root: dir, name: pkg.name, version: pkg.version ?? '0.0.0' });
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the linked-audiences package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
