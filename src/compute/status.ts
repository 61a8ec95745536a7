import { LinkedError } from '../model/errors.js';
import type { Warehouse } from '../warehouse/types.js';
import type { ComputeTables } from './tables.js';
import type { AudienceStatusName, RunTrigger } from './types.js';

/** One row of audience_status. */
export interface AudienceStatusRow {
  audienceKey: string;
  status: AudienceStatusName;
  paused: boolean;
  pausedReason: string | null;
  lastRunId: string | null;
  lastRunAt: Date | null;
  nextRunAt: Date | null;
  size: number | null;
}

/** One row of the run history. */
export interface RunRow {
  id: string;
  audienceKey: string;
  status: 'Computing' | 'Live' | 'Failed';
  trigger: RunTrigger;
  startedAt: Date;
  endedAt: Date | null;
  durationMs: number | null;
  members: number | null;
  entered: number | null;
  exited: number | null;
  entitiesAdded: number | null;
  entitiesRemoved: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorDetail: string | null;
  queryIds: string[];
  baseline: boolean | null;
  holder: string | null;
  step: string | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const date = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));

function toStatus(r: Record<string, unknown>): AudienceStatusRow {
  return {
    audienceKey: String(r.audience_key),
    status: r.status as AudienceStatusName,
    paused: Boolean(r.paused),
    pausedReason: (r.paused_reason as string | null) ?? null,
    lastRunId: (r.last_run_id as string | null) ?? null,
    lastRunAt: date(r.last_run_at),
    nextRunAt: date(r.next_run_at),
    size: num(r.size),
  };
}

function toRun(r: Record<string, unknown>): RunRow {
  let queryIds: string[] = [];
  try {
    queryIds = r.query_ids ? (JSON.parse(String(r.query_ids)) as string[]) : [];
  } catch {
    queryIds = [];
  }
  return {
    id: String(r.id),
    audienceKey: String(r.audience_key),
    status: r.status as RunRow['status'],
    trigger: r.trigger as RunTrigger,
    startedAt: date(r.started_at)!,
    endedAt: date(r.ended_at),
    durationMs: num(r.duration_ms),
    members: num(r.members),
    entered: num(r.entered),
    exited: num(r.exited),
    entitiesAdded: num(r.entities_added),
    entitiesRemoved: num(r.entities_removed),
    errorCode: (r.error_code as string | null) ?? null,
    errorMessage: (r.error_message as string | null) ?? null,
    errorDetail: (r.error_detail as string | null) ?? null,
    queryIds,
    baseline: r.baseline === null || r.baseline === undefined ? null : Boolean(r.baseline),
    holder: (r.holder as string | null) ?? null,
    step: (r.step as string | null) ?? null,
  };
}

export async function readStatuses(wh: Warehouse, t: ComputeTables): Promise<AudienceStatusRow[]> {
  return (await wh.query(`SELECT * FROM ${t.audience_status} ORDER BY audience_key`)).rows.map(toStatus);
}

export async function readStatus(wh: Warehouse, t: ComputeTables, audienceKey: string): Promise<AudienceStatusRow | undefined> {
  const { rows } = await wh.query(`SELECT * FROM ${t.audience_status} WHERE audience_key = ?`, [audienceKey]);
  return rows[0] ? toStatus(rows[0]) : undefined;
}

/** Run history, newest first. */
export async function readRuns(wh: Warehouse, t: ComputeTables, options: { audienceKey?: string; limit?: number } = {}): Promise<RunRow[]> {
  const where = options.audienceKey ? 'WHERE audience_key = ?' : '';
  const params: unknown[] = options.audienceKey ? [options.audienceKey] : [];
  const { rows } = await wh.query(`SELECT * FROM ${t.runs} ${where} ORDER BY started_at DESC, id DESC LIMIT ?`, [...params, options.limit ?? 20]);
  return rows.map(toRun);
}

export async function readRun(wh: Warehouse, t: ComputeTables, runId: string): Promise<RunRow | undefined> {
  const { rows } = await wh.query(`SELECT * FROM ${t.runs} WHERE id = ?`, [runId]);
  return rows[0] ? toRun(rows[0]) : undefined;
}

/** Creates the audience's status row when it has none (portable: no MERGE / ON CONFLICT). */
export async function ensureStatusRow(wh: Warehouse, t: ComputeTables, audienceKey: string): Promise<void> {
  await wh.query(
    `INSERT INTO ${t.audience_status} (audience_key, status, paused)
     SELECT ?, 'Disabled', FALSE WHERE NOT EXISTS (SELECT 1 FROM ${t.audience_status} WHERE audience_key = ?)`,
    [audienceKey, audienceKey],
  );
}

export type StatusPatch = Partial<{
  status: AudienceStatusName;
  paused: boolean;
  pausedReason: string | null;
  lastRunId: string;
  lastRunAt: Date;
  nextRunAt: Date | null;
  size: number;
}>;

const COLUMNS: Record<keyof StatusPatch, string> = {
  status: 'status',
  paused: 'paused',
  pausedReason: 'paused_reason',
  lastRunId: 'last_run_id',
  lastRunAt: 'last_run_at',
  nextRunAt: 'next_run_at',
  size: 'size',
};

/** `rowExists`: the caller knows the row is there (a run creates it at kickoff), which spares a statement. */
export async function updateStatus(
  wh: Warehouse,
  t: ComputeTables,
  audienceKey: string,
  patch: StatusPatch,
  options: { rowExists?: boolean } = {},
): Promise<void> {
  const keys = (Object.keys(patch) as (keyof StatusPatch)[]).filter((k) => patch[k] !== undefined);
  if (keys.length === 0) return;
  if (!options.rowExists) await ensureStatusRow(wh, t, audienceKey);
  await wh.query(`UPDATE ${t.audience_status} SET ${keys.map((k) => `${COLUMNS[k]} = ?`).join(', ')} WHERE audience_key = ?`, [
    ...keys.map((k) => patch[k]),
    audienceKey,
  ]);
}

/** `linked resume`: clears a pause; the audience is due at the controller's next tick. */
export async function resumeAudience(wh: Warehouse, t: ComputeTables, audienceKey: string): Promise<{ wasPaused: boolean }> {
  const current = await readStatus(wh, t, audienceKey);
  if (!current) throw new LinkedError('AUDIENCE_NOT_COMPUTED', `Audience ${audienceKey} has no compute status yet; there is nothing to resume.`);
  await wh.query(`UPDATE ${t.audience_status} SET paused = FALSE, paused_reason = NULL, next_run_at = NULL WHERE audience_key = ?`, [audienceKey]);
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
