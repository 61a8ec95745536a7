import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { SnowflakeWarehouse } from '../../src/warehouse/snowflake.js';
import { dropWorld, loadWorld } from '../support/load.js';
import { emulatedSnowflake } from '../support/snowflake-emulator/connect.js';
import { dropWorldSnowflake, loadWorldSnowflake } from '../support/snowflake-emulator/world.js';
import { checkWhyCase, type WhyCaseOutcome } from './why-case.js';

/*
 * `linked why` against membership on the differential generator's cases: the root of the
 * explanation equals membership, each node the reference evaluator's verdict for it, and each
 * related row an entity condition explains counts or not as the reference says. WHY_DIFF_SEED
 * reproduces a case; WHY_DIFF_CASES / WHY_SF_CASES raise the counts.
 */
const BASE_SEED = Number(process.env.WHY_DIFF_SEED ?? 20261206);
const CASES = Number(process.env.WHY_DIFF_CASES ?? 32);
const SF_CASES = Number(process.env.WHY_SF_CASES ?? 8);

function tally(all: WhyCaseOutcome[]) {
  return all.reduce(
    (a, o) => ({ profiles: a.profiles + o.profiles, checkedTrees: a.checkedTrees + o.checkedTrees, members: a.members + o.members, nodes: a.nodes + o.nodes, rows: a.rows + o.rows }),
    { profiles: 0, checkedTrees: 0, members: 0, nodes: 0, rows: 0 },
  );
}

describe('why equals membership (DuckDB)', () => {
  let wh: DuckDbWarehouse;
  beforeAll(async () => {
    wh = await openDuckDb(':memory:');
  });
  afterAll(() => wh.close());
  const outcomes: WhyCaseOutcome[] = [];
  for (let start = 0; start < CASES; start += 16) {
    it(`cases ${start}..${Math.min(start + 16, CASES) - 1}`, async () => {
      for (let i = start; i < Math.min(start + 16, CASES); i++) {
        outcomes.push(await checkWhyCase(wh, 'duckdb', BASE_SEED + i, { load: (w) => loadWorld(wh, w), drop: (w) => dropWorld(wh, w) }));
      }
    }, 120_000);
  }
  it('explains members and non-members often enough to prove something', () => {
    const t = tally(outcomes);
    expect(t.members).toBeGreaterThan(CASES / 2);
    expect(t.profiles - t.members).toBeGreaterThan(CASES / 2);
    expect(t.checkedTrees).toBeGreaterThan(t.profiles / 2);
    expect(t.nodes).toBeGreaterThan(t.checkedTrees * 2);
    // The related rows each entity condition explains, checked row by row.
    expect(t.rows).toBeGreaterThan(CASES * 4);
  });
});

describe('why equals membership (Snowflake emulation, through the driver)', () => {
  let env: Awaited<ReturnType<typeof emulatedSnowflake>>;
  let wh: SnowflakeWarehouse;
  beforeAll(async () => {
    env = await emulatedSnowflake();
    wh = env.wh;
  });
  afterAll(() => env.close());
  const outcomes: WhyCaseOutcome[] = [];
  it(`${SF_CASES} cases`, async () => {
    for (let i = 0; i < SF_CASES; i++) {
      outcomes.push(await checkWhyCase(wh, 'snowflake', BASE_SEED + i, { load: (w) => loadWorldSnowflake(wh, w), drop: (w) => dropWorldSnowflake(wh, w) }, 4));
    }
    const t = tally(outcomes);
    expect(t.members).toBeGreaterThan(SF_CASES / 2);
    expect(t.profiles - t.members).toBeGreaterThan(SF_CASES / 2);
    expect(t.rows).toBeGreaterThan(SF_CASES * 2);
  }, 240_000);
});
