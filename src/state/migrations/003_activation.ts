import type { Migration } from './types.js';

/**
 * State tables of activation: delivery cursors, backfills, the delivery log, the
 * per-event delivery record and dead letters. Columns may be added later, never renamed.
 *
 * - `delivery_cursors`: per emitter, the last outbox id whose rows are all handled (sent or
 *   dead-lettered) and the last handled backfill sequence. Advanced in the same transaction that
 *   records what the destination acknowledged, never before (Census's published incident).
 *   `emitter_created_at` ties the cursor to one incarnation of the emitter; `backfill_epoch`
 *   makes backfill messageIds unique per incarnation.
 * - `delivery_backfill`: the current members / entities copied once when an emitter with
 *   sendForCurrent starts, delivered before its outbox rows.
 * - `delivery_runs`: per delivery run and emitter, the counts and the last error.
 * - `delivery_events`: one row per event sent or dead-lettered (who got what, when). Since
 *   migration 5, outbox events sent are recorded per page range (`delivery_pages`) instead, and
 *   `delivery_log` reads both.
 * - `dead_letters`: events a destination refused (or too large to send), with its response.
 */
export const migration: Migration = {
  version: 3,
  name: 'activation',
  up: (s) => [
    `CREATE TABLE IF NOT EXISTS ${s}."delivery_cursors" (
      emitter_key VARCHAR NOT NULL PRIMARY KEY, last_outbox_id BIGINT NOT NULL, backfill_epoch VARCHAR NOT NULL,
      backfill_total BIGINT NOT NULL, backfill_done BIGINT NOT NULL, emitter_created_at TIMESTAMP,
      initialized_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${s}."delivery_backfill" (
      emitter_key VARCHAR NOT NULL, seq BIGINT NOT NULL, audience_key VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
      kind VARCHAR NOT NULL, profile_id VARCHAR NOT NULL, entity_path VARCHAR, entity_id VARCHAR, created_at TIMESTAMP NOT NULL,
      PRIMARY KEY (emitter_key, seq))`,
    `CREATE TABLE IF NOT EXISTS ${s}."delivery_runs" (
      run_id VARCHAR NOT NULL, emitter_key VARCHAR NOT NULL, destination_key VARCHAR NOT NULL, status VARCHAR NOT NULL,
      started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, sent BIGINT NOT NULL, failed BIGINT NOT NULL,
      dead_lettered BIGINT NOT NULL, requests BIGINT NOT NULL, retries BIGINT NOT NULL, last_error VARCHAR,
      PRIMARY KEY (run_id, emitter_key))`,
    `CREATE TABLE IF NOT EXISTS ${s}."delivery_events" (
      run_id VARCHAR NOT NULL, emitter_key VARCHAR NOT NULL, destination_key VARCHAR NOT NULL, source VARCHAR NOT NULL,
      source_id BIGINT NOT NULL, message_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, event VARCHAR NOT NULL,
      kind VARCHAR NOT NULL, entity_id VARCHAR, status VARCHAR NOT NULL, delivered_at TIMESTAMP NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${s}."dead_letters" (
      id BIGINT NOT NULL PRIMARY KEY, emitter_key VARCHAR NOT NULL, destination_key VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
      source VARCHAR NOT NULL, source_id BIGINT NOT NULL, message_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL,
      event_name VARCHAR NOT NULL, event VARCHAR NOT NULL, reason_code VARCHAR NOT NULL, reason VARCHAR NOT NULL,
      http_status INTEGER, response_body VARCHAR, created_at TIMESTAMP NOT NULL, replay_count INTEGER NOT NULL,
      last_replay_at TIMESTAMP, replayed_at TIMESTAMP)`,
  ],
};
