import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Makes this checkout resolvable as the `linked-audiences` dependency of a project in `dir`, as an install would. */
export function installThisPackage(dir: string): void {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'linked-audiences'), 'dir');
}

/** A user's project in `dir`: package.json, cdktf.json running `tsx main.ts`, linked-audiences installed, and `main` as main.ts. */
export function writeUserProject(dir: string, main: string, options: { name: string; output?: string }): void {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: options.name, private: true, type: 'module' }, null, 2));
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'tsx main.ts', ...(options.output ? { output: options.output } : {}) }, null, 2));
  installThisPackage(dir);
  writeFileSync(join(dir, 'main.ts'), main);
}
