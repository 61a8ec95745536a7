import { and, compare, deleteFrom, eq, FALSE, fn, inList, insert, lit, notExists, notInList, NULL, ONE, param, ref, scalar, select, star, stateTable, sysCol, update, type Expr } from '../../dialect/ast.js';
import type { StateTables } from '../tables.js';
import type { StateTableName, Statement } from '../../dialect/ast.js';
import { StateStore } from '../store.js';
import { lowerKeys, num, reportedRows } from './rows.js';

export type RunTrigger = 'schedule' | 'manual' | 'once';

/** Compute statuses, exactly the seed's words (decision D10). */
export const STATUSES = ['Computing', 'Live', 'Disabled', 'Failed'] as const;
export type AudienceStatusName = (typeof STATUSES)[number];

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
  /** The applied version of the audience the run compiled (null: unknown, or the spec was never applied as such). */
  audienceVersion: number | null;
  audienceSpecHash: string | null;
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

const STATUS_COLUMNS: Record<keyof StatusPatch, string> = {
  status: 'status',
  paused: 'paused',
  pausedReason: 'paused_reason',
  lastRunId: 'last_run_id',
  lastRunAt: 'last_run_at',
  nextRunAt: 'next_run_at',
  size: 'size',
};

/** A run's row as it starts. */
export interface RunStart {
  id: string;
  audienceKey: string;
  startedAt: Date;
  trigger: RunTrigger;
  holder: string | null;
  step: string;
  /** The hash of the audience spec the run compiled (resources.spec_hash); null when it did not compile one. */
  audienceSpecHash?: string | null;
}

/** The counts of a run that went Live. */
export interface RunCounts {
  members: number;
  entered: number;
  exited: number;
  entitiesAdded: number;
  entitiesRemoved: number;
  baseline: boolean;
}

/** How a run ended: when, and what it recorded. */
export interface RunEnd {
  endedAt: Date;
  durationMs: number;
  queryIds: string[];
}

/** What a failed run records. */
export interface RunFailure extends RunEnd {
  members: number | null;
  errorCode: string;
  errorMessage: string;
  errorDetail: string | null;
  step: string;
}

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

function queryIdsOf(v: unknown): string[] {
  try {
    return v ? (JSON.parse(String(v)) as string[]) : [];
  } catch {
    return [];
  }
}

function toRun(r: Record<string, unknown>): RunRow {
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
    queryIds: queryIdsOf(r.query_ids),
    baseline: r.baseline === null || r.baseline === undefined ? null : Boolean(r.baseline),
    holder: (r.holder as string | null) ?? null,
    step: (r.step as string | null) ?? null,
    audienceVersion: num(r.audience_version),
    audienceSpecHash: (r.audience_spec_hash as string | null) ?? null,
  };
}

/**
 * Rows (of `alias`, with `audience_key`) written at `at` for their audience's current incarnation.
 * A row belongs to the incarnation of its audience it was written in: one written before the
 * audience's row was created again (deleted, then declared again with the same key) was the
 * audience before's, and is not this one's, as a re-created emitter's cursor is not
 * (cursorIsCurrent).
 */
export function ofCurrentIncarnation(t: StateTables, alias: string, at: string): Expr {
  const row = (c: string) => sysCol(alias, c);
  const audience = (c: string) => sysCol('incarnation', c);
  const laterIncarnation = select([{ expr: ONE, as: 'one' }], {
    from: stateTable(t.resources, 'incarnation'),
    where: and(eq(audience('kind'), lit('audience')), eq(audience('key'), row('audience_key')), compare('>', audience('created_at'), row(at))),
  });
  return notExists(laterIncarnation);
}

/**
 * The Live runs of their audience's current incarnation, in a query over `runs` as `alias`: the
 * one definition of "the audience has a snapshot", which compiles of "part of", `linked why`,
 * emitters waiting for a compute and a commit's baseline all read.
 */
export function liveOfCurrentIncarnation(t: StateTables, alias: string): Expr {
  return and(eq(sysCol(alias, 'status'), lit('Live')), ofCurrentIncarnation(t, alias, 'started_at'));
}

/** The compute runs (runs) and each audience's compute status (audience_status). */
export class RunStore extends StateStore {
  async readStatuses(): Promise<AudienceStatusRow[]> {
    return this.rows(select([star()], { from: stateTable(this.t.audience_status), orderBy: [{ expr: ref('audience_key') }] }), toStatus);
  }

  async readStatus(audienceKey: string): Promise<AudienceStatusRow | undefined> {
    const rows = await this.rows(select([star()], { from: stateTable(this.t.audience_status), where: this.audience(audienceKey) }), toStatus);
    return rows[0];
  }

  /** Run history, newest first; `notAudiences` leaves out another stack's audiences (otherStacksKeys). */
  async readRuns(options: { audienceKey?: string; notAudiences?: readonly string[]; limit?: number } = {}): Promise<RunRow[]> {
    const where = [
      ...(options.audienceKey ? [this.audience(options.audienceKey)] : []),
      ...(options.notAudiences?.length ? [notInList(ref('audience_key'), options.notAudiences.map((k) => param(k)))] : []),
    ];
    const query = select([star()], {
      from: stateTable(this.t.runs),
      where: where.length > 0 ? and(...where) : undefined,
      orderBy: [
        { expr: ref('started_at'), desc: true },
        { expr: ref('id'), desc: true },
      ],
      limit: options.limit ?? 20,
    });
    return this.rows(query, toRun);
  }

  /**
   * Which of these audiences have a snapshot to read: a Live run of their current incarnation (the
   * run that writes the first snapshot is the audience's first Live one, as its baseline says).
   */
  async withSnapshot(audienceKeys: readonly string[]): Promise<Set<string>> {
    if (audienceKeys.length === 0) return new Set();
    const query = select(
      { audience_key: sysCol('run', 'audience_key') },
      { distinct: true, from: stateTable(this.t.runs, 'run'), where: and(inList(sysCol('run', 'audience_key'), audienceKeys.map((k) => param(k))), liveOfCurrentIncarnation(this.t, 'run')) },
    );
    const { rows } = await this.run(query);
    return new Set(rows.map((r) => String(lowerKeys<{ audience_key: string }>(r).audience_key)));
  }

  /** The run that committed the audience's snapshot: its current incarnation's last Live run; undefined before its first. */
  async snapshotRun(audienceKey: string): Promise<RunRow | undefined> {
    const query = select([star('run')], {
      from: stateTable(this.t.runs, 'run'),
      where: and(eq(sysCol('run', 'audience_key'), param(audienceKey)), liveOfCurrentIncarnation(this.t, 'run')),
      orderBy: [
        { expr: sysCol('run', 'started_at'), desc: true },
        { expr: sysCol('run', 'id'), desc: true },
      ],
      limit: 1,
    });
    return (await this.rows(query, toRun))[0];
  }

  /**
   * A re-created audience (deleted, then declared again with the same key) starts as a new one:
   * no status row (no last run, size or pause of the audience before), no snapshot (snapshot.ts).
   */
  async forgetStatus(audienceKey: string): Promise<void> {
    await this.run(deleteFrom(this.t.audience_status, this.audience(audienceKey)));
  }

  async readRun(runId: string): Promise<RunRow | undefined> {
    return (await this.rows(select([star()], { from: stateTable(this.t.runs), where: eq(ref('id'), param(runId)) }), toRun))[0];
  }

  /** Creates the audience's status row when it has none (portable: no merge or on-conflict clause). */
  async ensureStatusRow(audienceKey: string): Promise<void> {
    const row = select({ audience_key: param(audienceKey), status: lit('Disabled'), paused: FALSE }, { where: this.absent(this.t.audience_status, this.audience(audienceKey)) });
    // Controllers that sync statuses at once would each create the row: the lock queues them.
    await this.wh.transaction(async (tx) => {
      const s = this.in(tx);
      await s.lockTable(this.t.audience_status, 'paused', this.audience(audienceKey));
      await s.run(insert(this.t.audience_status, ['audience_key', 'status', 'paused'], row));
    });
  }

  /** `rowExists`: the caller knows the row is there (a run creates it at kickoff), which spares a statement. */
  async updateStatus(audienceKey: string, patch: StatusPatch, options: { rowExists?: boolean } = {}): Promise<void> {
    const keys = (Object.keys(patch) as (keyof StatusPatch)[]).filter((k) => patch[k] !== undefined);
    if (keys.length === 0) return;
    if (!options.rowExists) await this.ensureStatusRow(audienceKey);
    const set = Object.fromEntries(keys.map((k) => [STATUS_COLUMNS[k], param(patch[k])]));
    await this.run(update(this.t.audience_status, set, this.audience(audienceKey)));
  }

  /** Clears a pause: the audience is due at the controller's next tick. */
  async clearPause(audienceKey: string): Promise<void> {
    await this.run(update(this.t.audience_status, { paused: FALSE, paused_reason: NULL, next_run_at: NULL }, this.audience(audienceKey)));
  }

  /**
   * Marks the audience's runs still Computing, other than `runId`, as Failed (their process died);
   * returns how many there were (undefined when the warehouse does not say).
   */
  async abandonOthers(audienceKey: string, runId: string, endedAt: Date, message: string): Promise<number | undefined> {
    const set = { status: lit('Failed'), ended_at: param(endedAt), error_code: lit('RUN_ABANDONED'), error_message: param(message) };
    const where = and(this.audience(audienceKey), eq(ref('status'), lit('Computing')), compare('<>', ref('id'), param(runId)));
    return reportedRows((await this.run(update(this.t.runs, set, where))).rows);
  }

  /**
   * Records a run as Computing, unless its row exists (a retried kickoff), with the audience
   * version it compiled: the latest applied version whose spec has the compiled spec's hash.
   */
  async start(r: RunStart): Promise<void> {
    const hash = r.audienceSpecHash ?? null;
    const version = hash === null ? NULL : scalar(select({ v: fn('MAX', ref('version')) }, {
      from: stateTable(this.t.resource_versions),
      where: and(eq(ref('kind'), lit('audience')), eq(ref('key'), param(r.audienceKey)), eq(ref('spec_hash'), param(hash))),
    }));
    const row = select(
      {
        id: param(r.id), audience_key: param(r.audienceKey), status: lit('Computing'), started_at: param(r.startedAt), trigger: param(r.trigger), holder: param(r.holder), step: param(r.step),
        audience_version: version, audience_spec_hash: param(hash),
      },
      { where: this.absent(this.t.runs, eq(ref('id'), param(r.id))) },
    );
    await this.run(insert(this.t.runs, ['id', 'audience_key', 'status', 'started_at', 'trigger', 'holder', 'step', 'audience_version', 'audience_spec_hash'], row));
  }

  async finishLive(runId: string, end: RunEnd, c: RunCounts): Promise<void> {
    const set = {
      status: lit('Live'),
      ...this.ended(end),
      members: param(c.members),
      entered: param(c.entered),
      exited: param(c.exited),
      entities_added: param(c.entitiesAdded),
      entities_removed: param(c.entitiesRemoved),
      query_ids: param(JSON.stringify(end.queryIds)),
      baseline: param(c.baseline),
      step: lit('done'),
    };
    await this.run(update(this.t.runs, set, eq(ref('id'), param(runId))));
  }

  async finishFailed(runId: string, f: RunFailure): Promise<void> {
    const set = {
      status: lit('Failed'),
      ...this.ended(f),
      members: param(f.members),
      error_code: param(f.errorCode),
      error_message: param(f.errorMessage),
      error_detail: param(f.errorDetail),
      query_ids: param(JSON.stringify(f.queryIds)),
      step: param(f.step),
    };
    await this.run(update(this.t.runs, set, eq(ref('id'), param(runId))));
  }

  private ended(end: RunEnd): Record<string, Expr> {
    return { ended_at: param(end.endedAt), duration_ms: param(end.durationMs) };
  }

  private audience(audienceKey: string): Expr {
    return eq(ref('audience_key'), param(audienceKey));
  }

  private absent(table: StateTableName, where: Expr): Expr {
    return notExists(select({ one: ONE }, { from: stateTable(table), where }));
  }

  private async rows<T>(query: Statement, map: (r: Record<string, unknown>) => T): Promise<T[]> {
    return (await this.run(query)).rows.map((r) => map(lowerKeys(r)));
  }
}
