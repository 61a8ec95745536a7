import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { previewAudience } from '../../src/cli/commands/preview.js';
import { loadDesired, synthApp } from '../../src/manifest/index.js';
import type { Desired } from '../../src/model/desired.js';
import type { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';

/*
 * What the example data tests share: synthesizing an example app, fingerprinting tables and
 * counting each audience the way `linked preview` does.
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A fingerprint of a table's content independent of row order (as test/examples/bank-data.test.ts takes it). */
export async function fingerprint(w: DuckDbWarehouse, table: string): Promise<string> {
  const { rows } = await w.query<{ f: string; n: number }>(`SELECT CAST(sum(hash(t::VARCHAR)::HUGEINT) AS VARCHAR) AS f, count(*) AS n FROM main."${table}" t`);
  return `${rows[0].n}:${rows[0].f}`;
}

/** The example app (examples/<name>/main.ts) synthesized into `outRoot`/cdktf.out, as its model. */
export async function synthExample(name: string, outRoot: string): Promise<Desired> {
  const outDir = await synthApp(join(ROOT, 'examples', name), { quiet: true, outDir: join(outRoot, 'cdktf.out') });
  return loadDesired(outDir);
}

/** Members of each audience of the stack at `now`, counted by the compiled membership query (no sample). */
export async function audienceMembers(desired: Desired, wh: DuckDbWarehouse, now: Date): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const a of desired.audiences) out[a.key] = (await previewAudience(desired, wh, a.key, { now, limit: 0 })).members;
  return out;
}

/** Column names and types of a table, as the catalog reports them. */
export async function columnsOf(w: DuckDbWarehouse, table: string): Promise<[string, string][] | undefined> {
  return (await w.describeTable(`main.${table}`))?.columns.map((c) => [c.name, c.type]);
}
