import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnowflakeWarehouse } from '../../src/warehouse/snowflake.js';
import { emulatedSnowflake } from '../support/snowflake-emulator/connect.js';
import { checkSnowflakeCase, createStagedMembers } from './differential-case.js';

/*
 * The differential generator's cases (test/sql/differential.test.ts runs them on DuckDB) printed
 * for Snowflake and EXECUTED on the emulation through snowflake-sdk and the adapter, against the
 * reference evaluator. A subset by default (each case loads its world over HTTP); SF_DIFF_CASES
 * raises it (SF_DIFF_CASES=300 runs the whole default set), SF_DIFF_SEED reproduces one.
 */
const BASE_SEED = Number(process.env.SF_DIFF_SEED ?? 20261128);
const CASES = Number(process.env.SF_DIFF_CASES ?? 60);
const BATCH = 10;

describe('Snowflake SQL executed on the emulation equals the reference evaluator', () => {
  let env: Awaited<ReturnType<typeof emulatedSnowflake>>;
  let wh: SnowflakeWarehouse;
  beforeAll(async () => {
    env = await emulatedSnowflake();
    wh = env.wh;
    await createStagedMembers(wh);
  });
  afterAll(async () => {
    await env.close();
  });

  let windowed = 0;
  let nonEmpty = 0;
  let entityChecks = 0;
  for (let start = 0; start < CASES; start += BATCH) {
    it(`cases ${start}..${Math.min(start + BATCH, CASES) - 1} from seed ${BASE_SEED}`, async () => {
      for (let i = start; i < Math.min(start + BATCH, CASES); i++) {
        const outcome = await checkSnowflakeCase(wh, BASE_SEED + i);
        if (outcome.windowed) windowed++;
        if (outcome.nonEmpty) nonEmpty++;
        entityChecks += outcome.entityChecks;
      }
    }, 60_000);
  }

  it('the cases select profiles, entities and relative windows often enough to prove something', () => {
    expect(nonEmpty).toBeGreaterThan(CASES / 4);
    expect(entityChecks).toBeGreaterThan(CASES / 2);
    expect(windowed, 'cases with a relative window').toBeGreaterThan(CASES / 10);
  });
});
