import { LinkedError } from '../../src/model/errors.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';

/*
 * What the example data generators (examples/<name>/data.ts) share: option checks, the seeded
 * random macros and the loop that runs each table's statements with bound parameters.
 *
 * Everything is generated set-based inside DuckDB: each random draw is `rnd(row key, salt)`, the
 * hash of the key, a salt naming the draw and the seed, scaled to [0, 1). A row's values depend only
 * on its key and the seed, so the same seed and reference time give the same warehouse whatever
 * the thread count or row order.
 */

/** One example's warehouse: its tables in the order they are written, and the SQL that writes each. */
export interface ExampleDataset<T extends string = string> {
  /** The example's name, as in `linked example <name>`. */
  name: string;
  /** One line for `--help`: what the tables hold. */
  description: string;
  /** What `--profiles` counts, for `--help`. */
  profilesHelp: string;
  tables: readonly T[];
  /**
   * The statements that build each table, in `tables` order. They may use `rnd(k, salt)` (uniform in
   * [0, 1)) and `gauss(k, salt)` (standard normal); `$now` (the reference TIMESTAMP), `$profiles`
   * and each name of `sizes` are bound as parameters.
   */
  statements: Record<T, string[]>;
  /** Further whole-number sizes derived from the profile count (e.g. flights), bound as `$name`. */
  sizes?: (profiles: number) => Record<string, number>;
  /** Upper bound for `--profiles`. */
  maxProfiles: number;
}

export interface GenerationOptions<T extends string = string> {
  profiles: number;
  /** Same seed and `now`, same warehouse. Default 42. */
  seed?: number;
  /** Reference time the data is relative to ("the last 30 days", "departing soon"). Default: today 00:00 UTC. */
  now?: Date;
  /** Called as each table is written, and once more with index = total when done (the CLI draws its progress line with it). */
  onProgress?: (table: T, index: number, total: number) => void;
}

export interface GenerationResult {
  /** Rows written per table, in the dataset's table order. */
  counts: Record<string, number>;
}

/** Today at 00:00 UTC: the default reference time, so runs on one day reproduce each other. */
export function startOfUtcDay(d = new Date()): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** SQL: whole seconds of a draw expression as an interval (draws are doubles; intervals take integers). */
export const seconds = (x: string) => `to_seconds(CAST(floor(${x}) AS BIGINT))`;

/** `YYYY-MM-DD HH:MM:SS` (UTC, no zone) as DuckDB reads a TIMESTAMP literal. */
export const tsLiteral = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

/** Validates the options a user typed: a LinkedError names the bad flag. */
export function checkGenerationOptions(opts: Pick<GenerationOptions, 'profiles' | 'seed' | 'now'>, maxProfiles: number): { seed: number; now: Date } {
  if (!Number.isSafeInteger(opts.profiles) || opts.profiles < 1 || opts.profiles > maxProfiles) {
    throw new LinkedError('INVALID_ARGUMENT', `--profiles must be a whole number from 1 to ${maxProfiles}, got ${opts.profiles}`);
  }
  const seed = opts.seed ?? 42;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new LinkedError('INVALID_ARGUMENT', `--seed must be a whole number of 0 or more, got ${opts.seed}`);
  const now = opts.now ?? startOfUtcDay();
  if (Number.isNaN(now.getTime())) throw new LinkedError('INVALID_ARGUMENT', 'the reference time is not a valid date');
  return { seed, now };
}

/** Defines `rnd` and `gauss` for this connection, seeded. */
export async function installRandomMacros(wh: Warehouse, seed: number): Promise<void> {
  // Macros cannot take bound parameters, so the seed is printed into them: it is a checked
  // non-negative safe integer, never text from a user.
  if (!Number.isSafeInteger(seed) || seed < 0) throw new LinkedError('INVALID_ARGUMENT', `invalid seed ${seed}`);
  await wh.query(`CREATE OR REPLACE TEMP MACRO rnd(k, salt) AS CAST(hash(k, salt, ${seed}::UBIGINT) AS DOUBLE) / 18446744073709551616.0`);
  // Box-Muller: a standard normal from two uniforms (1 - u keeps ln away from 0).
  await wh.query(`CREATE OR REPLACE TEMP MACRO gauss(k, salt) AS sqrt(-2.0 * ln(1.0 - rnd(k, salt))) * cos(2.0 * pi() * rnd(k, salt + 500))`);
}

/** `$name` placeholders become `?` with their value bound, in order of appearance; an unknown name is a bug in the dataset. */
function bindPlaceholders(sql: string, sizes: Record<string, number>, now: Date): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const text = sql.replace(/\$([a-z_]+)\b/g, (_, name: string) => {
    if (name === 'now') {
      params.push(tsLiteral(now));
      return 'CAST(? AS TIMESTAMP)';
    }
    const value = sizes[name];
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`example data: no whole-number size for $${name}`);
    params.push(value);
    return 'CAST(? AS BIGINT)';
  });
  return { text, params };
}

/** The sizes a dataset's statements see: the profile count and what the dataset derives from it, each checked. */
function sizesOf(dataset: ExampleDataset<string>, profiles: number): Record<string, number> {
  const sizes = { ...dataset.sizes?.(profiles), profiles };
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`example data: size ${name} must be a whole number, got ${value}`);
  }
  return sizes;
}

/** Runs a dataset's statements into an open warehouse (tests may use ':memory:'). Options are trusted: check them first. */
export async function generateInto<T extends string>(
  wh: Warehouse,
  dataset: ExampleDataset<T>,
  profiles: number,
  seed: number,
  now: Date,
  onProgress?: GenerationOptions<T>['onProgress'],
): Promise<GenerationResult> {
  await installRandomMacros(wh, seed);
  // Row order carries no meaning here; letting DuckDB write in any order is much faster.
  await wh.query('SET preserve_insertion_order = false');
  const sizes = sizesOf(dataset, profiles);
  const total = dataset.tables.length;
  const counts: Record<string, number> = {};
  for (const [index, table] of dataset.tables.entries()) {
    onProgress?.(table, index, total);
    for (const sql of dataset.statements[table]) {
      const { text, params } = bindPlaceholders(sql, sizes, now);
      await wh.query(text, params);
    }
    const { rows } = await wh.query<{ n: number }>(`SELECT count(*) AS n FROM main."${table.replace(/"/g, '""')}"`);
    counts[table] = Number(rows[0].n);
  }
  onProgress?.(dataset.tables[total - 1], total, total);
  return { counts };
}

/**
 * Writes a dataset's tables into the DuckDB at `path` (created when missing; other tables, such as
 * the state schema, are left alone; the dataset's tables are replaced). Returns the row count per table.
 */
export async function generateExampleWarehouse<T extends string>(path: string, dataset: ExampleDataset<T>, opts: GenerationOptions<T>): Promise<GenerationResult> {
  const { seed, now } = checkGenerationOptions(opts, dataset.maxProfiles);
  const wh = await openDuckDb(path);
  try {
    return await generateInto(wh, dataset, opts.profiles, seed, now, opts.onProgress);
  } finally {
    await wh.close();
  }
}
