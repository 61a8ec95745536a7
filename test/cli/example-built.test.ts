import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/*
 * The compiled CLI, started from dist/ itself: bin/linked.js would fall back to the sources if the
 * build were stale, and a path taken from a module's own URL is right in src/ but points into
 * dist/ once bundled. test/build-cli.global.ts builds dist/ before the run.
 */
describe('linked example, from the built CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linked-example-built-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('northwind loads its CSVs from the package, run from another folder', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'example', 'northwind', '--out', 'northwind.duckdb', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { out, counts } = JSON.parse(r.stdout) as { out: string; counts: Record<string, number> };
    expect(out).toBe(join(dir, 'northwind.duckdb'));
    expect(counts).toMatchObject({ customers: 91, orders: 830, order_details: 2155 });
  });
});
