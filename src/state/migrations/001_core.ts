import type { Migration } from './types.js';

/**
 * State tables of plan/apply. Other layers read `resources` (through
 * src/state/apply/resources.ts); columns may be added later, never renamed.
 *
 * - `resources`: one row per (kind, key) ever applied. A deleted resource keeps its row with
 *   `deleted_at` set (audit history); it is no longer active. `version` increases on every change
 *   of the row; `created_at` is when the current incarnation began (reset on create, re-create and
 *   replace), so consumers can tell a replaced emitter from an updated one. `stack` owns the row.
 * - `apply_log`: append-only, one row per apply; `changes` is the JSON of the applied changes.
 * - `locks`: the state lock of each stack (`apply:<stack>`); `id` is what force-unlock takes.
 * - `catalog_snapshots`: per stack, the warehouse types of the columns the applied Data Graph
 *   uses, taken at apply, so `linked drift` can tell a changed type (one row per stack).
 */
export const migration: Migration = {
  version: 1,
  name: 'core',
  up: (s) => [
    `CREATE TABLE IF NOT EXISTS ${s}."resources" (
      kind VARCHAR NOT NULL, key VARCHAR NOT NULL, spec VARCHAR NOT NULL, spec_hash VARCHAR NOT NULL,
      version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL, applied_by VARCHAR, commit_sha VARCHAR,
      deleted_at TIMESTAMP, stack VARCHAR, created_at TIMESTAMP, apply_id VARCHAR,
      PRIMARY KEY (kind, key))`,
    `CREATE TABLE IF NOT EXISTS ${s}."apply_log" (
      id VARCHAR NOT NULL PRIMARY KEY, applied_at TIMESTAMP NOT NULL, applied_by VARCHAR, commit_sha VARCHAR,
      branch VARCHAR, pr_number INTEGER, plan_hash VARCHAR NOT NULL, changes VARCHAR NOT NULL, stack VARCHAR NOT NULL,
      author VARCHAR, repository VARCHAR, run_url VARCHAR, state_hash_before VARCHAR, state_hash_after VARCHAR,
      summary VARCHAR, metadata VARCHAR)`,
    `CREATE TABLE IF NOT EXISTS ${s}."locks" (
      name VARCHAR NOT NULL PRIMARY KEY, id VARCHAR NOT NULL, holder VARCHAR, acquired_at TIMESTAMP NOT NULL,
      expires_at TIMESTAMP NOT NULL, operation VARCHAR)`,
    `CREATE TABLE IF NOT EXISTS ${s}."catalog_snapshots" (
      stack VARCHAR NOT NULL, graph_key VARCHAR NOT NULL, snapshot VARCHAR NOT NULL, taken_at TIMESTAMP NOT NULL, apply_id VARCHAR)`,
  ],
};
