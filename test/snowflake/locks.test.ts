import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSnowflake, type SnowflakeWarehouse } from '../../src/warehouse/snowflake.js';
import { EMULATED_PASSWORD, emulatedConfig } from '../support/snowflake-emulator/connect.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../support/snowflake-emulator/index.js';

/*
 * The emulation's model of Snowflake's resource locking (test/support/snowflake-emulator/locks.ts),
 * through snowflake-sdk with two sessions: UPDATE / DELETE lock the table until commit, INSERT
 * does not wait, LOCK_TIMEOUT ends a wait with 000625, a cycle of waits aborts the newest statement.
 */
describe('table locks on emulated Snowflake', () => {
  let emulator: SnowflakeEmulator;
  let a: SnowflakeWarehouse;
  let b: SnowflakeWarehouse;
  let c: SnowflakeWarehouse;
  const value = async (table: string) => Number((await emulator.seed(`SELECT V FROM ANALYTICS.MAIN.${table}`, [], 'ANALYTICS', 'MAIN')).rows[0]![0]);

  beforeAll(async () => {
    emulator = await startSnowflakeEmulator({ password: EMULATED_PASSWORD });
    const open = () => openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: EMULATED_PASSWORD } });
    [a, b, c] = await Promise.all([open(), open(), open()]);
    for (const t of ['T1', 'T2']) {
      await a.query(`CREATE TABLE ${t} (K VARCHAR, V NUMBER(38,0))`);
      await a.query(`INSERT INTO ${t} (K, V) VALUES ('x', 0)`);
    }
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await c?.close();
    await emulator?.close();
  });

  it('an UPDATE waits for the transaction holding the table, then reads what it committed; an INSERT does not wait', async () => {
    await a.query('BEGIN TRANSACTION');
    await a.query('UPDATE T1 SET V = V + 1');
    let done = false;
    const waiting = b.query('UPDATE T1 SET V = V + 10').then(() => (done = true));
    await c.query(`INSERT INTO T1 (K, V) VALUES ('y', 5)`);
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    await a.query('COMMIT');
    await waiting;
    const rows = await emulator.seed(`SELECT K, V FROM ANALYTICS.MAIN.T1 ORDER BY K`, [], 'ANALYTICS', 'MAIN');
    expect(rows.rows).toEqual([
      ['x', '11'],
      ['y', '15'],
    ]);
    await a.query(`DELETE FROM T1 WHERE K = 'y'`);
  });

  it('LOCK_TIMEOUT ends a wait with 000625', async () => {
    await b.query('ALTER SESSION SET LOCK_TIMEOUT = 1');
    await a.query('BEGIN TRANSACTION');
    await a.query(`DELETE FROM T1 WHERE K = 'none'`);
    const started = Date.now();
    await expect(b.query('UPDATE T1 SET V = 0')).rejects.toThrow(/lock wait timeout of 1 second/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await a.query('COMMIT');
    expect(emulator.queries.at(-2)?.errorCode).toBe('000625');
    expect(await value('T1')).toBe(11);
    await b.query('ALTER SESSION SET LOCK_TIMEOUT = 43200');
  });

  it('two transactions that wait for each other: the newest statement is aborted, the other proceeds', async () => {
    await a.query('BEGIN TRANSACTION');
    await a.query('UPDATE T1 SET V = 1');
    await b.query('BEGIN TRANSACTION');
    await b.query('UPDATE T2 SET V = 2');
    const aWaits = a.query('UPDATE T2 SET V = 1');
    await new Promise((r) => setTimeout(r, 100));
    await expect(b.query('UPDATE T1 SET V = 2')).rejects.toThrow(/deadlock/);
    await b.query('ROLLBACK');
    await aWaits;
    await a.query('COMMIT');
    expect([await value('T1'), await value('T2')]).toEqual([1, 1]);
    expect(emulator.lockEvents.filter((e) => e.outcome === 'deadlock')).toHaveLength(1);
  });
});
