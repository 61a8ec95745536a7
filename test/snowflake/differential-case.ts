/*
 * One generated differential case (test/support/generate.ts) compiled for Snowflake and executed
 * on the emulation through the adapter, against the reference evaluator: members, entity matches
 * (recomputed and from staged members) and the one-query form compute uses.
 */
import { expect } from 'vitest';
import { compileEntityMatches, compileMembership, compileMembershipMatches, type CompiledQuery } from '../../src/sql/index.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { contextFor } from '../support/context.js';
import { generateCase } from '../support/generate.js';
import { Reference } from '../support/reference.js';
import { dropWorldSnowflake, loadWorldSnowflake } from '../support/snowflake-emulator/world.js';

/** Where compute stages members: a quoted table with AUDIENCE_KEY and PROFILE_ID, as the migrations make it. */
export const STAGED_MEMBERS = { schema: 'MAIN', name: 'DIFF_MEMBERS' };

export async function createStagedMembers(wh: Warehouse): Promise<void> {
  await wh.query(`CREATE TABLE "MAIN"."DIFF_MEMBERS" (AUDIENCE_KEY VARCHAR, PROFILE_ID VARCHAR)`);
}

export interface CaseOutcome {
  /** The case's SQL adds an interval to a time (a relative window). */
  windowed: boolean;
  nonEmpty: boolean;
  entityChecks: number;
}

async function rows<T>(wh: Warehouse, q: CompiledQuery, where: string): Promise<T[]> {
  try {
    return (await wh.query<T>(q.sql, q.params)).rows;
  } catch (e) {
    throw new Error(`${where}\nSQL failed: ${(e as Error).message}\n${q.sql}\nparams: ${JSON.stringify(q.params)}`);
  }
}

export async function checkSnowflakeCase(wh: Warehouse, seed: number): Promise<CaseOutcome> {
  const c = generateCase(seed);
  const ctx = contextFor(c.world, 'snowflake');
  const ref = new Reference(c.world);
  const outcome: CaseOutcome = { windowed: false, nonEmpty: false, entityChecks: 0 };
  // A relative window: its bounds are worked out from `now` in the stack's zone and bound as values.
  outcome.windowed = /"(within_last|within_next)"|"type":"within"/.test(JSON.stringify(c));
  await loadWorldSnowflake(wh, c.world);
  try {
    for (const condition of [c.condition, ...(c.chained ? [c.chained] : [])]) {
      const where = `seed ${seed} (SF_DIFF_SEED=${seed} SF_DIFF_CASES=1)\ncondition: ${JSON.stringify(condition)}`;
      const q = compileMembership(condition, ctx);
      const got = (await rows<{ PROFILE_ID: string }>(wh, q, where)).map((r) => r.PROFILE_ID);
      const want = [...ref.membership(condition)].sort();
      expect(new Set(got).size, `duplicate profile ids, ${where}`).toBe(got.length);
      expect(got.sort(), where).toEqual(want);
      if (want.length > 0) outcome.nonEmpty = true;

      await wh.query(`DELETE FROM "MAIN"."DIFF_MEMBERS"`);
      await wh.query(`INSERT INTO "MAIN"."DIFF_MEMBERS" SELECT 'case', PROFILE_ID FROM (${q.sql})`, q.params);
      const variants = [
        { name: 'recomputed members', options: {} },
        { name: 'staged members', options: { members: { table: STAGED_MEMBERS, audienceKey: 'case' } } },
      ];
      for (const path of c.paths) {
        for (const variant of variants) {
          const m = compileEntityMatches(condition, path, ctx, variant.options);
          const found = await rows<{ PROFILE_ID: string; ENTITY_PATH: string; ENTITY_ID: string }>(wh, m, `${where}\npath ${path.join('.')}`);
          const matches = found.map((r) => `${r.PROFILE_ID}|${r.ENTITY_PATH}|${r.ENTITY_ID}`);
          expect(new Set(matches).size, `duplicate matches, ${where}`).toBe(matches.length);
          expect(matches.sort(), `path ${path.join('.')} (${variant.name}), ${where}`).toEqual([...ref.entityMatches(condition, path)].sort());
          outcome.entityChecks += matches.length;
        }
        const fused = compileMembershipMatches(condition, path, ctx);
        if (!fused) continue;
        const label = `members and matches in one query, path ${path.join('.')}, ${where}`;
        const both = await rows<{ PROFILE_ID: string; ENTITY_ID: string | null }>(wh, fused, label);
        expect([...new Set(both.map((r) => r.PROFILE_ID))].sort(), label).toEqual(want);
        const fusedMatches = both.filter((r) => r.ENTITY_ID !== null).map((r) => `${r.PROFILE_ID}|${path.join('.')}|${r.ENTITY_ID}`);
        expect(fusedMatches.sort(), label).toEqual([...ref.entityMatches(condition, path)].sort());
      }
    }
  } finally {
    await dropWorldSnowflake(wh, c.world);
  }
  return outcome;
}
