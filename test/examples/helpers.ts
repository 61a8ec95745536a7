import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateExampleWarehouse, type ExampleDataset } from '../../examples/shared/generate.js';
import { checkCatalog } from '../../src/graph/catalog.js';
import { linked } from '../plan/cli-project.js';
import { previewAudience } from '../../src/preview/preview.js';
import { loadDesired, synthApp } from '../../src/manifest/index.js';
import type { Desired } from '../../src/model/desired.js';
import { runTests } from '../../src/testing/index.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';

/*
 * What the example data tests share: synthesizing an example app, fingerprinting tables and
 * counting each audience the way `linked preview` does.
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A fingerprint of a table's content independent of row order. */
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

/** What an example's own tests need of its generated warehouse (filled in by beforeAll). */
export interface GeneratedExample {
  dir: string;
  wh: DuckDbWarehouse;
  /** The first value of the first row of a query. */
  one(sql: string, params?: unknown[]): Promise<number>;
}

export interface ExampleDataSpec {
  dataset: ExampleDataset;
  /** The table of profiles (its row count is --profiles). */
  profileTable: string;
  /** Column names and types per table, as examples/<name>/main.ts declares them. */
  schema: Record<string, [string, string][]>;
  /** The keys of the example's audiences, sorted. */
  audiences: string[];
  /** What the synthesized app holds. */
  model: { audiences: number; destinations: number; emitters: number; classicAudiences: number };
}

const EXAMPLE_NOW = new Date('2026-11-28T00:00:00Z');
const EXAMPLE_PROFILES = 2000;

/**
 * The checks every example generator must pass (tables and types, the catalog check, non-empty
 * audiences, reproducibility, the CLI), on a warehouse of 2,000 profiles at 2026-11-28 00:00 UTC;
 * and of the example's app, synthesized once for them all: what it holds, and that its own
 * audience tests (`linked test`) pass.
 * `more` adds the example's own checks against the same warehouse.
 */
export function describeExampleData(spec: ExampleDataSpec, more: (ex: GeneratedExample) => void): void {
  const { dataset } = spec;
  const generate = (file: string, seed: number) =>
    generateExampleWarehouse(join(ex.dir, file), dataset, { profiles: EXAMPLE_PROFILES, seed, now: EXAMPLE_NOW });
  const ex = { dir: mkdtempSync(join(tmpdir(), `linked-${dataset.name}-`)) } as GeneratedExample;
  ex.one = async (sql, params = []) => Number(Object.values((await ex.wh.query(sql, params)).rows[0])[0]);
  let counts: Record<string, number>;
  let desired: Desired;

  beforeAll(async () => {
    ({ counts } = await generate('first.duckdb', 7));
    desired = await synthExample(dataset.name, ex.dir);
    ex.wh = await openDuckDb(join(ex.dir, 'first.duckdb'));
  });
  afterAll(async () => {
    await ex.wh?.close();
    rmSync(ex.dir, { recursive: true, force: true });
  });

  describe(`${dataset.name} example data generator`, () => {
    it(`writes the tables examples/${dataset.name}/main.ts declares, with their columns and types`, async () => {
      expect(Object.keys(counts)).toEqual([...dataset.tables]);
      for (const [table, columns] of Object.entries(spec.schema)) {
        expect(await columnsOf(ex.wh, table), table).toEqual(columns);
        expect(counts[table], table).toBe(await ex.one(`SELECT count(*) FROM main.${table}`));
      }
      expect(counts[spec.profileTable]).toBe(EXAMPLE_PROFILES);
    });

    it('fits the example’s Data Graph: the catalog check finds no error', async () => {
      const diagnostics = await checkCatalog(desired, ex.wh);
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    });

    it(`examples/${dataset.name}/main.ts synthesizes its stack, audiences, destinations and emitters`, () => {
      expect(desired.stack).toBe(dataset.name);
      const d = desired;
      expect({ audiences: d.audiences.length, destinations: d.destinations.length, emitters: d.emitters.length, classicAudiences: d.classicAudiences.length }).toEqual(spec.model);
    });

    it(`the audience tests of examples/${dataset.name}/main.ts pass`, async () => {
      const { results } = await runTests(join(ex.dir, 'cdktf.out'));
      expect(results.length).toBeGreaterThanOrEqual(2);
      expect(results.filter((r) => r.status !== 'passed').map((r) => [r.name, r.error, r.failures])).toEqual([]);
    });

    it('every audience has members, and not every profile is one', async () => {
      const members = await audienceMembers(desired, ex.wh, EXAMPLE_NOW);
      expect(Object.keys(members).sort()).toEqual(spec.audiences);
      for (const [key, n] of Object.entries(members)) {
        expect(n, key).toBeGreaterThanOrEqual(1);
        expect(n, key).toBeLessThanOrEqual(EXAMPLE_PROFILES - 1);
      }
    });

    more(ex);

    it('is reproducible for a seed and reference time, and differs for another seed', async () => {
      await generate('again.duckdb', 7);
      await generate('other.duckdb', 8);
      const again = await openDuckDb(join(ex.dir, 'again.duckdb'));
      const other = await openDuckDb(join(ex.dir, 'other.duckdb'));
      try {
        for (const table of dataset.tables) {
          expect(await fingerprint(again, table), table).toBe(await fingerprint(ex.wh, table));
          expect(await fingerprint(other, table), table).not.toBe(await fingerprint(ex.wh, table));
        }
      } finally {
        await again.close();
        await other.close();
      }
    });

    it(`CLI: linked example ${dataset.name} --profiles N --out FILE --json`, async () => {
      const out = join(ex.dir, 'cli.duckdb');
      const r = await linked(['example', dataset.name, '--profiles', '500', '--out', out, '--seed', '3', '--now', '2026-11-28', '--json']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const result = JSON.parse(r.stdout);
      expect(result).toMatchObject({ out, seed: 3, now: '2026-11-28T00:00:00.000Z' });
      expect(Object.keys(result.counts)).toEqual([...dataset.tables]);
      expect(result.counts[spec.profileTable]).toBe(500);
    });
  });
}
