import { isoTimestamp } from '../state/canonical.js';
import { stateTable } from '../state/migrate.js';
import type { Warehouse } from '../warehouse/types.js';
import { redact } from './redact.js';
import type { SyncResult, SyncStatus } from './sync.js';

/** One stack's row of `sync_status`, as `linked status` shows it. */
export interface SyncStatusRow {
  stack: string;
  status: SyncStatus;
  /** The commit of the last sync that applied; kept across failed and suspended attempts. */
  lastSyncedCommit: string | null;
  lastSyncedAt: string | null;
  lastAttemptAt: string;
  /** The commit the last attempt saw. */
  attemptedCommit: string | null;
  message: string | null;
  source: string | null;
  branch: string | null;
  /** Suspended by a person (`setSyncSuspended`): the controller skips every attempt until resumed. */
  suspended: boolean;
}

/**
 * Records an attempt (DML only; the table comes from migration 004). A result without a synced
 * commit keeps the previous one, so `linked status` can say "failed; last synced at abc123".
 */
export async function recordSyncStatus(wh: Warehouse, schema: string, stack: string, result: SyncResult): Promise<void> {
  const table = stateTable(wh, schema, 'sync_status');
  // Defence in depth: results built elsewhere may carry a token in a message or a URL.
  const clean = (s: string | null) => (s === null ? null : redact(s, [process.env.GITHUB_TOKEN]));
  const at = result.attemptedAt.toISOString();
  const synced = result.syncedCommit;
  await wh.transaction(async (tx) => {
    const { rows } = await tx.query(`SELECT stack FROM ${table} WHERE stack = ?`, [stack]);
    if (rows.length === 0) {
      await tx.query(
        `INSERT INTO ${table} (stack, status, last_synced_commit, last_synced_at, last_attempt_at, attempted_commit, message, source, branch)
         VALUES (?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?, ?, ?, ?)`,
        [stack, result.status, synced, synced ? at : null, at, result.commit, clean(result.message), clean(result.source), result.branch],
      );
      return;
    }
    await tx.query(
      `UPDATE ${table}
          SET status = ?, last_synced_commit = COALESCE(?, last_synced_commit),
              last_synced_at = CASE WHEN ? THEN CAST(? AS TIMESTAMP) ELSE last_synced_at END,
              last_attempt_at = CAST(? AS TIMESTAMP), attempted_commit = ?, message = ?, source = ?, branch = ?
        WHERE stack = ?`,
      [result.status, synced, synced !== null, at, at, result.commit, clean(result.message), clean(result.source), result.branch, stack],
    );
  });
}

/** Every stack's sync status (or one stack's), by stack name. */
export async function readSyncStatus(wh: Warehouse, schema: string, stack?: string): Promise<SyncStatusRow[]> {
  const { rows } = await wh.query<Record<string, unknown>>(
    `SELECT stack, status, last_synced_commit, last_synced_at, last_attempt_at, attempted_commit, message, source, branch, suspended
       FROM ${stateTable(wh, schema, 'sync_status')}${stack !== undefined ? ' WHERE stack = ?' : ''}
      ORDER BY stack`,
    stack !== undefined ? [stack] : [],
  );
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return rows.map((r) => ({
    stack: String(r.stack),
    status: String(r.status) as SyncStatus,
    lastSyncedCommit: str(r.last_synced_commit),
    lastSyncedAt: isoTimestamp(r.last_synced_at),
    lastAttemptAt: isoTimestamp(r.last_attempt_at)!,
    attemptedCommit: str(r.attempted_commit),
    message: str(r.message),
    source: str(r.source),
    branch: str(r.branch),
    suspended: r.suspended === true,
  }));
}

/**
 * Suspends or resumes the sync of a stack (Flux's `suspend`). A running controller reads it
 * before every attempt (`isSyncSuspended` as `SyncOptions.suspend`), so no restart is needed.
 */
export async function setSyncSuspended(wh: Warehouse, schema: string, stack: string, suspended: boolean): Promise<void> {
  const table = stateTable(wh, schema, 'sync_status');
  const at = new Date().toISOString();
  await wh.transaction(async (tx) => {
    const { rows } = await tx.query(`SELECT stack FROM ${table} WHERE stack = ?`, [stack]);
    if (rows.length === 0) {
      // Resuming a stack that never synced changes nothing; suspending one reserves its row.
      if (suspended) {
        await tx.query(
          `INSERT INTO ${table} (stack, status, last_attempt_at, message, suspended) VALUES (?, 'suspended', CAST(? AS TIMESTAMP), ?, TRUE)`,
          [stack, at, 'suspended before its first sync'],
        );
      }
    } else {
      await tx.query(`UPDATE ${table} SET suspended = ? WHERE stack = ?`, [suspended, stack]);
    }
  });
}

/** Whether a person suspended the sync of this stack (false when it never ran). */
export async function isSyncSuspended(wh: Warehouse, schema: string, stack: string): Promise<boolean> {
  const { rows } = await wh.query<{ suspended: unknown }>(`SELECT suspended FROM ${stateTable(wh, schema, 'sync_status')} WHERE stack = ?`, [stack]);
  return rows[0]?.suspended === true;
}
