import type { Migration } from './types.js';

/**
 * The links a trace follows, recorded when they happen, so a trace still holds after later
 * applies and after the resource is deleted. Columns may be added later, never renamed.
 *
 * - `resource_versions`: append-only, one row per applied version of a resource (create, update,
 *   replace, delete): its spec and spec hash as applied, and the apply (with its commit) that
 *   wrote it. `resources` keeps only the latest version of each. Versions applied before this
 *   migration are not known; the current one of each resource is copied in.
 * - `runs.audience_version` / `runs.audience_spec_hash`: the version of the audience a run
 *   compiled. The hash is of the spec the run compiled; the version is the latest applied version
 *   with that hash when the run started (null when the spec was never applied as such).
 */
export const migration: Migration = {
  version: 9,
  name: 'trace_links',
  up: (s) => [
    `CREATE TABLE IF NOT EXISTS ${s}."resource_versions" (
      kind VARCHAR NOT NULL, key VARCHAR NOT NULL, version INTEGER NOT NULL, spec VARCHAR NOT NULL, spec_hash VARCHAR NOT NULL,
      applied_at TIMESTAMP NOT NULL, applied_by VARCHAR, commit_sha VARCHAR, apply_id VARCHAR, stack VARCHAR,
      deleted BOOLEAN NOT NULL)`,
    `INSERT INTO ${s}."resource_versions" (kind, key, version, spec, spec_hash, applied_at, applied_by, commit_sha, apply_id, stack, deleted)
      SELECT kind, key, version, spec, spec_hash, applied_at, applied_by, commit_sha, apply_id, stack, deleted_at IS NOT NULL
        FROM ${s}."resources"`,
    `ALTER TABLE ${s}."runs" ADD COLUMN audience_version INTEGER`,
    `ALTER TABLE ${s}."runs" ADD COLUMN audience_spec_hash VARCHAR`,
  ],
};
