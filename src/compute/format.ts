import type { Audience } from '../model/audience.js';
import { describeSchedule } from './schedule.js';
import { awaitsEnableSync, type AudienceStatusRow, type RunRow } from './status.js';
import type { AudienceStatusName, RunProgress, RunSummary } from './types.js';
import { formatCount } from '../model/count.js';

/* Text renderings for the CLI (the --json forms are the objects themselves). */

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');
export const duration = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? '-' : ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;

/** 75 -> "1m15s", 4000 -> "1h6m". */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  const h = Math.floor(seconds / 3600);
  return h < 48 ? `${h}h${Math.floor((seconds % 3600) / 60)}m` : `${Math.floor(h / 24)}d${h % 24}h`;
}

export function renderRunSummary(s: RunSummary): string {
  if (s.status === 'Live') {
    return (
      `${s.audienceKey}: Live${s.baseline ? ' (baseline recorded)' : ''} in ${duration(s.durationMs)}\n` +
      `  members ${formatCount(s.members)}   entered +${formatCount(s.entered)}   exited -${formatCount(s.exited)}   ` +
      `entities added +${formatCount(s.entitiesAdded)}   removed -${formatCount(s.entitiesRemoved)}\n` +
      `  run ${s.runId}\n`
    );
  }
  return (
    `${s.audienceKey}: Failed [${s.error?.code}] ${s.error?.message}\n` +
    (s.paused ? `  Paused for manual intervention: after fixing the cause, run \`linked resume ${s.audienceKey}\`.\n` : '') +
    `  run ${s.runId}\n`
  );
}

/** Fixed-width columns: readable in a terminal, stable for grep in CI. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function renderRuns(runs: RunRow[]): string {
  if (runs.length === 0) return 'No runs yet.\n';
  return table(
    ['STARTED', 'AUDIENCE', 'STATUS', 'TRIGGER', 'DURATION', 'MEMBERS', 'ENTERED', 'EXITED', 'ENT+', 'ENT-', 'ERROR'],
    runs.map((r) => [
      iso(r.startedAt),
      r.audienceKey,
      r.status,
      r.trigger,
      duration(r.durationMs),
      formatCount(r.members),
      formatCount(r.entered),
      formatCount(r.exited),
      formatCount(r.entitiesAdded),
      formatCount(r.entitiesRemoved),
      r.errorCode ? `[${r.errorCode}] ${r.errorMessage ?? ''}` : '',
    ]),
  );
}

export interface AudienceStatusView {
  audience: string;
  status: AudienceStatusName;
  paused: boolean;
  pausedReason: string | null;
  schedule: string;
  lastRunId: string | null;
  lastRunAt: string | null;
  /** ISO time, or null when due now / not scheduled. */
  nextRunAt: string | null;
  size: number | null;
  /** Why it is Failed without a run saying so: its applied spec cannot be read (the controller skips it). */
  error?: string;
}

/**
 * What `linked status` shows for an applied audience: Disabled when disabled; Computing and due
 * while the controller has not synced it since it was enabled (awaitsEnableSync); else its row's.
 */
export function statusView(a: Audience, row: AudienceStatusRow | undefined): AudienceStatusView {
  const awaitingEnable = awaitsEnableSync(a, row);
  const status: AudienceStatusName = !a.enabled ? 'Disabled' : awaitingEnable || !row ? 'Computing' : row.status;
  return {
    audience: a.key,
    status,
    paused: row?.paused ?? false,
    pausedReason: row?.pausedReason ?? null,
    schedule: describeSchedule(a.schedule),
    lastRunId: row?.lastRunId ?? null,
    lastRunAt: row?.lastRunAt?.toISOString() ?? null,
    nextRunAt: a.enabled && !awaitingEnable && !row?.paused ? (row?.nextRunAt?.toISOString() ?? null) : null,
    size: row?.size ?? null,
  };
}

/**
 * What `linked status` shows for an applied audience whose spec cannot be read: Failed, with why,
 * whatever its last run was (the controller skips it until it is applied again); its row's history.
 */
export function unreadableStatusView(audienceKey: string, error: string, row: AudienceStatusRow | undefined): AudienceStatusView {
  return {
    audience: audienceKey,
    status: 'Failed',
    paused: row?.paused ?? false,
    pausedReason: row?.pausedReason ?? null,
    schedule: '-',
    lastRunId: row?.lastRunId ?? null,
    lastRunAt: row?.lastRunAt?.toISOString() ?? null,
    nextRunAt: null,
    size: row?.size ?? null,
    error,
  };
}

export function renderStatus(views: AudienceStatusView[]): string {
  if (views.length === 0) return 'No applied audiences.\n';
  return table(
    ['AUDIENCE', 'STATUS', 'LAST RUN', 'NEXT RUN', 'SIZE', 'SCHEDULE'],
    views.map((v) => [
      v.audience,
      v.paused ? `${v.status} (paused)` : v.status,
      v.lastRunAt?.replace(/\.\d{3}Z$/, 'Z') ?? '-',
      v.error ? 'skipped: spec unreadable' : v.status === 'Disabled' ? '-' : v.paused ? 'paused: linked resume' : (v.nextRunAt?.replace(/\.\d{3}Z$/, 'Z') ?? 'due now'),
      formatCount(v.size),
      v.schedule,
    ]),
  );
}

/** A one-line progress display for a TTY (stderr, rewritten in place). */
export function progressLine(audienceKey: string, p: RunProgress): string {
  const rows = p.rows !== undefined ? ` ${formatCount(p.rows)} ${p.message ?? 'rows'}` : p.message ? ` ${p.message}` : '';
  return `computing ${audienceKey}: ${p.step}${p.attempt ? ` (attempt ${p.attempt + 1})` : ''}${rows}`;
}
