import { and, cast, eq, insert, lit, NULL, param, ref, select, stateTable, TRUE, update, values, type Expr } from '../../dialect/ast.js';
import { isoTimestamp } from '../canonical.js';
import { columns } from '../columns.js';
import { StateStore } from '../store.js';

/** synced | out of sync | failed (Argo CD's words), or suspended (Flux's). */
export type SyncStatus = 'synced' | 'out of sync' | 'failed' | 'suspended';

/** One attempt of the git-pulling loop, as its status row records it. */
export interface SyncAttempt {
  status: SyncStatus;
  /** The commit the attempt saw. */
  commit: string | null;
  /** The commit the warehouse is in sync with after the attempt; null keeps the previous one. */
  syncedCommit: string | null;
  /** Whether the attempt applied a change (an attempt that found nothing to apply only confirms the sync). */
  applied: boolean;
  message: string | null;
  attemptedAt: Date;
  source: string | null;
  branch: string | null;
}

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
  /** Suspended by a person (`setSuspended`): the controller skips every attempt until resumed. */
  suspended: boolean;
}

const READ_COLUMNS = ['stack', 'status', 'last_synced_commit', 'last_synced_at', 'last_attempt_at', 'attempted_commit', 'message', 'source', 'branch', 'suspended'];
const timestamp = (at: Date): Expr => cast(param(at.toISOString()), 'TIMESTAMP');

/** The message of a stack resumed after a suspended attempt, until the controller's next attempt. */
export const RESUMED_MESSAGE = 'resumed: the controller syncs it at its next attempt';

/** `sync_status`: per stack, the last attempt of the git-pulling loop and whether a person suspended it. */
export class SyncStatusStore extends StateStore {
  /** Records an attempt. One without a synced commit keeps the previous one ("failed; last synced at abc123"). */
  async record(stack: string, a: SyncAttempt): Promise<void> {
    const attempt = {
      status: param(a.status),
      last_attempt_at: timestamp(a.attemptedAt),
      attempted_commit: param(a.commit),
      message: param(a.message),
      source: param(a.source),
      branch: param(a.branch),
    };
    await this.wh.transaction(async (tx) => {
      const store = this.in(tx);
      // Two controllers syncing one stack would each create its row: the lock queues them.
      await store.lockTable(this.t.sync_status, 'status', eq(ref('stack'), param(stack)));
      if (!(await store.exists(stack))) {
        const row = {
          stack: param(stack),
          ...attempt,
          last_synced_commit: param(a.syncedCommit),
          last_synced_at: a.syncedCommit ? timestamp(a.attemptedAt) : NULL,
        };
        await store.run(insert(this.t.sync_status, Object.keys(row), values(Object.values(row))));
        return;
      }
      // last_synced_at is when the commit was synced: an attempt that finds it applied already
      // (every interval plans again) keeps that time, or it would read as a sync at every interval.
      const synced: Record<string, Expr> = {};
      if (a.syncedCommit !== null) {
        const [before] = await store.read(stack);
        synced.last_synced_commit = param(a.syncedCommit);
        if (a.applied || before?.lastSyncedCommit !== a.syncedCommit || before.lastSyncedAt === null) synced.last_synced_at = timestamp(a.attemptedAt);
      }
      await store.run(update(this.t.sync_status, { ...attempt, ...synced }, eq(ref('stack'), param(stack))));
    });
  }

  /** Every stack's sync status (or one stack's), by stack name. */
  async read(stack?: string): Promise<SyncStatusRow[]> {
    const { rows } = await this.run<Record<string, unknown>>(
      select(columns(READ_COLUMNS), {
        from: stateTable(this.t.sync_status),
        where: stack !== undefined ? eq(ref('stack'), param(stack)) : undefined,
        orderBy: [{ expr: ref('stack') }],
      }),
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
   * before every attempt, so no restart is needed.
   */
  async setSuspended(stack: string, suspended: boolean, now = new Date()): Promise<void> {
    await this.wh.transaction(async (tx) => {
      const store = this.in(tx);
      await store.lockTable(this.t.sync_status, 'suspended', eq(ref('stack'), param(stack)));
      if (await store.exists(stack)) {
        await store.run(update(this.t.sync_status, { suspended: param(suspended) }, eq(ref('stack'), param(stack))));
        // The last attempt's "nothing is pulled ... until it is resumed" is no longer true once it
        // is; its status stays what that attempt saw until the controller's next attempt.
        if (!suspended) {
          await store.run(
            update(this.t.sync_status, { message: param(RESUMED_MESSAGE) }, and(eq(ref('stack'), param(stack)), eq(ref('status'), lit('suspended')))),
          );
        }
      } else if (suspended) {
        // Resuming a stack that never synced changes nothing; suspending one reserves its row.
        const row = { stack: param(stack), status: lit('suspended'), last_attempt_at: timestamp(now), message: param('suspended before its first sync'), suspended: TRUE };
        await store.run(insert(this.t.sync_status, Object.keys(row), values(Object.values(row))));
      }
    });
  }

  /** Whether a person suspended the sync of this stack (false when it never ran). */
  async isSuspended(stack: string): Promise<boolean> {
    const { rows } = await this.run<{ suspended: unknown }>(
      select({ suspended: ref('suspended') }, { from: stateTable(this.t.sync_status), where: eq(ref('stack'), param(stack)) }),
    );
    return rows[0]?.suspended === true;
  }

  private async exists(stack: string): Promise<boolean> {
    const { rows } = await this.run(select({ stack: ref('stack') }, { from: stateTable(this.t.sync_status), where: eq(ref('stack'), param(stack)) }));
    return rows.length > 0;
  }
}
