import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  /** The folder holding this package's package.json (the checkout, or node_modules/linked-audiences). */
  root: string;
  name: string;
  version: string;
  /** Its devDependencies: the ranges of the tools it is built and tested with. */
  devDependencies: Record<string, string>;
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
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string; devDependencies?: Record<string, string> };
      if (pkg.name === 'linked-audiences') return (cached = { root: dir, name: pkg.name, version: pkg.version ?? '0.0.0', devDependencies: pkg.devDependencies ?? {} });
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the linked-audiences package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/**
 * What a project needs to type-check its app (`linked check`, its editor): TypeScript and Node's
 * types, in the ranges this package is built and tested with. A range npm would pick freely (the
 * newest TypeScript) may be a major whose compiler API `linked check` cannot call.
 */
export function projectDevDependencies(): { typescript: string; '@types/node': string } {
  const dev = packageInfo().devDependencies;
  const range = (name: string) => {
    const r = dev[name];
    if (!r) throw new Error(`The linked-audiences package.json lists no devDependency ${name}`);
    return r;
  };
  return { typescript: range('typescript'), '@types/node': range('@types/node') };
}
