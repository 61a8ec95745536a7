import type { Migration } from './types.js';

/**
 * The tables every run writes, without their primary keys, on DuckDB (the cost of a run):
 * the snapshot (`membership`, `entity_matches`) and the `outbox`. DuckDB enforces a primary key
 * with an ART index that every insert, delete and commit maintains, and that it keeps in memory
 * whole. On the 1 M-profile bank data, a run that moves about 2,000 rows spent about 115 ms loading
 * the snapshot instead of 70, and its outbox insert and commit took about 20 ms more with the
 * outbox key. Nothing reads these tables by key: reads filter on the audience, or on outbox id
 * ranges, which DuckDB prunes with the min/max it keeps per row group (ids are appended in order).
 *
 * Uniqueness still holds where it comes from: outbox ids are allocated from outbox_sequence one
 * commit at a time; a run's staged rows are distinct (the compiler writes SELECT DISTINCT, and
 * other queries are searched for duplicate IDs); and a commit that moves the snapshot verifies
 * that it holds exactly what the run staged (commitDelta). Snowflake does not enforce primary
 * keys, so there is nothing to change there.
 *
 * DuckDB cannot drop a constraint, so each table is rebuilt under a new name and renamed, in one
 * transaction (DuckDB's DDL is transactional): a crash leaves the old tables or the new ones, and
 * running the migration again rebuilds from whichever are there. The `delivery_log` view names
 * `outbox` and is bound when read, so it reads the new table. Copying a large outbox takes a while,
 * once.
 */
const rebuild = (s: string, table: string, columns: string) => {
  const names = columns
    .split(',')
    .map((c) => c.trim().split(' ')[0])
    .join(', ');
  return [
    `CREATE OR REPLACE TABLE ${s}."${table}_v6" (${columns})`,
    `INSERT INTO ${s}."${table}_v6" (${names}) SELECT ${names} FROM ${s}."${table}"`,
    `DROP TABLE ${s}."${table}"`,
    `ALTER TABLE ${s}."${table}_v6" RENAME TO "${table}"`,
  ];
};

export const migration: Migration = {
  version: 6,
  name: 'index_free_writes',
  up: (s, dialect) =>
    dialect === 'snowflake'
      ? []
      : [
          'BEGIN TRANSACTION',
          ...rebuild(s, 'membership', 'audience_key VARCHAR NOT NULL, profile_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL'),
          ...rebuild(
            s,
            'entity_matches',
            'audience_key VARCHAR NOT NULL, entity_path VARCHAR NOT NULL, profile_id VARCHAR NOT NULL, entity_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL',
          ),
          ...rebuild(
            s,
            'outbox',
            'id BIGINT NOT NULL, audience_key VARCHAR NOT NULL, run_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, profile_id VARCHAR NOT NULL, ' +
              'entity_path VARCHAR, entity_id VARCHAR, baseline BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL',
          ),
          'COMMIT',
        ],
};
