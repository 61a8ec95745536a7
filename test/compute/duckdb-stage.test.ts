import { afterEach, describe, expect, it } from 'vitest';
import { runAudience } from '../../src/compute/run.js';
import type { CompiledAudience } from '../../src/compute/types.js';
import { recordingWarehouse } from '../support/recording-warehouse.js';
import { computeTables, freshWarehouse, SCHEMA } from './helpers.js';

/*
 * On DuckDB a run's stage never reaches the file: the run stages, checks and commits in one
 * transaction that removes its stage rows before it commits, and optimistic writes (which would
 * write a large insert to the file before its commit) are off.
 */
let close: (() => Promise<void>) | undefined;
afterEach(async () => close?.());

const audience: CompiledAudience = {
  membership: { sql: 'SELECT user_id AS profile_id FROM main.profiles WHERE score >= ?', params: [500] },
  entities: [{ path: 'accounts', query: { sql: `SELECT user_id AS profile_id, 'accounts' AS entity_path, account_id AS entity_id FROM main.accounts`, params: [] } }],
};

describe('a DuckDB run', () => {
  it('stages, checks and commits in one transaction, and leaves no stage rows', async () => {
    const fresh = await freshWarehouse();
    close = () => fresh.wh.close();
    await fresh.wh.query('CREATE TABLE main.profiles AS SELECT \'u\' || i AS user_id, i % 1000 AS score FROM range(5000) t(i)');
    await fresh.wh.query('CREATE TABLE main.accounts AS SELECT \'a\' || i AS account_id, \'u\' || (i % 5000) AS user_id FROM range(8000) t(i)');
    const { wh, statements } = recordingWarehouse(fresh.wh);

    const run = await runAudience(wh, { schema: SCHEMA, audienceKey: 'a', trigger: 'manual', compile: () => audience });

    expect(run).toMatchObject({ status: 'Live', members: 2500, entered: 2500, entitiesAdded: 8000 });
    const staging = statements.filter((s) => /(membership|entity_matches)_stage/.test(s.sql));
    expect(staging.length).toBeGreaterThanOrEqual(3);
    expect(staging.filter((s) => !s.inTransaction)).toEqual([]);
    const t = computeTables(fresh.wh);
    for (const table of [t.membership_stage, t.entity_matches_stage]) {
      expect((await fresh.wh.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n).toBe(0);
    }
    expect((await fresh.wh.query<{ on: boolean }>("SELECT current_setting('enable_optimistic_write') AS on")).rows[0].on).toBe(false);
  });

  it('writes nothing to the entity stage of an audience without entity paths', async () => {
    const fresh = await freshWarehouse();
    close = () => fresh.wh.close();
    await fresh.wh.query("CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, (i * 10) % 1000 AS score FROM range(100) t(i)");
    const { wh, statements } = recordingWarehouse(fresh.wh);

    const run = await runAudience(wh, { schema: SCHEMA, audienceKey: 'a', trigger: 'manual', compile: () => ({ ...audience, entities: [] }) });

    expect(run).toMatchObject({ status: 'Live', members: 50 });
    expect(statements.filter((s) => /^(INSERT INTO|DELETE FROM|UPDATE) "\w+"\."entity_matches_stage"/.test(s.sql))).toEqual([]);
  });
});
