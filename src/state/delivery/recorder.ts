import {
  NULL,
  and,
  arith,
  cast,
  coalesce,
  compare,
  eq,
  fn,
  inList,
  insert,
  lit,
  notInList,
  or,
  param,
  perRow,
  ref,
  scalar,
  select,
  stateTable,
  sysCol,
  TRUE,
  update,
  values,
  type Expr,
} from '../../dialect/ast.js';
import type { EventEmitter } from '../../model/emitter.js';
import { holderId, holderIsDead } from '../control/holder.js';
import { DeliveryStore, numberOf } from './columns.js';
import { CursorStore } from './cursors.js';
import { answeredUpdate, failureUpdate, type FailureRecord } from './health.js';
import { outboxSelection } from './selection.js';
import type { Cursor, DeadLetterInput, RunCounts, SourceRow } from './types.js';

/** A handled prefix of a page, as delivery records it. */
export interface PageCommit {
  runId: string;
  emitter: EventEmitter;
  destinationKey: string;
  eventName: string;
  cursor: Cursor;
  source: SourceRow['source'];
  /** The last id (outbox id or backfill seq) of the handled prefix. */
  throughId: number;
  /** The messageId of a row is md5(prefix || id): the record recomputes it from the id. */
  messageIdPrefix: string;
  deadLetters: DeadLetterInput[];
  /** The run's counts once the page is recorded; undefined: this commit leaves them (activation/progress-writes.ts). */
  counts?: RunCounts;
  now: Date;
  /**
   * The destination answered the prefix's events (accepted some, or refused them for themselves):
   * the emitter's failure episode and any block are over, and an acceptance is its last success.
   */
  answer?: 'accepted' | 'refused';
}

/** A delivery run about to start, as `startRuns` records it. */
export interface RunStart {
  runId: string;
  emitterKey: string;
  destinationKey: string;
  startedAt: Date;
}

/** How a delivery run ended, as `finishRuns` records it. */
export interface RunEnd {
  runId: string;
  emitterKey: string;
  status: string;
  counts: RunCounts;
  at: Date;
}

/** A dead letter re-sent by a replay: accepted, or refused again with the destination's new answer. */
export type ReplayOutcome =
  | { id: number; accepted: true }
  | { id: number; accepted: false; reasonCode: string; reason: string; httpStatus: number | null; responseBody: string | null };

/** What a replay's answers say of the emitter's health (`recordReplay`). */
export interface ReplayHealth {
  answered?: { emitterKey: string; accepted: boolean };
  blocked?: { emitterKey: string; failure: FailureRecord };
}

const ABANDONED = 'The delivery was stopped: its process ended before it finished. Its committed pages stand; the next run resent only the pages in flight.';

const EVENT_COLUMNS = ['run_id', 'emitter_key', 'destination_key', 'source', 'source_id', 'message_id', 'user_id', 'event', 'kind', 'entity_id', 'status', 'delivered_at'];
/**
 * A backfill event's line also keeps where its row came from (migration 10): the row is dropped
 * once the backfill is delivered, and a trace follows the line to the compute run instead.
 */
const BACKFILL_LINK_COLUMNS = ['audience_key', 'compute_run_id', 'entity_path', 'source_created_at'];
const backfillLinks = (s: (name: string) => Expr) => ({
  audience_key: s('audience_key'),
  compute_run_id: s('run_id'),
  entity_path: s('entity_path'),
  source_created_at: s('created_at'),
});

const timestamp = (iso: string): Expr => cast(param(iso), 'TIMESTAMP');

/**
 * The delivery record: delivery runs, what each page delivered (outbox ranges, backfill events),
 * dead letters and their replays. A page's record and its cursor move in one transaction.
 */
export class DeliveryRecorder extends DeliveryStore {
  /**
   * Records the runs as running under this process (its holder id), after closing their emitters'
   * runs that another process left running when it died (see `closeAbandoned`): two statements
   * however many runs start together.
   */
  async startRuns(runs: readonly RunStart[]): Promise<void> {
    if (runs.length === 0) return;
    await this.closeAbandoned(runs.map((r) => r.emitterKey), runs[0].startedAt);
    const holder = param(holderId('deliver'));
    await this.run(
      insert(
        this.t.delivery_runs,
        ['run_id', 'emitter_key', 'destination_key', 'status', 'started_at', 'finished_at', 'sent', 'failed', 'dead_lettered', 'requests', 'retries', 'last_error', 'holder'],
        values(...runs.map((r) => [param(r.runId), param(r.emitterKey), param(r.destinationKey), lit('running'), timestamp(r.startedAt.toISOString()), NULL, lit(0), lit(0), lit(0), lit(0), lit(0), NULL, holder])),
      ),
    );
  }

  /**
   * Closes these emitters' runs still "running" whose process is gone (a holder on this host whose
   * pid no longer runs, or a run recorded before runs named their holder), as compute closes its
   * abandoned runs: failed, RUN_ABANDONED. What such a run delivered is in its committed pages;
   * its counts are those its pages last wrote (at most a minute before its last committed page:
   * activation/progress-writes.ts). Returns how many it closed.
   */
  async closeAbandoned(emitterKeys: readonly string[], now: Date): Promise<number> {
    const { rows } = await this.run<{ run_id: string; emitter_key: string; holder: string | null }>(
      select(
        { run_id: ref('run_id'), emitter_key: ref('emitter_key'), holder: ref('holder') },
        { from: stateTable(this.t.delivery_runs), where: and(inList(ref('emitter_key'), emitterKeys.map(param)), eq(ref('status'), lit('running'))) },
      ),
    );
    const gone = rows.filter((r) => r.holder === null || r.holder === undefined || holderIsDead(r.holder));
    for (const r of gone) {
      await this.run(
        update(
          this.t.delivery_runs,
          { status: lit('failed'), finished_at: timestamp(now.toISOString()), last_error: param(`RUN_ABANDONED: ${ABANDONED}`) },
          and(eq(ref('run_id'), param(r.run_id)), eq(ref('emitter_key'), param(r.emitter_key)), eq(ref('status'), lit('running'))),
        ),
      );
    }
    return gone.length;
  }

  /** Records how runs ended, their final counts: one statement however many end together. */
  async finishRuns(runs: readonly RunEnd[]): Promise<void> {
    if (runs.length === 0) return;
    const rows = runs.map((r) => runRow(r.runId, r.emitterKey));
    const each = (value: (r: RunEnd) => Expr) => perRow(rows, runs.map(value));
    await this.run(
      update(
        this.t.delivery_runs,
        { status: each((r) => cast(param(r.status), 'VARCHAR')), finished_at: each((r) => timestamp(r.at.toISOString())), ...countsSet(rows, runs.map((r) => r.counts)) },
        or(...rows),
      ),
    );
  }

  /**
   * Records handled prefixes of pages and advances their cursors past them, in one transaction:
   * the delivery record (for outbox rows one range row, for backfill rows one row each,
   * set-based), the dead letters, the cursors, and the runs' counts and health of the commits that
   * carry them (activation/progress-writes.ts). Called only after the destination
   * acknowledged every event of each prefix. The pages are of different emitters (an emitter
   * commits its pages one after the other), and each statement serves all of them: emitters
   * delivering at the same time pay for the statements of one page.
   */
  async commitPages(commits: readonly PageCommit[]): Promise<Cursor[]> {
    const emitters = commits.map((c) => c.emitter.key);
    if (new Set(emitters).size !== emitters.length) throw new Error(`commitPages: one page per emitter at a time (${emitters.join(', ')})`);
    return this.wh.transaction(async (tx) => {
      const record = this.in(tx);
      const cursors = new CursorStore(tx, this.schema);
      const ranges = commits.filter((c) => c.source === 'outbox');
      if (ranges.length > 0) await record.recordOutboxRanges(ranges);
      for (const c of commits) if (c.source === 'backfill') await record.recordBackfillEvents(c, c.now.toISOString());
      for (const c of commits) if (c.deadLetters.length > 0) await record.recordDeadLetters(c, c.now.toISOString());
      const next = commits.map((c): Cursor => (c.source === 'outbox' ? { ...c.cursor, lastOutboxId: c.throughId } : { ...c.cursor, backfillDone: c.throughId }));
      // Tables are locked in one order by every delivery transaction (backfill, cursors, runs,
      // health; cursor starts take backfill then cursors): on Snowflake an UPDATE or DELETE holds
      // its table until commit, and two deliverers taking two tables in opposite orders deadlock.
      for (const [i, c] of commits.entries()) if (c.source === 'backfill' && next[i].backfillDone >= next[i].backfillTotal) await cursors.dropBackfill(c.emitter.key);
      await cursors.advance(next.map((cursor, i) => ({ cursor, at: commits[i].now.toISOString() })));
      const counted = commits.filter((c): c is PageCommit & { counts: RunCounts } => c.counts !== undefined);
      const rows = counted.map((c) => runRow(c.runId, c.emitter.key));
      if (counted.length > 0) await record.run(update(this.t.delivery_runs, countsSet(rows, counted.map((c) => c.counts)), or(...rows)));
      const answered = commits.filter((c) => c.answer !== undefined);
      if (answered.length > 0) await record.run(answeredUpdate(this.t, answered.map((c) => ({ emitterKey: c.emitter.key, at: c.now, accepted: c.answer === 'accepted' }))));
      return next;
    });
  }

  /**
   * One row for each page's whole outbox range: the delivery_log view expands it over the
   * append-only outbox (a row per event would cost the warehouse tens of MB per million events,
   * and the state as much).
   */
  private async recordOutboxRanges(commits: readonly PageCommit[]): Promise<void> {
    await this.run(
      insert(
        this.t.delivery_pages,
        ['run_id', 'emitter_key', 'destination_key', 'event', 'audience_key', 'kinds', 'entity_path', 'with_baseline', 'message_id_prefix', 'after_id', 'through_id', 'delivered_at'],
        values(
          ...commits.map((c) => {
            const f = outboxSelection(c.emitter);
            return [c.runId, c.emitter.key, c.destinationKey, c.eventName, f.audienceKey, `,${f.kinds.join(',')},`, f.entityPath, f.withBaseline, c.messageIdPrefix, c.cursor.lastOutboxId, c.throughId]
              .map((v) => param(v))
              .concat(timestamp(c.now.toISOString()));
          }),
        ),
      ),
    );
  }

  /**
   * Backfill rows are deleted once delivered, so their events are recorded one row each (one
   * statement), with what a trace needs of the row.
   */
  private async recordBackfillEvents(c: PageCommit, at: string): Promise<void> {
    const s = (name: string) => sysCol('s', name);
    const deadIds = c.deadLetters.map((d) => param(d.row.id));
    await this.run(
      insert(
        this.t.delivery_events,
        [...EVENT_COLUMNS, ...BACKFILL_LINK_COLUMNS],
        select(
          {
            run_id: param(c.runId),
            emitter_key: param(c.emitter.key),
            destination_key: param(c.destinationKey),
            source: lit('backfill'),
            source_id: s('seq'),
            message_id: fn('MD5', arith('||', param(c.messageIdPrefix), cast(s('seq'), 'VARCHAR'))),
            user_id: s('profile_id'),
            event: param(c.eventName),
            kind: s('kind'),
            entity_id: s('entity_id'),
            status: lit('sent'),
            delivered_at: timestamp(at),
            ...backfillLinks(s),
          },
          {
            from: stateTable(this.t.delivery_backfill, 's'),
            where: and(
              eq(s('emitter_key'), param(c.emitter.key)),
              compare('>', s('seq'), param(c.cursor.backfillDone)),
              compare('<=', s('seq'), param(c.throughId)),
              deadIds.length > 0 ? notInList(s('seq'), deadIds) : TRUE,
            ),
          },
        ),
      ),
    );
  }

  /** Each dead letter, and its line in the delivery record; ids allocated after the largest. */
  private async recordDeadLetters(c: PageCommit, at: string): Promise<void> {
    const { rows } = await this.run(select({ m: coalesce(fn('MAX', ref('id')), lit(0)) }, { from: stateTable(this.t.dead_letters) }));
    let id = rows[0] ? numberOf(this.get(rows[0], 'm')) : 0;
    for (const d of c.deadLetters) {
      id += 1;
      await this.run(
        insert(
          this.t.dead_letters,
          [
            'id', 'emitter_key', 'destination_key', 'run_id', 'source', 'source_id', 'message_id', 'user_id', 'event_name', 'event',
            'reason_code', 'reason', 'http_status', 'response_body', 'created_at', 'replay_count', 'last_replay_at', 'replayed_at',
          ],
          values(
            [id, c.emitter.key, c.destinationKey, c.runId, d.row.source, d.row.id, d.messageId, d.row.profileId, d.eventName, JSON.stringify(d.event), d.reasonCode, d.reason, d.httpStatus, d.responseBody]
              .map((v) => param(v))
              .concat(timestamp(at), lit(0), NULL, NULL),
          ),
        ),
      );
      const line = [c.runId, c.emitter.key, c.destinationKey, d.row.source, d.row.id, d.messageId, d.row.profileId, d.eventName, d.row.kind, d.row.entityId]
        .map((v) => param(v))
        .concat(lit('dead_lettered'), timestamp(at));
      if (d.row.source === 'backfill') await this.recordBackfillDeadLetter(c, d.row.id, line);
      else await this.run(insert(this.t.delivery_events, EVENT_COLUMNS, values(line)));
    }
  }

  /** A dead-lettered backfill event's line, with its row's links read from the backfill (still there: it is dropped later in the commit). */
  private async recordBackfillDeadLetter(c: PageCommit, seq: number, line: Expr[]): Promise<void> {
    const s = (name: string) => sysCol('s', name);
    await this.run(
      insert(
        this.t.delivery_events,
        [...EVENT_COLUMNS, ...BACKFILL_LINK_COLUMNS],
        select(
          { ...Object.fromEntries(EVENT_COLUMNS.map((name, i) => [name, line[i]])), ...backfillLinks(s) },
          { from: stateTable(this.t.delivery_backfill, 's'), where: and(eq(s('emitter_key'), param(c.emitter.key)), eq(s('seq'), param(seq))) },
        ),
      ),
    );
  }

  /**
   * Records what a replay of dead letters came to, in one transaction: an accepted one is marked
   * replayed and its delivery recorded under `runId`; a refused one keeps the new answer. The
   * emitter's health records what the destination said of the caller as a delivery does: an
   * answer (`answered`: it answered the emitter's events, not only dead-lettered them past a
   * budget) as a page's commit, then a refusal of the credentials (`blocked`) as a blocked stop.
   */
  async recordReplay(runId: string, destinationKey: string, outcomes: readonly ReplayOutcome[], now: Date, health: ReplayHealth = {}): Promise<void> {
    const { answered, blocked } = health;
    const at = timestamp(now.toISOString());
    const byId = (id: number) => eq(ref('id'), param(id));
    const replayCount = arith('+', ref('replay_count'), lit(1));
    await this.wh.transaction(async (tx) => {
      const s = this.in(tx);
      for (const o of outcomes) {
        if (!o.accepted) continue;
        await s.run(update(this.t.dead_letters, { replayed_at: at, last_replay_at: at, replay_count: replayCount }, byId(o.id)));
        await s.run(
          insert(
            this.t.delivery_events,
            EVENT_COLUMNS,
            select(
              {
                run_id: param(runId),
                emitter_key: ref('emitter_key'),
                destination_key: param(destinationKey),
                source: ref('source'),
                source_id: ref('source_id'),
                message_id: ref('message_id'),
                user_id: ref('user_id'),
                event: ref('event_name'),
                kind: lit('replay'),
                // A dead letter does not keep its entity; the record of its first attempt does.
                entity_id: scalar(
                  select(
                    { entity_id: fn('MAX', sysCol('l', 'entity_id')) },
                    { from: stateTable(this.t.delivery_log, 'l'), where: eq(sysCol('l', 'message_id'), sysCol('d', 'message_id')) },
                  ),
                ),
                status: lit('sent'),
                delivered_at: at,
              },
              { from: stateTable(this.t.dead_letters, 'd'), where: byId(o.id) },
            ),
          ),
        );
      }
      for (const o of outcomes) {
        if (o.accepted) continue;
        await s.run(
          update(
            this.t.dead_letters,
            { last_replay_at: at, replay_count: replayCount, reason_code: param(o.reasonCode), reason: param(o.reason), http_status: param(o.httpStatus), response_body: param(o.responseBody) },
            byId(o.id),
          ),
        );
      }
      if (answered) await s.run(answeredUpdate(this.t, [{ ...answered, at: now }]));
      if (blocked) await s.run(failureUpdate(this.t, blocked.emitterKey, blocked.failure));
    });
  }
}

/** A delivery run's row. */
function runRow(runId: string, emitterKey: string): Expr {
  return and(eq(ref('run_id'), param(runId)), eq(ref('emitter_key'), param(emitterKey)));
}

/** The runs' counts as SET assignments, each run (`rows[i]`) its own (`counts[i]`). */
function countsSet(rows: readonly Expr[], counts: readonly RunCounts[]): Record<string, Expr> {
  const each = (value: (c: RunCounts) => number) => perRow(rows, counts.map((c) => cast(param(value(c)), 'BIGINT')));
  return {
    sent: each((c) => c.sent),
    failed: each((c) => c.failed),
    dead_lettered: each((c) => c.deadLettered),
    requests: each((c) => c.requests),
    retries: each((c) => c.retries),
    last_error: perRow(rows, counts.map((c) => cast(param(c.lastError), 'VARCHAR'))),
  };
}
