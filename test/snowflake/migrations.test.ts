import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateState } from '../../src/state/migrate.js';
import { MIGRATIONS } from '../../src/state/migrations/index.js';
import { emulatedSnowflake } from '../support/snowflake-emulator/connect.js';

/* Every state migration's DDL executed on the emulation through the adapter, not only parsed. */
describe('the state migrations on the Snowflake emulation', () => {
  let env: Awaited<ReturnType<typeof emulatedSnowflake>>;
  beforeAll(async () => {
    env = await emulatedSnowflake();
  });
  afterAll(async () => {
    await env.close();
  });

  it('create the state schema and record their versions', async () => {
    const latest = MIGRATIONS.at(-1)!.version;
    expect(await migrateState(env.wh, 'LINKED_AUDIENCES')).toEqual({ from: 0, to: latest });
    // The one failed statement: the version read that finds no state schema on a new account.
    expect(env.emulator.queries.filter((q) => q.errorCode).map((q) => [q.errorCode, q.sqlText])).toEqual([['002003', expect.stringMatching(/^SELECT MAX\("VERSION"\)/)]]);
    // Unquoted column names are stored upper case, as Snowflake stores them.
    const outbox = await env.wh.describeTable('LINKED_AUDIENCES.outbox');
    expect(outbox?.columns.map((c) => c.name)).toContain('AUDIENCE_KEY');
    expect((await env.wh.query(`SELECT COUNT(*) AS n FROM "LINKED_AUDIENCES"."delivery_log"`)).rows).toEqual([{ N: 0 }]);
  });

  /*
   * Snowflake names an unquoted alias in upper case: a version read under a lower-case key would
   * start every command from version 0 and re-run every migration.
   */
  it('a second run finds the schema current', async () => {
    const latest = MIGRATIONS.at(-1)!.version;
    expect(await migrateState(env.wh, 'LINKED_AUDIENCES')).toEqual({ from: latest, to: latest });
  });
});
