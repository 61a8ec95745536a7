import { redact } from '../github/redact.js';
import { SyncStatusStore } from '../state/control/sync-status.js';
import type { Warehouse } from '../warehouse/types.js';
import type { SyncResult } from './sync-loop.js';

/**
 * Records an attempt of the git-pulling loop as the stack's sync status. Defence in depth: results
 * built elsewhere may carry a token in a message or a URL, so both are redacted again here.
 */
export async function recordSyncStatus(wh: Warehouse, schema: string, stack: string, result: SyncResult): Promise<void> {
  const clean = (s: string | null) => (s === null ? null : redact(s, [process.env.GITHUB_TOKEN]));
  await new SyncStatusStore(wh, schema).record(stack, {
    status: result.status,
    commit: result.commit,
    syncedCommit: result.syncedCommit,
    applied: result.applied,
    message: clean(result.message),
    attemptedAt: result.attemptedAt,
    source: clean(result.source),
    branch: result.branch,
  });
}
