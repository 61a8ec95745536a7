import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrateState } from '../../src/state/migrate.js';
import { migration as indexFreeWrites } from '../../src/state/migrations/006_index_free_writes.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { tempDir } from '../plan/fixtures.js';
import { recordingWarehouse } from '../support/recording-warehouse.js';

const SCHEMA = 'LINKED_AUDIENCES';
const S = `"${SCHEMA}"`;

describe('migration 006: the snapshot and the outbox without primary keys on DuckDB', () => {
  let wh: DuckDbWarehouse;
  beforeEach(async () => {
    wh = await openDuckDb(join(tempDir(), 'w.duckdb'));
    expect(await migrateState(wh, SCHEMA, { upTo: 5 })).toEqual({ from: 0, to: 5 });
    await wh.query(`INSERT INTO ${S}.membership VALUES ('a', 'u1', 'r1'), ('a', 'u2', 'r1'), ('b', 'u1', 'r2')`);
    await wh.query(`INSERT INTO ${S}.entity_matches VALUES ('a', 'accounts', 'u1', 'x1', 'r1'), ('a', 'accounts', 'u1', 'x2', 'r1')`);
    await wh.query(`INSERT INTO ${S}.outbox VALUES (1, 'a', 'r1', 'entered', 'u1', NULL, NULL, TRUE, TIMESTAMP '2026-11-29 08:00:00'),
                      (2, 'a', 'r1', 'entity_added', 'u1', 'accounts', 'x1', TRUE, TIMESTAMP '2026-11-29 08:00:00')`);
    await wh.query(`INSERT INTO ${S}.delivery_pages VALUES ('r1', 'e1', 'hook', 'Audience Entered', 'a', ',entered,', NULL, TRUE, 'p', 0, 2, TIMESTAMP '2026-11-29 08:01:00')`);
  });
  afterEach(async () => wh.close());

  const snapshot = async () => ({
    membership: (await wh.query(`SELECT * FROM ${S}.membership ORDER BY ALL`)).rows,
    entities: (await wh.query(`SELECT * FROM ${S}.entity_matches ORDER BY ALL`)).rows,
    outbox: (await wh.query(`SELECT * FROM ${S}.outbox ORDER BY ALL`)).rows,
    // The view auditors read joins the outbox: it must still read it after the rebuild.
    deliveries: (await wh.query(`SELECT source_id, user_id, kind FROM ${S}.delivery_log ORDER BY ALL`)).rows,
  });
  const keysOf = async (table: string) =>
    (await wh.query(`SELECT constraint_type FROM duckdb_constraints() WHERE schema_name = ? AND table_name = ? ORDER BY ALL`, [SCHEMA, table])).rows.map(
      (r) => r.constraint_type,
    );

  it('keeps every row and the NOT NULL columns, drops the keys', async () => {
    const before = await snapshot();
    expect(before.deliveries).toEqual([{ source_id: 1, user_id: 'u1', kind: 'entered' }]);
    expect(await keysOf('membership')).toContain('PRIMARY KEY');
    expect(await migrateState(wh, SCHEMA, { upTo: 6 })).toEqual({ from: 5, to: 6 });
    expect(await snapshot()).toEqual(before);
    for (const table of ['membership', 'entity_matches', 'outbox']) {
      expect(await keysOf(table)).not.toContain('PRIMARY KEY');
      expect(await keysOf(table)).toContain('NOT NULL');
    }
    await expect(wh.query(`INSERT INTO ${S}.membership VALUES ('a', NULL, 'r1')`)).rejects.toThrow(/NOT NULL/);
    await expect(wh.query(`INSERT INTO ${S}.outbox (id) VALUES (3)`)).rejects.toThrow(/NOT NULL/);
  });

  it('run again (a crash after its commit, before the version row), it rebuilds the same tables', async () => {
    await migrateState(wh, SCHEMA);
    const after = await snapshot();
    for (const statement of indexFreeWrites.up(S, 'duckdb')) await wh.query(statement);
    expect(await snapshot()).toEqual(after);
    expect(await keysOf('membership')).not.toContain('PRIMARY KEY');
  });

  it('changes nothing on Snowflake, which does not enforce primary keys', () => {
    expect(indexFreeWrites.up(S, 'snowflake')).toEqual([]);
  });
});

describe('migrateState on a current state', () => {
  it('costs one read and no DDL; a missing or older state is brought up to date', async () => {
    const wh = await openDuckDb(join(tempDir(), 'w.duckdb'));
    try {
      const fresh = await migrateState(wh, SCHEMA, { upTo: 5 });
      expect(fresh.from).toBe(0);
      const { wh: recorded, statements } = recordingWarehouse(wh);
      const latest = (await migrateState(recorded, SCHEMA)).to;
      expect(latest).toBeGreaterThan(5);
      const upgrade = statements.length;
      expect(upgrade).toBeGreaterThan(1);

      expect(await migrateState(recorded, SCHEMA)).toEqual({ from: latest, to: latest });
      const current = statements.slice(upgrade).map((s) => s.sql);
      expect(current).toHaveLength(1);
      expect(current[0]).toMatch(/^SELECT MAX\("version"\)/);
    } finally {
      await wh.close();
    }
  });
});
