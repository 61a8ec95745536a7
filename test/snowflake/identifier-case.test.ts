import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCatalog } from '../../src/graph/catalog.js';
import { Desired } from '../../src/model/desired.js';
import { emulatedConfig, emulatedSnowflake } from '../support/snowflake-emulator/connect.js';

/*
 * A Data Graph written in lower case against Snowflake tables created by unquoted DDL (stored
 * upper case): `validate`'s catalog check reads INFORMATION_SCHEMA with Snowflake's case rules and
 * says, for each name that exists only in another case, the exact spelling to write.
 */
describe('identifier case at validate, on emulated Snowflake', () => {
  let env: Awaited<ReturnType<typeof emulatedSnowflake>>;
  beforeAll(async () => {
    env = await emulatedSnowflake();
    // Unquoted DDL: Snowflake stores MAIN.PROFILES (USER_ID, PLAN) and MAIN.ACCOUNTS (...).
    await env.wh.query(`CREATE TABLE MAIN.PROFILES (USER_ID VARCHAR, PLAN VARCHAR)`);
    await env.wh.query(`CREATE TABLE MAIN.ACCOUNTS (ACCOUNT_ID VARCHAR, USER_ID VARCHAR)`);
  });
  afterAll(async () => {
    await env?.close();
  });

  const desired = (profileTable: string, id: string, trait: string, accounts: string, joinColumn: string) =>
    Desired.parse({
      stack: 'bank',
      warehouse: emulatedConfig(env.emulator.url),
      graph: {
        profile: { table: profileTable, id, traits: [trait], identifiers: [id] },
        entities: [{ slug: 'account', name: 'Account', table: accounts, primaryKey: 'ACCOUNT_ID' }],
        relationships: [{ slug: 'accounts', name: 'Accounts', entity: 'account', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: id, entityColumn: joinColumn } }],
      },
      audiences: [],
    });

  it('a table written in lower case: TABLE_MISSING naming the upper-case table to write', async () => {
    const d = await checkCatalog(desired('main.profiles', 'USER_ID', 'PLAN', 'MAIN.ACCOUNTS', 'USER_ID'), env.wh);
    expect(d.map((x) => [x.code, x.hint])).toEqual([
      ['TABLE_MISSING', expect.stringContaining("write 'MAIN.PROFILES' instead of 'main.profiles'")],
    ]);
  });

  it('columns written in lower case: each message names the upper-case column to write', async () => {
    const d = await checkCatalog(desired('MAIN.PROFILES', 'USER_ID', 'plan', 'MAIN.ACCOUNTS', 'user_id'), env.wh);
    const byCode = Object.fromEntries(d.map((x) => [x.code, x]));
    expect(byCode.WAREHOUSE_COLUMN_MISSING?.hint).toContain("write 'PLAN' instead of 'plan'");
    expect(byCode.JOIN_KEY_MISSING?.message).toBe('Join key missing from Data Graph for relation: accounts');
    expect(byCode.JOIN_KEY_MISSING?.hint).toContain("write 'USER_ID' instead of 'user_id'");
  });

  it('a misspelt table: TABLE_MISSING with the closest table in its stored case', async () => {
    const d = await checkCatalog(desired('MAIN.PROFILES', 'USER_ID', 'PLAN', 'MAIN.ACCONTS', 'USER_ID'), env.wh);
    expect(d.map((x) => [x.code, x.hint])).toEqual([['TABLE_MISSING', 'Did you mean "MAIN.ACCOUNTS"?']]);
    // One part: the session's schema (MAIN); two: any schema of the database; three: with the database.
    expect(await env.wh.tableNames('PROFILE')).toEqual(['ACCOUNTS', 'PROFILES']);
    expect(await env.wh.tableNames('MAIN.PROFILE')).toEqual(['MAIN.ACCOUNTS', 'MAIN.PROFILES']);
    expect(await env.wh.tableNames('ANALYTICS.MAIN.PROFILE')).toEqual(['ANALYTICS.MAIN.ACCOUNTS', 'ANALYTICS.MAIN.PROFILES']);
  });

  it('names in their stored case pass', async () => {
    expect(await checkCatalog(desired('MAIN.PROFILES', 'USER_ID', 'PLAN', 'MAIN.ACCOUNTS', 'USER_ID'), env.wh)).toEqual([]);
  });
});
