import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rebuildSnapshot } from '../../src/compute/rebuild.js';
import { runAudience, type RunOptions } from '../../src/compute/run.js';
import { readStatus, resumeAudience, updateStatus } from '../../src/compute/status.js';
import type { CompiledAudience } from '../../src/compute/types.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { SCHEMA, freshWarehouse, replayMismatches, computeTables } from './helpers.js';

/* `linked resume --rebuild-snapshot`: the snapshot rebuilt from the outbox, the way out of SNAPSHOT_MISMATCH. */

const withAccounts: CompiledAudience = {
  membership: { sql: 'SELECT user_id AS profile_id FROM main.profiles WHERE score >= ?', params: [600] },
  entities: [{ path: 'accounts', query: { sql: 'SELECT user_id AS profile_id, account_id AS entity_id FROM main.accounts', params: [] } }],
};
const membersOnly: CompiledAudience = { membership: withAccounts.membership, entities: [] };

let wh: Warehouse;
beforeEach(async () => {
  wh = (await freshWarehouse()).wh;
  await wh.query("CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, 500 + i AS score FROM range(200) t(i)");
  await wh.query("CREATE TABLE main.accounts AS SELECT 'a' || i AS account_id, 'u' || (100 + i % 50) AS user_id FROM range(80) t(i)");
});
afterEach(async () => wh.close());

const t = () => computeTables(wh, SCHEMA);
const run = (compiled = withAccounts, o: Partial<RunOptions> = {}) =>
  runAudience(wh, { schema: SCHEMA, audienceKey: 'aud', trigger: 'manual', compile: () => compiled, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, ...o });
const snapshotRows = async (table: 'membership' | 'entity_matches', column: string) =>
  (await wh.query<{ k: string }>(`SELECT ${column} AS k FROM ${t()[table]} WHERE audience_key = 'aud' ORDER BY 1`)).rows.map((r) => r.k);

describe('rebuildSnapshot', () => {
  it('rebuilds a tampered snapshot from the outbox; the next run sends exactly the changes since', async () => {
    expect((await run()).status).toBe('Live');
    // The snapshot drifts (a duplicated member, a lost one, a duplicated match), and data changes.
    await wh.query(`INSERT INTO ${t().membership} SELECT audience_key, profile_id, run_id FROM ${t().membership} WHERE profile_id = 'u120'`);
    await wh.query(`DELETE FROM ${t().membership} WHERE profile_id = 'u130'`);
    await wh.query(`INSERT INTO ${t().entity_matches} SELECT * FROM ${t().entity_matches} WHERE entity_id = 'a7'`);
    await wh.query(`UPDATE main.profiles SET score = 0 WHERE user_id = 'u190'`);
    const paused = await run();
    expect(paused.error?.code).toBe('LOAD_RESULTS_FAILED');

    const rebuilt = await rebuildSnapshot(wh, SCHEMA, 'aud');
    expect(rebuilt).toEqual({ before: { members: 100, entities: { accounts: 81 } }, after: { members: 100, entities: { accounts: 80 } } });
    expect(await replayMismatches(wh)).toEqual([]);
    expect(await snapshotRows('membership', 'profile_id')).toContain('u130');

    await resumeAudience(wh, SCHEMA, 'aud');
    expect(await run()).toMatchObject({ status: 'Live', members: 99, entered: 0, exited: 1, entitiesAdded: 0, entitiesRemoved: 0 });
    expect(await replayMismatches(wh)).toEqual([]);
  });

  it("restarts an entity path's snapshot at its latest baseline, not at its first", async () => {
    expect((await run()).status).toBe('Live');
    // No emitter needs accounts for a while: its snapshot goes, without outbox rows.
    expect((await run(membersOnly)).status).toBe('Live');
    await wh.query(`DELETE FROM main.accounts WHERE account_id = 'a3'`);
    // Needed again: a new baseline without a3. The outbox still says a3 was added, in the first era.
    expect(await run()).toMatchObject({ status: 'Live', entitiesAdded: 79, entitiesRemoved: 0 });
    const truth = await snapshotRows('entity_matches', 'entity_id');
    expect(truth).not.toContain('a3');

    await wh.query(`DELETE FROM ${t().entity_matches}`);
    await updateStatus(wh, SCHEMA, 'aud', { status: 'Failed', paused: true, pausedReason: 'test' });
    const rebuilt = await rebuildSnapshot(wh, SCHEMA, 'aud');
    expect(rebuilt.after).toEqual({ members: 100, entities: { accounts: 79 } });
    expect(await snapshotRows('entity_matches', 'entity_id')).toEqual(truth);
  });

  it('refuses an audience that is not paused (a run could write its snapshot meanwhile), or never computed', async () => {
    await expect(rebuildSnapshot(wh, SCHEMA, 'aud')).rejects.toMatchObject({ code: 'AUDIENCE_NOT_COMPUTED' });
    expect((await run()).status).toBe('Live');
    await expect(rebuildSnapshot(wh, SCHEMA, 'aud')).rejects.toMatchObject({ code: 'AUDIENCE_NOT_PAUSED' });
    expect((await readStatus(wh, SCHEMA, 'aud'))?.paused).toBe(false);
  });
});
