import { buildSync } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const OUT = join(import.meta.dirname, '..', '.tmp', 'bench');

/**
 * A bench's TypeScript entry compiled to one ES module with esbuild, as `npm run build` compiles
 * the CLI (our modules inlined, packages imported from node_modules), for a child process that
 * should measure what users run: `linked deliver` is compiled code, while a child started with
 * `--import tsx` also carries tsx's loader (a hooks thread with its own heap, tens of MB of RSS,
 * and CPU on every import). Written inside the checkout so the packages resolve; named by content.
 */
export function compiledEntry(file: string): string {
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
  const out = join(OUT, `${basename(file).replace(/\.ts$/, '')}-${hash}.mjs`);
  if (!existsSync(out)) {
    mkdirSync(OUT, { recursive: true });
    const partial = `${out}.${process.pid}.partial`;
    writeFileSync(partial, code);
    renameSync(partial, out);
  }
  return out;
}
