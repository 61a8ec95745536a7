import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WarehouseError } from '../../src/warehouse/errors.js';
import { openSnowflake, type SnowflakeWarehouse } from '../../src/warehouse/snowflake.js';
import { emulatedConfig, EMULATED_PASSWORD } from '../support/snowflake-emulator/connect.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../support/snowflake-emulator/index.js';

/*
 * The adapter (src/warehouse/snowflake.ts) through the real snowflake-sdk against the emulation,
 * which executes the statements: values go in bound, come back typed, errors carry Snowflake's
 * codes and land in the adapter's classes, names resolve with Snowflake's case rules.
 */
const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let emulator: SnowflakeEmulator;
let wh: SnowflakeWarehouse;
beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ password: EMULATED_PASSWORD, publicKeyPem: publicKey });
  wh = await openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: EMULATED_PASSWORD } });
});
afterAll(async () => {
  await wh.close();
  await emulator.close();
});

async function error(p: Promise<unknown>): Promise<WarehouseError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(WarehouseError);
  return e as WarehouseError;
}

describe('the Snowflake adapter on the emulation', () => {
  it('round-trips every type through bound values, in order, with the statement’s QUERY_TAG', async () => {
    await wh.query(`CREATE TABLE PROFILES (ID VARCHAR NOT NULL, N NUMBER(38,0), SCORE FLOAT, VIP BOOLEAN, DUE DATE, SEEN TIMESTAMP_NTZ, PROPS VARIANT)`);
    const hostile = "x'); DROP TABLE PROFILES; -- ☃ \\n";
    await wh.query(
      `INSERT INTO PROFILES (ID, N, SCORE, VIP, DUE, SEEN, PROPS) SELECT ?, ?, ?, ?, ?, ?, PARSE_JSON(?)`,
      [hostile, 3, 1.5, true, '2026-01-31', new Date('2026-11-28T10:11:12.345Z'), JSON.stringify({ amount: 12.5, tags: ['a'] })],
      { tag: 'linked-audiences:test:round-trip' },
    );
    await wh.query(`INSERT INTO PROFILES (ID, N) VALUES (?, ?)`, ['u_2', null]);
    const { rows, queryId } = await wh.query(`SELECT ID, N, SCORE, VIP, DUE, SEEN, PROPS FROM PROFILES WHERE N > ? OR ID = ? ORDER BY ID`, [2, 'u_2']);
    expect(queryId).toMatch(/^01b-emulated-/);
    expect(rows).toEqual([
      { ID: 'u_2', N: null, SCORE: null, VIP: null, DUE: null, SEEN: null, PROPS: null },
      {
        ID: hostile,
        N: 3,
        SCORE: 1.5,
        VIP: true,
        DUE: new Date('2026-01-31T00:00:00Z'),
        SEEN: new Date('2026-11-28T10:11:12.345Z'),
        PROPS: { amount: 12.5, tags: ['a'] },
      },
    ]);
    const tagged = emulator.queries.find((q) => q.sqlText.startsWith('INSERT INTO PROFILES (ID, N, SCORE'));
    expect(tagged?.parameters).toEqual({ TIMEZONE: 'UTC', QUERY_TAG: 'linked-audiences:test:round-trip' });
    expect(tagged?.binds.map((b) => b.type)).toEqual(['TEXT', 'FIXED', 'REAL', 'BOOLEAN', 'TEXT', 'TEXT', 'TEXT']);
  });

  it('reads an integer past 2^53 with every digit, as text, as the DuckDB adapter does; smaller integers as numbers', async () => {
    await wh.query(`CREATE TABLE HASHED (K NUMBER(38,0), AMOUNT NUMBER(10,2))`);
    await wh.query(`INSERT INTO HASHED VALUES (9007199254740993, 1.5), (-9223372036854775808, 2), (42, NULL)`);
    const rows = (await wh.query(`SELECT K, AMOUNT, COUNT(*) OVER () AS N FROM HASHED ORDER BY K`)).rows;
    expect(rows).toEqual([
      { K: '-9223372036854775808', AMOUNT: 2, N: 3 },
      { K: 42, AMOUNT: null, N: 3 },
      { K: '9007199254740993', AMOUNT: 1.5, N: 3 },
    ]);
    const streamed: unknown[] = [];
    for await (const page of wh.stream(`SELECT K FROM HASHED ORDER BY K`)) streamed.push(...page);
    expect(streamed).toEqual([{ K: '-9223372036854775808' }, { K: 42 }, { K: '9007199254740993' }]);
  });

  it('counts DML rows under Snowflake’s column names', async () => {
    await wh.query(`CREATE TABLE COUNTS (K VARCHAR)`);
    expect((await wh.query(`INSERT INTO COUNTS (K) VALUES (?), (?)`, ['a', 'b'])).rows).toEqual([{ 'number of rows inserted': 2 }]);
    expect((await wh.query(`UPDATE COUNTS SET K = ? WHERE K = ?`, ['c', 'a'])).rows).toEqual([{ 'number of rows updated': 1, 'number of multi-joined rows updated': 0 }]);
    expect((await wh.query(`DELETE FROM COUNTS WHERE K IN (?, ?)`, ['b', 'c'])).rows).toEqual([{ 'number of rows deleted': 2 }]);
  });

  it('resolves names as Snowflake does: unquoted is upper case, quoted is exact', async () => {
    await wh.query(`CREATE TABLE "lower_case" ("id" VARCHAR, Upper_Col VARCHAR)`);
    await wh.query(`INSERT INTO "lower_case" VALUES (?, ?)`, ['1', 'x']);
    expect((await wh.query(`SELECT "id", upper_col AS v FROM "lower_case"`)).rows).toEqual([{ id: '1', V: 'x' }]);
    const missingTable = await error(wh.query(`SELECT "id" FROM lower_case`));
    expect(missingTable.code).toBe('SQL_COMPILATION');
    expect(missingTable.message).toBe("002003 (42S02): SQL compilation error:\nObject 'LOWER_CASE' does not exist or not authorized.");
    const missingColumn = await error(wh.query(`SELECT id FROM "lower_case"`));
    expect(missingColumn.code).toBe('SQL_COMPILATION');
    expect(missingColumn.message).toContain("000904 (42000): SQL compilation error: error line 0 at position 0\ninvalid identifier 'ID'");
    expect(missingColumn.queryId).toMatch(/^01b-emulated-/);
  });

  it('describeTable reads INFORMATION_SCHEMA with Snowflake’s names, types and case', async () => {
    const t = await wh.describeTable('MAIN.PROFILES');
    expect(t?.columns.map((c) => [c.name, c.type, c.family, c.nullable])).toEqual([
      ['ID', 'TEXT', 'string', false],
      ['N', 'NUMBER(38,0)', 'number', true],
      ['SCORE', 'FLOAT', 'number', true],
      ['VIP', 'BOOLEAN', 'boolean', true],
      ['DUE', 'DATE', 'date', true],
      ['SEEN', 'TIMESTAMP_NTZ', 'timestamp', true],
      ['PROPS', 'VARIANT', 'json', true],
    ]);
    // INFORMATION_SCHEMA's DATA_TYPE is NUMBER for both: the scale comes from NUMERIC_SCALE.
    expect((await wh.describeTable('MAIN.HASHED'))?.columns.map((c) => [c.name, c.type, c.family])).toEqual([
      ['K', 'NUMBER(38,0)', 'number'],
      ['AMOUNT', 'NUMBER(10,2)', 'number'],
    ]);
    expect(await wh.describeTable('main.profiles')).toBeUndefined();
    expect((await wh.describeTable('MAIN.lower_case'))?.columns.map((c) => c.name)).toEqual(['id', 'UPPER_COL']);
  });

  it('classifies errors: data errors pass through, an untranslated construct fails loudly', async () => {
    const numeric = await error(wh.query(`SELECT DATEADD(DAY, ?, CAST(? AS TIMESTAMP)) AS T`, ['2026-11-28 10:00:00.000', -7]));
    expect(numeric.code).toBe('WAREHOUSE');
    expect(numeric.retryable).toBe(false);
    expect(numeric.message).toBe("100038 (22018): Numeric value '2026-11-28 10:00:00.000' is not recognized");
    const right = await wh.query<{ T: Date }>(`SELECT DATEADD(DAY, ?, CAST(? AS TIMESTAMP)) AS T`, [-7, '2026-11-28 10:00:00.000']);
    expect(right.rows[0].T).toEqual(new Date('2026-11-21T10:00:00Z'));
    const untranslated = await error(wh.query(`SELECT ARRAY_AGG(ID) AS A FROM PROFILES`));
    expect(untranslated.message).toContain("Unsupported feature 'function ARRAY_AGG'");
    expect(untranslated.message).toContain('SELECT ARRAY_AGG(ID) AS A FROM PROFILES');
    const syntax = await error(wh.query(`SELEC 1`));
    expect(syntax.code).toBe('SQL_COMPILATION');
  });

  it('transactions: committed, rolled back, and DDL commits the open transaction as on Snowflake', async () => {
    await wh.query(`CREATE TABLE TX (K VARCHAR PRIMARY KEY)`);
    await wh.transaction(async (tx) => {
      await tx.query(`INSERT INTO TX VALUES (?)`, ['kept']);
    });
    await expect(
      wh.transaction(async (tx) => {
        await tx.query(`INSERT INTO TX VALUES (?)`, ['dropped']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(
      wh.transaction(async (tx) => {
        await tx.query(`INSERT INTO TX VALUES (?)`, ['committed by DDL']);
        await tx.query(`CREATE TABLE TX_OTHER (K VARCHAR)`);
        throw new Error('too late');
      }),
    ).rejects.toThrow('too late');
    // Snowflake does not enforce PRIMARY KEY: a duplicate goes in.
    await wh.query(`INSERT INTO TX VALUES (?)`, ['kept']);
    expect((await wh.query<{ K: string }>(`SELECT K FROM TX ORDER BY K`)).rows.map((r) => r.K)).toEqual(['committed by DDL', 'kept', 'kept']);
  });

  it('CURRENT_TIMESTAMP meets NTZ values in UTC: the adapter sets TIMEZONE on each statement', async () => {
    const sql = `SELECT CURRENT_TIMESTAMP AS LTZ, CAST(CURRENT_TIMESTAMP AS TIMESTAMP_NTZ) AS NTZ`;
    const { rows } = await wh.query<{ LTZ: Date; NTZ: Date }>(sql, [], { tag: 'linked-audiences:test:now' });
    expect(Math.abs(rows[0].LTZ.getTime() - Date.now())).toBeLessThan(60_000);
    expect(rows[0].NTZ).toEqual(rows[0].LTZ);
    expect(emulator.queries.at(-1)?.parameters).toEqual({ TIMEZONE: 'UTC', QUERY_TAG: 'linked-audiences:test:now' });
    // Without it, a session keeps Snowflake's default TIMEZONE (America/Los_Angeles): an NTZ made
    // from CURRENT_TIMESTAMP is 7 or 8 hours behind the UTC wall clocks the adapter binds.
    const raw = await emulator.seed(sql, [], 'ANALYTICS', 'MAIN');
    const [ltz, ntz] = raw.rows[0].map((v) => Number(v));
    expect([7, 8]).toContain(Math.round((ltz - ntz) / 3600));
  });

  it('key-pair login works and a closed connection deletes its session', async () => {
    const before = emulator.openSessions();
    const keyed = await openSnowflake(
      emulatedConfig(emulator.url, { auth: { type: 'keypair', privateKey: { secret: 'SF_KEY' } } }),
      { env: { SF_KEY: privateKey } },
    );
    expect((await keyed.query<{ N: number }>(`SELECT COUNT(*) AS N FROM PROFILES`)).rows).toEqual([{ N: 2 }]);
    expect(emulator.openSessions()).toBe(before + 1);
    await keyed.close();
    expect(emulator.openSessions()).toBe(before);
    expect(emulator.logins.at(-1)?.data.AUTHENTICATOR).toBe('SNOWFLAKE_JWT');
  });
});
