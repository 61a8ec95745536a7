import { generateKeyPairSync } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinkedError } from '../../src/model/errors.js';
import { migrateState } from '../../src/state/migrate.js';
import { WarehouseError } from '../../src/warehouse/errors.js';
import { loginFailure } from '../../src/warehouse/snowflake-login.js';
import { openSnowflake, type SnowflakeWarehouse } from '../../src/warehouse/snowflake.js';
import { emulatedConfig, EMULATED_PASSWORD } from '../support/snowflake-emulator/connect.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../support/snowflake-emulator/index.js';

/*
 * The Snowflake connection options a team sets (key pair with passphrase, role, warehouse,
 * database, schema, login and statement timeouts, a query tag) and the adapter's recovery (an
 * expired session token, network resets, a login that does not answer), through snowflake-sdk
 * against the emulation. Retries are made fast here; the backoff's shape is src/retry.ts's.
 */
const PASSPHRASE = 'canary-passphrase-3b9d';
const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE },
});
const FAST = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
const env = { SF_EMULATED_PASSWORD: EMULATED_PASSWORD, SF_KEY: privateKey, SF_KEY_PASS: PASSPHRASE };

let emulator: SnowflakeEmulator;
let wh: SnowflakeWarehouse;
beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ password: EMULATED_PASSWORD, publicKeyPem: publicKey, echoCredentials: true });
  wh = await openSnowflake(emulatedConfig(emulator.url), { env, retry: FAST });
  await wh.query(`CREATE TABLE T (K VARCHAR)`);
  await wh.query(`INSERT INTO T VALUES (?), (?)`, ['a', 'b']);
});
afterAll(async () => {
  await wh?.close();
  await emulator?.close();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as LinkedError,
  );

describe('Snowflake connection options on the emulation', () => {
  it('key pair with an encrypted key and its passphrase; role, warehouse, database and schema go to the login', async () => {
    const keyed = await openSnowflake(
      emulatedConfig(emulator.url, {
        auth: { type: 'keypair', privateKey: { secret: 'SF_KEY' }, passphrase: { secret: 'SF_KEY_PASS' } },
        role: 'AUDIENCES_ROLE',
        warehouse: 'AUDIENCES_WH',
        database: 'MARKETING',
        schema: 'CRM',
      }),
      { env, retry: FAST },
    );
    try {
      const login = emulator.logins.at(-1)!;
      expect(login.accepted).toBe(true);
      expect(login.data.AUTHENTICATOR).toBe('SNOWFLAKE_JWT');
      expect(login.query).toMatchObject({ roleName: 'AUDIENCES_ROLE', warehouse: 'AUDIENCES_WH', databaseName: 'MARKETING', schemaName: 'CRM' });
      await keyed.query(`CREATE TABLE IN_CRM (K VARCHAR)`);
      expect(await keyed.describeTable('IN_CRM')).toMatchObject({ columns: [{ name: 'K' }] });
      expect(await keyed.describeTable('MARKETING.CRM.IN_CRM')).toBeDefined();
    } finally {
      await keyed.close();
    }
  });

  it('the team’s query tag goes in front of each statement’s own; the statement timeout travels with it', async () => {
    const tagged = await openSnowflake(emulatedConfig(emulator.url, { queryTag: 'team=growth', statementTimeoutSeconds: 30 }), { env, retry: FAST });
    try {
      await tagged.query(`SELECT K FROM T`, [], { tag: 'linked-audiences:compute:vip' });
      expect(emulator.queries.at(-1)?.parameters).toEqual({ TIMEZONE: 'UTC', QUERY_TAG: 'team=growth linked-audiences:compute:vip', STATEMENT_TIMEOUT_IN_SECONDS: 30 });
      await tagged.query(`SELECT K FROM T`);
      expect(emulator.queries.at(-1)?.parameters).toEqual({ TIMEZONE: 'UTC', QUERY_TAG: 'team=growth', STATEMENT_TIMEOUT_IN_SECONDS: 30 });
    } finally {
      await tagged.close();
    }
  });

  it('a statement past statementTimeoutSeconds is cancelled: a clear error, not retried', async () => {
    const bounded = await openSnowflake(emulatedConfig(emulator.url, { statementTimeoutSeconds: 1 }), { env, retry: FAST });
    try {
      emulator.inject({ on: 'query', match: /SLOW_MARKER/, action: 'delay', ms: 1_500 });
      const e = await failure(bounded.query(`SELECT K AS SLOW_MARKER FROM T`));
      expect(e).toBeInstanceOf(WarehouseError);
      expect(e.code).toBe('WAREHOUSE');
      expect((e as WarehouseError).retryable).toBe(false);
      expect(e.message).toMatch(/^000630 \(57014\): Statement reached its statement or warehouse timeout of 1 second\(s\) and was canceled\. Raise the stack's statementTimeoutSeconds/);
      expect(emulator.queries.filter((q) => q.sqlText.includes('SLOW_MARKER'))).toHaveLength(1);
    } finally {
      await bounded.close();
    }
  });

  it('390114 (session token expired): logs in again and sends the statement once more', async () => {
    const logins = emulator.logins.length;
    emulator.inject({ on: 'query', match: /EXPIRY_MARKER/, action: 'expire-session' });
    const { rows } = await wh.query<{ K: string }>(`SELECT K AS EXPIRY_MARKER FROM T ORDER BY K`);
    expect(rows).toEqual([{ EXPIRY_MARKER: 'a' }, { EXPIRY_MARKER: 'b' }]);
    expect(emulator.logins.length).toBe(logins + 1);
    expect(emulator.queries.filter((q) => q.sqlText.includes('EXPIRY_MARKER')).map((q) => q.errorCode ?? 'ok')).toEqual(['390114', 'ok']);
    // The new session serves the statements after it.
    expect((await wh.query<{ N: number }>(`SELECT COUNT(*) AS N FROM T`)).rows).toEqual([{ N: 2 }]);
  });

  it('390114 inside a transaction: the transaction is lost with the session, so the error goes to the caller (retryable)', async () => {
    emulator.inject({ on: 'query', match: /INSERT INTO T/, action: 'expire-session' });
    const e = await failure(
      wh.transaction(async (tx) => {
        await tx.query(`INSERT INTO T VALUES (?)`, ['in-tx']);
      }),
    );
    expect(e).toBeInstanceOf(WarehouseError);
    expect((e as WarehouseError).retryable).toBe(true);
    expect(e.message).toMatch(/^The Snowflake session ended inside a transaction/);
    expect((await wh.query<{ N: number }>(`SELECT COUNT(*) AS N FROM T WHERE K = ?`, ['in-tx'])).rows).toEqual([{ N: 0 }]);
    // The caller's retry of the whole transaction works on the renewed session.
    await wh.transaction((tx) => tx.query(`INSERT INTO T VALUES (?)`, ['in-tx']));
    expect((await wh.query<{ N: number }>(`SELECT COUNT(*) AS N FROM T WHERE K = ?`, ['in-tx'])).rows).toEqual([{ N: 1 }]);
    await wh.query(`DELETE FROM T WHERE K = ?`, ['in-tx']);
  });

  it('a statement whose connection was reset is resent by the driver and runs once', async () => {
    emulator.inject({ on: 'query', match: /RESET_WRITE/, action: 'reset' });
    await wh.query(`INSERT INTO T SELECT ? AS RESET_WRITE`, ['reset-write']);
    expect((await wh.query<{ N: number }>(`SELECT COUNT(*) AS N FROM T WHERE K = ?`, ['reset-write'])).rows).toEqual([{ N: 1 }]);
    expect(emulator.queries.filter((q) => q.sqlText.includes('RESET_WRITE'))).toHaveLength(1);
    await wh.query(`DELETE FROM T WHERE K = ?`, ['reset-write']);
  });

  it('a login whose connection is reset is retried; one that never answers gives up at loginTimeoutSeconds', async () => {
    emulator.inject({ on: 'login', action: 'reset' });
    const retried = await openSnowflake(emulatedConfig(emulator.url), { env, retry: FAST });
    await retried.close();

    for (let i = 0; i < 5; i++) emulator.inject({ on: 'login', action: 'delay', ms: 3_000 });
    const e = await failure(openSnowflake(emulatedConfig(emulator.url, { loginTimeoutSeconds: 1 }), { env, retry: FAST }));
    // Delays no attempt took would hold the next test's logins for seconds each.
    emulator.clearFaults();
    expect(e.code).toBe('WAREHOUSE_INTERNAL');
    expect(e.message).toMatch(/^Could not reach Snowflake account emulated as LINKED_SVC at http:\/\/127\.0\.0\.1:\d+ after \d attempt\(s\): the login did not finish within 1 s\. Check the network path/);
  });

  it('a refused login names the account, the user and the secret to check, never a secret value, even when the server echoes it', async () => {
    const wrongPassword = 'canary-wrong-password-41c7';
    const before = emulator.logins.length;
    const e = await failure(openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: wrongPassword }, retry: FAST }));
    expect(emulator.logins.at(-1)?.data.PASSWORD).toBe(wrongPassword);
    // SQLSTATE 08004 is in a class of transient failures, but a refused password is refused again: one attempt.
    expect(emulator.logins.length - before).toBe(1);
    expect(e.code).toBe('WAREHOUSE');
    expect(e.message).toMatch(/^Could not connect to Snowflake account emulated as LINKED_SVC at http:\/\/127\.0\.0\.1:\d+: 390100 \(08004\): Incorrect username or password was specified/);
    expect(e.message).toContain('the secret in SF_EMULATED_PASSWORD');
    expect(e.message).toContain('(redacted)');
    expect(`${e.message}\n${e.stack}`).not.toContain(wrongPassword);

    const other = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const k = await failure(
      openSnowflake(emulatedConfig(emulator.url, { auth: { type: 'keypair', privateKey: { secret: 'SF_KEY' } } }), { env: { SF_KEY: other.privateKey }, retry: FAST }),
    );
    expect(k.message).toMatch(/: 390144 \(08004\): JWT token is invalid/);
    expect(k.message).toContain('the secret in SF_KEY (the private key whose public half is set on the user');
    expect(k.message).not.toContain(String(emulator.logins.at(-1)?.data.TOKEN));
    for (const line of other.privateKey.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))) expect(k.message).not.toContain(line);
  });
});

describe('a role, warehouse or database the user may not use, on an emulation that knows the grants', () => {
  let granted: SnowflakeEmulator;
  beforeAll(async () => {
    granted = await startSnowflakeEmulator({ password: EMULATED_PASSWORD, roles: ['LINKED_ROLE'], warehouses: ['COMPUTE_WH'], databases: ['ANALYTICS'] });
  });
  afterAll(async () => {
    await granted?.close();
  });

  it('a role not granted (390189, SQLSTATE 08004) fails at the first login, naming the role and the grant; not retried as a network failure', async () => {
    const before = granted.logins.length;
    const e = await failure(openSnowflake(emulatedConfig(granted.url, { role: 'AUDIENCES_ROLE' }), { env, retry: FAST }));
    expect(granted.logins.length - before).toBe(1);
    expect(e.code).toBe('WAREHOUSE');
    expect(e.message).toMatch(/^Could not connect to Snowflake account emulated as LINKED_SVC at http:\/\/127\.0\.0\.1:\d+: 390189 \(08004\): Role 'AUDIENCES_ROLE' specified in the connect string does not exist or not authorized/);
    expect(e.message).toContain("The stack's role AUDIENCES_ROLE does not exist or is not granted to LINKED_SVC: GRANT ROLE AUDIENCES_ROLE TO USER LINKED_SVC, or correct role in Warehouse.snowflake.");
    expect(e.message).not.toContain(EMULATED_PASSWORD);
  });

  it('a warehouse that does not exist or that the role may not use: each statement fails with 000606, not retryable, naming the warehouse and the grant', async () => {
    const noWarehouse = await openSnowflake(emulatedConfig(granted.url, { warehouse: 'REPORTING_WH' }), { env, retry: FAST });
    try {
      const e = (await failure(noWarehouse.query(`SELECT 1 AS X`))) as WarehouseError;
      expect(e).toBeInstanceOf(WarehouseError);
      expect(e.code).toBe('WAREHOUSE');
      expect(e.retryable).toBe(false);
      expect(e.message).toMatch(/^000606 \(57P03\): No active warehouse selected in the current session/);
      expect(e.message).toContain("The stack's warehouse REPORTING_WH does not exist or role LINKED_ROLE may not use it: GRANT USAGE ON WAREHOUSE REPORTING_WH TO ROLE LINKED_ROLE, or correct warehouse in Warehouse.snowflake.");
    } finally {
      await noWarehouse.close();
    }
    const usable = await openSnowflake(emulatedConfig(granted.url), { env, retry: FAST });
    try {
      expect((await usable.query(`SELECT 1 AS X`)).rows).toEqual([{ X: 1 }]);
    } finally {
      await usable.close();
    }
  });

  it('a database that does not exist or that the role may not use: the state migration fails with 090105, naming the database and the grant', async () => {
    const noDatabase = await openSnowflake(emulatedConfig(granted.url, { database: 'ANALYTCS' }), { env, retry: FAST });
    try {
      const e = (await failure(migrateState(noDatabase, 'LINKED_AUDIENCES'))) as WarehouseError;
      expect(e.code).toBe('WAREHOUSE');
      expect(e.retryable).toBe(false);
      expect(e.message).toMatch(/^090105 \(22000\): Cannot perform CREATE SCHEMA\. This session does not have a current database/);
      expect(e.message).toContain("The stack's database ANALYTCS does not exist or role LINKED_ROLE may not use it: GRANT USAGE ON DATABASE ANALYTCS TO ROLE LINKED_ROLE, or correct database in Warehouse.snowflake.");
      // The catalog check reads the database's INFORMATION_SCHEMA: Snowflake's own message names it.
      const c = (await failure(noDatabase.describeTable('MAIN.PROFILES'))) as WarehouseError;
      expect(c.message).toMatch(/^002003 \(02000\): SQL compilation error:\nDatabase 'ANALYTCS' does not exist or not authorized\./);
    } finally {
      await noDatabase.close();
    }
  });
});

/*
 * A login whose host the DNS does not know, through snowflake-sdk. The hosts are under `.invalid`,
 * a name reserved never to exist (RFC 6761): the resolver answers at once, on a machine without a
 * network too, so no test waits on the internet's name servers.
 */
describe('an account whose host does not resolve', () => {
  // A retry would first wait at least 3.75 s (5 s less its jitter): a failure sooner had one attempt.
  const SLOW = { maxAttempts: 3, baseDelayMs: 5_000, maxDelayMs: 5_000 };
  const timed = async (p: Promise<unknown>) => {
    const started = Date.now();
    const e = await failure(p);
    return { e, ms: Date.now() - started };
  };

  it('fails at the first attempt, naming the account as written, the host and the fix', async () => {
    const { e, ms } = await timed(openSnowflake(emulatedConfig('https://xy12345.eu-west-9.invalid', { account: 'xy12345.eu-west-9' }), { env, retry: SLOW }));
    expect(ms).toBeLessThan(3_750);
    expect(e.code).toBe('WAREHOUSE');
    expect((e as Partial<WarehouseError>).retryable).not.toBe(true);
    expect(e.message).toBe(
      'Could not connect to Snowflake account xy12345.eu-west-9 as LINKED_SVC at https://xy12345.eu-west-9.invalid: its host xy12345.eu-west-9.invalid does not resolve (getaddrinfo ENOTFOUND). ' +
        'Correct accessUrl in Warehouse.snowflake (a private link host resolves only where its private DNS zone is set up), or leave it out to reach https://<account>.snowflakecomputing.com; see docs/warehouses.md#account-identifier.',
    );
  });

  it('without accessUrl: the host snowflake-sdk builds from the account; the message names the identifier formats', () => {
    // The driver's error as snowflake-sdk raises it for this account, whose region does not exist
    // (the test above meets the same shape on a host of its own).
    const dns = 'getaddrinfo ENOTFOUND xy12345.eu-west-9.snowflakecomputing.com';
    const raw = Object.assign(new Error(dns), { code: '401001', cause: Object.assign(new Error(dns), { code: 'ENOTFOUND' }) });
    const { error, retryable } = loginFailure({ ...emulatedConfig(''), account: 'xy12345.eu-west-9', accessUrl: undefined }, raw, 1);
    expect(retryable).toBe(false);
    expect(error.code).toBe('WAREHOUSE');
    expect(error.message).toBe(
      'Could not connect to Snowflake account xy12345.eu-west-9 as LINKED_SVC: its host xy12345.eu-west-9.snowflakecomputing.com does not resolve (getaddrinfo ENOTFOUND), so no Snowflake account has the identifier xy12345.eu-west-9. ' +
        'Correct account in Warehouse.snowflake: orgname-accountname (myorg-myaccount), or the account locator with its region, and its cloud where the region needs it (xy12345.eu-west-1, xy12345.us-east-2.aws, xy12345.west-europe.azure); see docs/warehouses.md#account-identifier.',
    );
    // The same failure on another host than the account's (a proxy's, an OCSP responder's) is the network's.
    const other = 'getaddrinfo ENOTFOUND proxy.corp.example';
    expect(loginFailure({ ...emulatedConfig(''), account: 'xy12345.eu-west-9', accessUrl: undefined }, Object.assign(new Error(other), { code: '401001' }), 1).retryable).toBe(true);
  });

  it('a network failure is still retried: a proxy whose name does not resolve, a refused connection', async () => {
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, https_proxy: process.env.https_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
    try {
      delete process.env.https_proxy;
      delete process.env.NO_PROXY;
      delete process.env.no_proxy;
      process.env.HTTPS_PROXY = 'http://proxy.invalid:3128';
      const proxied = await failure(openSnowflake(emulatedConfig('https://xy12345.eu-west-9.invalid', { account: 'xy12345.eu-west-9' }), { env, retry: FAST }));
      expect(proxied.code).toBe('WAREHOUSE_INTERNAL');
      expect(proxied.message).toMatch(/^Could not reach Snowflake account xy12345\.eu-west-9 as LINKED_SVC at https:\/\/xy12345\.eu-west-9\.invalid after 3 attempt\(s\): 401001: getaddrinfo ENOTFOUND proxy\.invalid\. Check the network path/);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const closed = await closedPort();
    const refused = await failure(openSnowflake(emulatedConfig(`http://127.0.0.1:${closed}`), { env, retry: FAST }));
    expect(refused.code).toBe('WAREHOUSE_INTERNAL');
    expect(refused.message).toMatch(/^Could not reach Snowflake account emulated as LINKED_SVC at http:\/\/127\.0\.0\.1:\d+ after 3 attempt\(s\): .*ECONNREFUSED/);
  });
});

/** A local port nothing listens on: one the system just gave and took back. */
function closedPort(): Promise<number> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    }),
  );
}
