import type { Migration } from './types.js';

/**
 * State tables of compute: snapshots, the outbox, runs, statuses, leases, compute
 * requests. Activation reads `membership`, `entity_matches` and `outbox`: columns may be added
 * here later, never renamed.
 *
 * Why staging tables instead of temporary ones: runs use DML only (decision D5; Snowflake commits
 * DDL implicitly, which would break the run's one transaction).
 */
export const migration: Migration = {
  version: 2,
  name: 'compute',
  up: (s) => [
    // The current membership snapshot; also what "part of a linked audience" reads.
    `CREATE TABLE IF NOT EXISTS ${s}."membership" (
      audience_key VARCHAR NOT NULL, profile_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
      PRIMARY KEY (audience_key, profile_id))`,
    // The current entity-match snapshot per entity path an emitter needs (slugs joined by '.').
    `CREATE TABLE IF NOT EXISTS ${s}."entity_matches" (
      audience_key VARCHAR NOT NULL, entity_path VARCHAR NOT NULL, profile_id VARCHAR NOT NULL,
      entity_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
      PRIMARY KEY (audience_key, entity_path, profile_id, entity_id))`,
    // Which entity paths have a snapshot, and since which run: a path's first run is its baseline.
    `CREATE TABLE IF NOT EXISTS ${s}."entity_paths" (
      audience_key VARCHAR NOT NULL, entity_path VARCHAR NOT NULL, since_run_id VARCHAR NOT NULL,
      PRIMARY KEY (audience_key, entity_path))`,
    // The transactional outbox (decision D6). `id` is allocated under the outbox_sequence row lock,
    // so ids increase in commit order and a reader's cursor never skips a late commit.
    // kind: entered | exited | entity_added | entity_removed. "Audience Membership Changed" is
    // derived by activation from entered/exited rows (no duplicate rows here).
    `CREATE TABLE IF NOT EXISTS ${s}."outbox" (
      id BIGINT NOT NULL PRIMARY KEY, audience_key VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
      kind VARCHAR NOT NULL, profile_id VARCHAR NOT NULL, entity_path VARCHAR, entity_id VARCHAR,
      baseline BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${s}."outbox_sequence" (name VARCHAR NOT NULL PRIMARY KEY, next_id BIGINT NOT NULL)`,
    `INSERT INTO ${s}."outbox_sequence" (name, next_id)
      SELECT 'outbox', 1 WHERE NOT EXISTS (SELECT 1 FROM ${s}."outbox_sequence" WHERE name = 'outbox')`,
    // Run history. status: Computing | Live | Failed. trigger: schedule | manual | once.
    `CREATE TABLE IF NOT EXISTS ${s}."runs" (
      id VARCHAR NOT NULL PRIMARY KEY, audience_key VARCHAR NOT NULL, status VARCHAR NOT NULL,
      started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP, duration_ms BIGINT, members BIGINT,
      entered BIGINT, exited BIGINT, entities_added BIGINT, entities_removed BIGINT,
      error_code VARCHAR, error_message VARCHAR, query_ids VARCHAR, trigger VARCHAR NOT NULL,
      holder VARCHAR, step VARCHAR, baseline BOOLEAN, error_detail VARCHAR)`,
    // One row per audience. status: exactly Computing | Live | Disabled | Failed (the seed's words).
    `CREATE TABLE IF NOT EXISTS ${s}."audience_status" (
      audience_key VARCHAR NOT NULL PRIMARY KEY, status VARCHAR NOT NULL, paused BOOLEAN NOT NULL,
      paused_reason VARCHAR, last_run_id VARCHAR, last_run_at TIMESTAMP, next_run_at TIMESTAMP, size BIGINT)`,
    // Keeps two controllers on one warehouse from running one audience twice.
    `CREATE TABLE IF NOT EXISTS ${s}."leases" (
      audience_key VARCHAR NOT NULL PRIMARY KEY, holder VARCHAR, acquired_at TIMESTAMP, expires_at TIMESTAMP)`,
    // "Compute now" requests for a running controller. run_id: the run that served the request.
    `CREATE TABLE IF NOT EXISTS ${s}."compute_requests" (
      audience_key VARCHAR NOT NULL, requested_at TIMESTAMP NOT NULL, requested_by VARCHAR,
      picked_at TIMESTAMP, id VARCHAR, run_id VARCHAR)`,
    // Controllers announce themselves, so `linked compute` knows to hand its run to one.
    `CREATE TABLE IF NOT EXISTS ${s}."controllers" (
      id VARCHAR NOT NULL PRIMARY KEY, host VARCHAR, pid BIGINT, started_at TIMESTAMP NOT NULL,
      heartbeat_at TIMESTAMP NOT NULL, stopped_at TIMESTAMP)`,
    `CREATE TABLE IF NOT EXISTS ${s}."membership_stage" (
      run_id VARCHAR NOT NULL, audience_key VARCHAR NOT NULL, profile_id VARCHAR)`,
    `CREATE TABLE IF NOT EXISTS ${s}."entity_matches_stage" (
      run_id VARCHAR NOT NULL, audience_key VARCHAR NOT NULL, entity_path VARCHAR NOT NULL,
      profile_id VARCHAR, entity_id VARCHAR)`,
  ],
};
