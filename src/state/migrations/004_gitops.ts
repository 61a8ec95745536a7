import type { Migration } from './types.js';

/**
 * State of the git-pulling controller, one row per stack, read by `linked status`.
 * Columns may be added later, never renamed.
 *
 * - `status`: synced | out of sync | failed | suspended.
 * - `last_synced_commit`: the commit of the last sync operation that applied (Argo CD's sync
 *   revision); a failed or suspended attempt keeps the previous one.
 * - `attempted_commit`: the commit the last attempt saw (null when it failed before reading one).
 * - `source` / `branch`: where the controller pulls from; credentials in a URL are never stored.
 * - `message`: why it is out of sync or failed, for a person to act on.
 * - `suspended`: set by a person (Flux's suspend); the controller reads it before every attempt.
 */
export const migration: Migration = {
  version: 4,
  name: 'gitops',
  up: (s) => [
    `CREATE TABLE IF NOT EXISTS ${s}."sync_status" (
      stack VARCHAR NOT NULL PRIMARY KEY, status VARCHAR NOT NULL, last_synced_commit VARCHAR,
      last_attempt_at TIMESTAMP NOT NULL, message VARCHAR, attempted_commit VARCHAR, source VARCHAR, branch VARCHAR,
      last_synced_at TIMESTAMP, suspended BOOLEAN NOT NULL DEFAULT FALSE)`,
  ],
};
