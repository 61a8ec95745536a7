import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { SnowflakeWarehouseConfig } from '../../src/model/warehouse.js';
import { WarehouseError } from '../../src/warehouse/errors.js';
import { openSnowflake, snowflakeColumnType, snowflakeTypeFamily } from '../../src/warehouse/snowflake.js';
import { keyKind } from '../../src/graph/catalog.js';
import { startLocalSnowflake, type LocalSnowflake } from './local-snowflake-endpoint.js';

/*
 * Snowflake cannot run here. These tests drive the real snowflake-sdk against a LOCAL HTTP
 * endpoint on 127.0.0.1 (test/warehouse/local-snowflake-endpoint.ts) that speaks enough of
 * Snowflake's REST protocol: they prove the wiring (auth request, bindings, QUERY_TAG, result
 * decoding, error classification), not Snowflake's SQL.
 */

const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass-phrase-123' },
});

let endpoint: LocalSnowflake | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

function config(url: string, auth: SnowflakeWarehouseConfig['auth']): SnowflakeWarehouseConfig {
  return {
    type: 'snowflake',
    account: 'acme-test',
    username: 'linked_svc',
    database: 'ANALYTICS',
    warehouse: 'COMPUTE_WH',
    role: 'LINKED_ROLE',
    schema: 'MAIN',
    auth,
    accessUrl: url,
    stateSchema: 'LINKED_AUDIENCES',
  };
}

describe('Snowflake adapter against a local HTTP endpoint (not Snowflake)', () => {
  it('key-pair auth: signs a JWT with the private key from a secret reference, decrypted with its passphrase', async () => {
    endpoint = await startLocalSnowflake({ publicKeyPem: publicKey });
    // The key as a CI secret store often holds it: newlines escaped.
    const env = { SF_KEY: privateKey.replace(/\n/g, '\\n'), SF_PASS: 'pass-phrase-123' };
    const wh = await openSnowflake(config(endpoint.url, { type: 'keypair', privateKey: { secret: 'SF_KEY' }, passphrase: { secret: 'SF_PASS' } }), { env });
    await wh.close();
    expect(endpoint.logins).toHaveLength(1);
    const login = endpoint.logins[0];
    expect(login.data.AUTHENTICATOR).toBe('SNOWFLAKE_JWT');
    expect(login.data.LOGIN_NAME).toBe('linked_svc');
    expect(login.data.PASSWORD).toBeUndefined();
    expect(login.query).toMatchObject({ warehouse: 'COMPUTE_WH', databaseName: 'ANALYTICS', schemaName: 'MAIN', roleName: 'LINKED_ROLE' });
    // Neither the key nor the passphrase travels: only the signed token.
    const sent = JSON.stringify(login);
    expect(sent).not.toContain('pass-phrase-123');
    expect(sent).not.toContain('PRIVATE KEY');
  });

  it('key-pair auth with the wrong key is refused by the endpoint and reported without the secret', async () => {
    endpoint = await startLocalSnowflake({ publicKeyPem: publicKey });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const err = await openSnowflake(config(endpoint.url, { type: 'keypair', privateKey: { secret: 'SF_KEY' } }), { env: { SF_KEY: other.privateKey } }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain('Could not connect to Snowflake account acme-test as linked_svc');
    expect(err.message).toContain('Incorrect username or password');
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('password auth sends the password read from the environment at the moment of use', async () => {
    endpoint = await startLocalSnowflake({ password: 's3cr3t!-pw' });
    const wh = await openSnowflake(config(endpoint.url, { type: 'password', password: { secret: 'SF_PASSWORD' } }), { env: { SF_PASSWORD: 's3cr3t!-pw' } });
    await wh.close();
    expect(endpoint.logins[0].data).toMatchObject({ AUTHENTICATOR: 'SNOWFLAKE', LOGIN_NAME: 'linked_svc', PASSWORD: 's3cr3t!-pw' });
  });

  it('a missing secret fails before any request, naming the variable', async () => {
    endpoint = await startLocalSnowflake({ password: 'x' });
    const err = await openSnowflake(config(endpoint.url, { type: 'password', password: { secret: 'NOT_SET_ANYWHERE' } }), { env: {} }).catch((e) => e);
    expect(err.code).toBe('SECRET_MISSING');
    expect(err.message).toContain('NOT_SET_ANYWHERE');
    expect(endpoint.logins).toHaveLength(0);
  });

  it('a password too short to be masked is refused before any request, naming the variable, never the value', async () => {
    endpoint = await startLocalSnowflake({ password: 'q7z' });
    const err = await openSnowflake(config(endpoint.url, { type: 'password', password: { secret: 'SHORT_PW' } }), { env: { SHORT_PW: 'q7z' } }).catch((e) => e);
    expect(err.code).toBe('SECRET_TOO_SHORT');
    expect(err.message).toMatch(/SHORT_PW is shorter than 8 characters/);
    expect(err.message).not.toContain('q7z');
    expect(endpoint.logins).toHaveLength(0);
  });

  it('binds every value as a positional parameter, tags the statement and decodes the result', async () => {
    endpoint = await startLocalSnowflake({
      password: 'pw-local-1',
      onQuery: (q) =>
        q.sqlText.startsWith('SELECT "user_id"')
          ? {
              columns: [
                { name: 'user_id', type: 'text' },
                { name: 'n', type: 'fixed' },
                { name: 'score', type: 'real' },
                { name: 'vip', type: 'boolean' },
                { name: 'due', type: 'date' },
                { name: 'ts', type: 'timestamp_ntz' },
                { name: 'props', type: 'variant' },
              ],
              rows: [
                ['u_1', 3, 1.5, true, '2026-01-31', '2026-11-28T10:11:12.345Z', { amount: 12.5 }],
                ["o'brien; DROP TABLE x; --", null, null, false, null, null, null],
              ],
            }
          : { columns: [], rows: [] },
    });
    const wh = await openSnowflake(config(endpoint.url, { type: 'password', password: { secret: 'P' } }), { env: { P: 'pw-local-1' } });
    try {
      const hostile = "x'); DROP TABLE profiles; -- ☃";
      const result = await wh.query('SELECT "user_id" FROM "MAIN"."PROFILES" WHERE "email" = ? AND "n" > ? AND "vip" = ? AND "ts" < ?', [hostile, 3, true, new Date('2026-11-28T10:00:00Z')], {
        tag: 'linked-audiences:preview:overdue-cards',
      });
      const q = endpoint.queries.at(-1)!;
      expect(q.token).toBe('local-session-token');
      expect(q.sqlText).not.toContain('DROP');
      expect(q.bindings).toEqual({
        '1': { type: 'TEXT', value: hostile },
        '2': { type: 'FIXED', value: '3' },
        '3': { type: 'BOOLEAN', value: 'true' },
        '4': { type: 'TEXT', value: '2026-11-28 10:00:00.000' },
      });
      expect(q.parameters).toEqual({ TIMEZONE: 'UTC', QUERY_TAG: 'linked-audiences:preview:overdue-cards' });
      expect(result.queryId).toMatch(/^01b-local-\d+$/);
      expect(result.rows[0]).toEqual({
        user_id: 'u_1',
        n: 3,
        score: 1.5,
        vip: true,
        due: new Date('2026-01-31T00:00:00Z'),
        ts: new Date('2026-11-28T10:11:12.345Z'),
        props: { amount: 12.5 },
      });
      expect(result.rows[1]).toEqual({ user_id: "o'brien; DROP TABLE x; --", n: null, score: null, vip: false, due: null, ts: null, props: null });

      // An untagged statement carries no QUERY_TAG of a previous one.
      await wh.query('SELECT 1');
      expect(endpoint.queries.at(-1)!.parameters).toEqual({ TIMEZONE: 'UTC' });
    } finally {
      await wh.close();
    }
  });

  it('streams rows in pages with the tag on the statement', async () => {
    endpoint = await startLocalSnowflake({
      password: 'pw-local-1',
      onQuery: () => ({ columns: [{ name: 'profile_id', type: 'text' }], rows: Array.from({ length: 25 }, (_, i) => [`p${i}`]) }),
    });
    const wh = await openSnowflake(config(endpoint.url, { type: 'password', password: { secret: 'P' } }), { env: { P: 'pw-local-1' } });
    try {
      const pages: string[][] = [];
      for await (const page of wh.stream<{ profile_id: string }>('SELECT "profile_id" FROM t', [], 10, { tag: 'linked-audiences:compute:travel-spenders' })) {
        pages.push(page.map((r) => r.profile_id));
      }
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual(Array.from({ length: 25 }, (_, i) => `p${i}`));
      expect(endpoint.queries.at(-1)!.parameters).toEqual({ TIMEZONE: 'UTC', QUERY_TAG: 'linked-audiences:compute:travel-spenders' });
    } finally {
      await wh.close();
    }
  });

  it('classifies errors: SQL compilation with Snowflake’s own message, internal as retryable, others passed through', async () => {
    endpoint = await startLocalSnowflake({
      password: 'pw-local-1',
      onQuery: (q) => {
        if (q.sqlText.includes('PROPERTIES'))
          return { error: { code: '000904', sqlState: '42000', message: "SQL compilation error: error line 30 at position 61\ninvalid identifier 'XX.PROPERTIES'" } };
        if (q.sqlText.includes('incident')) return { error: { code: '000603', sqlState: 'XX000', message: 'SQL execution internal error: Processing aborted due to error 300002:1234.' } };
        return { error: { code: '100038', sqlState: '22018', message: "Numeric value 'abc' is not recognized" } };
      },
    });
    const wh = await openSnowflake(config(endpoint.url, { type: 'password', password: { secret: 'P' } }), { env: { P: 'pw-local-1' } });
    try {
      const compilation = await wh.query('SELECT XX.PROPERTIES FROM t').catch((e) => e);
      expect(compilation).toBeInstanceOf(WarehouseError);
      expect(compilation.code).toBe('SQL_COMPILATION');
      expect(compilation.retryable).toBe(false);
      expect(compilation.message).toBe("000904 (42000): SQL compilation error: error line 30 at position 61\ninvalid identifier 'XX.PROPERTIES'");
      expect(compilation.queryId).toMatch(/^01b-local-/);

      const internal = await wh.query('SELECT incident').catch((e) => e);
      expect(internal.code).toBe('WAREHOUSE_INTERNAL');
      expect(internal.retryable).toBe(true);

      const other = await wh.query("SELECT 'abc'::NUMBER").catch((e) => e);
      expect(other.code).toBe('WAREHOUSE');
      expect(other.retryable).toBe(false);
      expect(other.message).toBe("100038 (22018): Numeric value 'abc' is not recognized");
    } finally {
      await wh.close();
    }
  });

  it('describeTable reads INFORMATION_SCHEMA with bound names and maps type families', async () => {
    endpoint = await startLocalSnowflake({
      password: 'pw-local-1',
      onQuery: (q) =>
        q.sqlText.includes('INFORMATION_SCHEMA') && q.bindings?.['2']?.value === 'PROFILES'
          ? {
              columns: [
                { name: 'COLUMN_NAME', type: 'text' },
                { name: 'DATA_TYPE', type: 'text' },
                { name: 'IS_NULLABLE', type: 'text' },
              ],
              rows: [
                ['USER_ID', 'TEXT', 'NO'],
                ['CREDIT_SCORE', 'NUMBER', 'YES'],
                ['CREATED_AT', 'TIMESTAMP_NTZ', 'YES'],
                ['PROPS', 'VARIANT', 'YES'],
              ],
            }
          : { columns: [{ name: 'COLUMN_NAME', type: 'text' }], rows: [] },
    });
    const wh = await openSnowflake(config(endpoint.url, { type: 'password', password: { secret: 'P' } }), { env: { P: 'pw-local-1' } });
    try {
      const t = await wh.describeTable('MAIN.PROFILES');
      const q = endpoint.queries.at(-1)!;
      expect(q.sqlText).toContain('"ANALYTICS"."INFORMATION_SCHEMA"."COLUMNS"');
      expect(q.bindings).toEqual({ '1': { type: 'TEXT', value: 'MAIN' }, '2': { type: 'TEXT', value: 'PROFILES' } });
      // This answer has no NUMERIC_PRECISION or NUMERIC_SCALE: the type is DATA_TYPE as it is.
      expect(t?.columns.map((c) => [c.name, c.type, c.family, c.nullable])).toEqual([
        ['USER_ID', 'TEXT', 'string', false],
        ['CREDIT_SCORE', 'NUMBER', 'number', true],
        ['CREATED_AT', 'TIMESTAMP_NTZ', 'timestamp', true],
        ['PROPS', 'VARIANT', 'json', true],
      ]);
      expect(await wh.describeTable('OTHER_DB.MAIN.MISSING')).toBeUndefined();
      expect(endpoint.queries.at(-1)!.sqlText).toContain('"OTHER_DB"."INFORMATION_SCHEMA"."COLUMNS"');
    } finally {
      await wh.close();
    }
  });

  it('transactions: BEGIN/COMMIT around the work, ROLLBACK when it throws', async () => {
    endpoint = await startLocalSnowflake({ password: 'pw-local-1' });
    const wh = await openSnowflake(config(endpoint.url, { type: 'password', password: { secret: 'P' } }), { env: { P: 'pw-local-1' } });
    try {
      await wh.transaction(async (tx) => {
        await tx.query('INSERT INTO a VALUES (?)', [1]);
        await tx.transaction((inner) => inner.query('INSERT INTO b VALUES (?)', [2]));
      });
      await expect(
        wh.transaction(async (tx) => {
          await tx.query('INSERT INTO a VALUES (?)', [3]);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(endpoint.queries.map((q) => q.sqlText)).toEqual([
        'BEGIN TRANSACTION',
        'INSERT INTO a VALUES (?)',
        'INSERT INTO b VALUES (?)',
        'COMMIT',
        'BEGIN TRANSACTION',
        'INSERT INTO a VALUES (?)',
        'ROLLBACK',
      ]);
    } finally {
      await wh.close();
    }
  });

  it('type families follow Snowflake’s INFORMATION_SCHEMA spellings', () => {
    expect(['TEXT', 'NUMBER', 'FLOAT', 'BOOLEAN', 'DATE', 'TIMESTAMP_LTZ', 'OBJECT', 'ARRAY', 'BINARY'].map(snowflakeTypeFamily)).toEqual([
      'string',
      'number',
      'number',
      'boolean',
      'date',
      'timestamp',
      'json',
      'other',
      'other',
    ]);
  });

  it('a NUMBER column’s type carries the precision and scale INFORMATION_SCHEMA gives beside it; ids read from it', () => {
    const type = (DATA_TYPE: string, NUMERIC_PRECISION: number | null, NUMERIC_SCALE: number | null) => snowflakeColumnType({ DATA_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE });
    // INT, BIGINT, DECIMAL(38,0): Snowflake's catalog says NUMBER with scale 0 for each.
    const types = [type('NUMBER', 38, 0), type('NUMBER', 10, 0), type('NUMBER', 38, 2), type('NUMBER', 10, 3), type('FLOAT', null, null), type('TEXT', null, null), type('NUMBER', null, null)];
    expect(types).toEqual(['NUMBER(38,0)', 'NUMBER(10,0)', 'NUMBER(38,2)', 'NUMBER(10,3)', 'FLOAT', 'TEXT', 'NUMBER']);
    expect(types.map(snowflakeTypeFamily)).toEqual(['number', 'number', 'number', 'number', 'number', 'string', 'number']);
    expect(types.map(keyKind)).toEqual(['integer', 'integer', undefined, undefined, undefined, 'string', 'integer']);
  });
});
