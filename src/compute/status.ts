import { LinkedError } from '../model/errors.js';
import { RunStore } from '../state/compute/runs.js';
import type { Warehouse } from '../warehouse/types.js';

import type { AudienceStatusRow, StatusPatch } from '../state/compute/runs.js';
export type { AudienceStatusRow, RunRow, StatusPatch } from '../state/compute/runs.js';

/** `linked resume`: clears a pause; the audience is due at the controller's next tick. */
export async function resumeAudience(wh: Warehouse, schema: string, audienceKey: string): Promise<{ wasPaused: boolean }> {
  const runs = new RunStore(wh, schema);
  const current = await runs.readStatus(audienceKey);
  if (!current) throw new LinkedError('AUDIENCE_NOT_COMPUTED', `Audience ${audienceKey} has no compute status yet; there is nothing to resume.`);
  await runs.clearPause(audienceKey);
  return { wasPaused: current.paused };
}

/** The error a command shows for a paused audience: it stays paused until resumed. */
export function pausedError(audienceKey: string, reason: string | null): LinkedError {
  return new LinkedError(
    'AUDIENCE_PAUSED',
    `Audience ${audienceKey} is paused for manual intervention${reason ? ` (${reason})` : ''}. ` +
      `After fixing the cause, run \`linked resume ${audienceKey}\`.`,
  );
}

/*
 * The audience statuses and run history, for commands and the controller (RunStore reads them).
 */
export const readStatuses = (wh: Warehouse, schema: string) => new RunStore(wh, schema).readStatuses();
export const readStatus = (wh: Warehouse, schema: string, audienceKey: string) => new RunStore(wh, schema).readStatus(audienceKey);
export const readRuns = (wh: Warehouse, schema: string, options?: { audienceKey?: string; notAudiences?: readonly string[]; limit?: number }) => new RunStore(wh, schema).readRuns(options);
export const readRun = (wh: Warehouse, schema: string, runId: string) => new RunStore(wh, schema).readRun(runId);
export const updateStatus = (wh: Warehouse, schema: string, audienceKey: string, patch: StatusPatch, options?: { rowExists?: boolean }) =>
  new RunStore(wh, schema).updateStatus(audienceKey, patch, options);

/**
 * An enabled audience whose status row the controller has not synced since: it never ran, or an
 * apply enabled it again. Until the controller's next tick it shows Computing; that tick gives it
 * its last run's status and makes it due at once (the seed: enabling triggers a compute).
 */
export const awaitsEnableSync = (a: { enabled: boolean }, row: Pick<AudienceStatusRow, 'status'> | undefined): boolean =>
  a.enabled && (!row || row.status === 'Disabled');
