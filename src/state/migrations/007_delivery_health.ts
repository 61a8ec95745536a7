import type { Migration } from './types.js';

/**
 * The delivery health of each emitter, kept across runs and restarts. Columns may be added later,
 * never renamed.
 *
 * - `delivery_health`: per emitter, when it last delivered, its failed attempts since, and the
 *   failure it is stuck on: `failing_since` is the first failed attempt of the events at the
 *   cursor (the start of the retry budget; a success that moves the cursor clears it),
 *   `blocked_reason` / `blocked_since` a failure that is not the events' fault (credentials
 *   rejected), which stops the emitter without dead-lettering anything until it is fixed.
 */
export const migration: Migration = {
  version: 7,
  name: 'delivery_health',
  up: (s) => [
    `CREATE TABLE IF NOT EXISTS ${s}."delivery_health" (
      emitter_key VARCHAR NOT NULL PRIMARY KEY, destination_key VARCHAR NOT NULL, last_success_at TIMESTAMP,
      last_failure_at TIMESTAMP, consecutive_failures BIGINT NOT NULL, failing_since TIMESTAMP,
      blocked_reason VARCHAR, blocked_since TIMESTAMP, last_error VARCHAR, last_http_status INTEGER,
      updated_at TIMESTAMP NOT NULL)`,
  ],
};
