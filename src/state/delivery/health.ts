import {
  NULL,
  and,
  cast,
  coalesce,
  compare,
  countStar,
  eq,
  fn,
  inList,
  insert,
  isNull,
  lit,
  notExists,
  ONE,
  or,
  param,
  perRow,
  ref,
  select,
  stateTable,
  sysCol,
  update,
  type Expr,
  type Update,
} from '../../dialect/ast.js';
import type { EventEmitter } from '../../model/emitter.js';
import { isoTimestamp } from '../canonical.js';
import type { StateTables } from '../tables.js';
import { DeliveryStore, numberOf, textOrNull } from './columns.js';
import { CursorStore } from './cursors.js';
import { OutboxReader } from './outbox-reader.js';
import { RunStore } from '../compute/runs.js';
import { SnapshotStore } from '../compute/snapshot.js';
import { entityPathOf, outboxFilter, sendsForCurrent } from './selection.js';
import type { Cursor } from './types.js';

/** What delivery keeps about an emitter between runs: its successes, failures and blocks. */
export interface HealthRecord {
  emitterKey: string;
  destinationKey: string;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  /** Failed attempts of the current failure episode (0 once an answer or a drained pass ended it). */
  consecutiveFailures: number;
  /** The first failed attempt of the events at the cursor: where the retry budget runs from; null outside a failure episode. */
  failingSince: string | null;
  /** Why the emitter is stopped without it being the events' fault ("credentials rejected", "secret HOOK_TOKEN not set"). */
  blockedReason: string | null;
  blockedSince: string | null;
  /** The error of the failure the emitter is stopped on; null once its episode is over. */
  lastError: string | null;
  lastHttpStatus: number | null;
}

/** A failed stop of an emitter's delivery, as delivery records it. */
export interface FailureRecord {
  at: Date;
  consecutiveFailures: number;
  failingSince: Date | null;
  /** Set when the stop is a block; it keeps the first time it was blocked. */
  blockedReason: string | null;
  error: string;
  httpStatus: number | null;
}

/** Where an emitter's delivery stands, for people (`linked status`), metrics and the daemon. */
export interface EmitterHealth extends HealthRecord {
  /**
   * blocked: stopped until a person fixes something (blockedReason says what); retrying: a
   * retryable failure, inside the retry budget; pending: events waiting; waiting_for_compute:
   * nothing waiting yet, but it sends for current members or entities that the audience's next
   * compute records first (waitingForCompute says which); up_to_date: nothing waiting.
   */
  state: 'blocked' | 'retrying' | 'pending' | 'waiting_for_compute' | 'up_to_date';
  /**
   * Set when the emitter sends for current members or entities whose snapshot its audience has not
   * recorded yet: the audience has never gone Live, or (entityPath) its compute has not matched
   * that path yet (an entity emitter added since). They are sent after the audience's next compute.
   */
  waitingForCompute: { audienceKey: string; entityPath: string | null } | null;
  /** Events waiting after the cursor (the backfill's included; for an emitter not started, what it would send). */
  pending: number;
  /** When the oldest waiting event was committed by compute. */
  oldestPendingAt: string | null;
  /** Seconds from the oldest waiting event to `now`: the emitter's lag. */
  lagSeconds: number | null;
  /** Dead letters not replayed. */
  deadLetters: number;
}

const COLUMNS = [
  'emitter_key', 'destination_key', 'last_success_at', 'last_failure_at', 'consecutive_failures', 'failing_since',
  'blocked_reason', 'blocked_since', 'last_error', 'last_http_status',
] as const;

const timestamp = (d: Date | null): Expr => (d === null ? NULL : cast(param(d.toISOString()), 'TIMESTAMP'));

/** The destination answered an emitter's events: accepted some, or refused them for themselves (not the credentials). */
export interface DestinationAnswer {
  emitterKey: string;
  at: Date;
  accepted: boolean;
}

/** What ends a failure episode and any block: the episode's start, its count, the block and its error. */
const EPISODE_OVER = { consecutive_failures: lit(0), failing_since: NULL, blocked_reason: NULL, blocked_since: NULL, last_error: NULL, last_http_status: NULL };

/**
 * The health part of a page's commit (or a replay's record), in its transaction: the destination
 * answered each emitter's events, so the failure episode each was in and any block are over
 * (`last_failure_at` keeps when the last failure was); an acceptance is the emitter's last
 * success. One statement for the emitters of the pages committed together.
 */
export function answeredUpdate(t: StateTables, answers: readonly DestinationAnswer[]): Update {
  const rows = answers.map((d) => eq(ref('emitter_key'), param(d.emitterKey)));
  const at = perRow(rows, answers.map((d) => timestamp(d.at)));
  const lastSuccess = perRow(rows, answers.map((d) => (d.accepted ? timestamp(d.at) : ref('last_success_at'))));
  return update(t.delivery_health, { ...EPISODE_OVER, last_success_at: lastSuccess, updated_at: at }, or(...rows));
}

/**
 * Where an emitter stopped, as its health keeps it: a retryable failure (the budget runs from
 * `failingSince`) or a block (kept since it first blocked). A delivery's stop writes it alone; a
 * replay refused for its credentials writes it in the replay's record.
 */
export function failureUpdate(t: StateTables, emitterKey: string, f: FailureRecord): Update {
  const set: Record<string, Expr> = {
    last_failure_at: timestamp(f.at),
    consecutive_failures: param(f.consecutiveFailures),
    failing_since: timestamp(f.failingSince),
    blocked_reason: f.blockedReason === null ? NULL : param(f.blockedReason),
    blocked_since: f.blockedReason === null ? NULL : coalesce(ref('blocked_since'), timestamp(f.at)),
    last_error: param(f.error.slice(0, 1000)),
    last_http_status: param(f.httpStatus),
    updated_at: timestamp(f.at),
  };
  return update(t.delivery_health, set, eq(ref('emitter_key'), param(emitterKey)));
}

/** The delivery health of each emitter: its record across runs, and its outbox backlog and dead letters read on demand. */
export class DeliveryHealthStore extends DeliveryStore {
  /**
   * The emitters' records, each created when it has none and moved to its destination when the
   * emitter now sends elsewhere. Records already as they should be cost one read for all of them.
   */
  async forDelivery(emitters: readonly { emitterKey: string; destinationKey: string }[], at: Date): Promise<HealthRecord[]> {
    const keys = emitters.map((e) => e.emitterKey);
    let records = await this.readMany(keys);
    const stale = emitters.filter((e) => records.get(e.emitterKey)?.destinationKey !== e.destinationKey);
    if (stale.length > 0) {
      for (const e of stale) await this.ensure(e.emitterKey, e.destinationKey, at);
      records = await this.readMany(keys);
    }
    return keys.map((k) => records.get(k)!);
  }

  /** Creates the emitter's record when it has none (portable: no merge or on-conflict clause). */
  private async ensure(emitterKey: string, destinationKey: string, at: Date): Promise<void> {
    const ofEmitter = eq(ref('emitter_key'), param(emitterKey));
    const where = notExists(select([{ expr: ONE, as: 'one' }], { from: stateTable(this.t.delivery_health), where: ofEmitter }));
    // Two deliverers starting at once would each create the record: the lock queues them.
    await this.wh.transaction(async (tx) => {
      const s = this.in(tx);
      await s.lockTable(this.t.delivery_health, 'destination_key', ofEmitter);
      await s.run(
        insert(
          this.t.delivery_health,
          ['emitter_key', 'destination_key', 'consecutive_failures', 'updated_at'],
          select({ emitter_key: param(emitterKey), destination_key: param(destinationKey), consecutive_failures: lit(0), updated_at: timestamp(at) }, { where }),
        ),
      );
      await s.run(update(this.t.delivery_health, { destination_key: param(destinationKey) }, ofEmitter));
    });
  }

  async read(emitterKey: string): Promise<HealthRecord | undefined> {
    return (await this.records(eq(ref('emitter_key'), param(emitterKey))))[0];
  }

  /** These emitters' records (those that have one), by emitter key, in one statement. */
  async readMany(emitterKeys: readonly string[]): Promise<Map<string, HealthRecord>> {
    return new Map((await this.records(inList(ref('emitter_key'), emitterKeys.map(param)))).map((r) => [r.emitterKey, r]));
  }

  /** Records where an emitter stopped: a retryable failure (the budget runs from `failingSince`) or a block. */
  async recordFailure(emitterKey: string, f: FailureRecord): Promise<void> {
    await this.run(failureUpdate(this.t, emitterKey, f));
  }

  /**
   * Records that the emitter's failure episode ended without an answer from the destination: a
   * pass reached the end of its events with nothing stuck (the events it was failing on were
   * dead-lettered). `lastFailureAt` is the pass's last failed attempt, if it made any.
   */
  async recordEpisodeOver(emitterKey: string, at: Date, lastFailureAt: Date | null): Promise<void> {
    const set: Record<string, Expr> = { ...EPISODE_OVER, last_failure_at: coalesce(timestamp(lastFailureAt), ref('last_failure_at')), updated_at: timestamp(at) };
    await this.run(update(this.t.delivery_health, set, eq(ref('emitter_key'), param(emitterKey))));
  }

  /**
   * The emitter's last success, committed by a page whose commit left the record alone
   * (activation/progress-writes.ts); nothing else: a failure recorded after it stands.
   */
  async recordSuccess(emitterKey: string, at: Date): Promise<void> {
    await this.run(update(this.t.delivery_health, { last_success_at: timestamp(at) }, eq(ref('emitter_key'), param(emitterKey))));
  }

  /** Starts the retry budget as soon as a failure happens, so a crash before the run's end does not restart it. */
  async startFailing(emitterKey: string, since: Date): Promise<void> {
    await this.run(
      update(this.t.delivery_health, { failing_since: coalesce(ref('failing_since'), timestamp(since)), updated_at: timestamp(since) }, eq(ref('emitter_key'), param(emitterKey))),
    );
  }

  /**
   * The health of each emitter at `now`: its record, events waiting after its cursor (for an
   * emitter not started yet, those its first delivery would send), the oldest one's age, and its
   * dead letters not replayed. `createdAt` is when the emitter's current incarnation was applied.
   */
  async emitters(list: readonly { emitter: EventEmitter; createdAt: string | null }[], now: Date): Promise<EmitterHealth[]> {
    const records = new Map((await this.records()).map((r) => [r.emitterKey, r]));
    const dead = await this.deadLetterCounts();
    const backlogs = await this.backlogs(list);
    const toCome = await this.snapshotsToCome(list.map((x) => x.emitter));
    const out: EmitterHealth[] = [];
    for (const [i, { emitter }] of list.entries()) {
      const backlog = backlogs[i]!;
      const record = records.get(emitter.key) ?? emptyRecord(emitter);
      const waitingForCompute = toCome.has(emitter.key) ? { audienceKey: emitter.audience, entityPath: entityPathOf(emitter) } : null;
      const state = record.blockedReason
        ? 'blocked'
        : record.failingSince && backlog.pending > 0
          ? 'retrying'
          : backlog.pending > 0
            ? 'pending'
            : waitingForCompute
              ? 'waiting_for_compute'
              : 'up_to_date';
      const oldest = backlog.oldest === null ? null : Date.parse(backlog.oldest);
      out.push({
        ...record,
        state,
        waitingForCompute: state === 'waiting_for_compute' ? waitingForCompute : null,
        pending: backlog.pending,
        oldestPendingAt: backlog.oldest,
        lagSeconds: oldest === null ? null : Math.max(0, Math.round((now.getTime() - oldest) / 1000)),
        deadLetters: dead.get(emitter.key) ?? 0,
      });
    }
    return out;
  }

  /**
   * The events each emitter has yet to send, in the order of `list`: after its cursor, the rest of
   * its backfill with the outbox (for an emitter not started yet, what its first delivery would
   * send). What `linked status` shows as pending and the daemon's `linked_outbox_depth`.
   */
  async backlogs(list: readonly { emitter: EventEmitter; createdAt: string | null }[]): Promise<{ pending: number; oldest: string | null }[]> {
    if (list.length === 0) return [];
    const cursors = new CursorStore(this.wh, this.schema);
    const storedCursors = await cursors.readAll();
    const out: { pending: number; oldest: string | null }[] = [];
    for (const { emitter, createdAt } of list) {
      const stored = storedCursors.get(emitter.key);
      const current = stored !== undefined && (createdAt === null || stored.emitterCreatedAt === createdAt);
      out.push(current ? await this.backlog(emitter, stored) : await this.backlogOfNew(emitter, cursors, createdAt));
    }
    return out;
  }

  /**
   * The emitters sending for current members or entities whose snapshot is still to come: the
   * audience has no Live run (its first run records the members), or an entity emitter's path is
   * not among those the audience's compute matches yet (its next run begins it). Two reads for all
   * the emitters, none per emitter.
   */
  private async snapshotsToCome(emitters: readonly EventEmitter[]): Promise<Set<string>> {
    const sending = emitters.filter(sendsForCurrent);
    if (sending.length === 0) return new Set();
    const computed = await new RunStore(this.wh, this.schema).withSnapshot([...new Set(sending.map((e) => e.audience))]);
    const entityAudiences = [...new Set(sending.filter((e) => entityPathOf(e) !== null && computed.has(e.audience)).map((e) => e.audience))];
    const tracked = await new SnapshotStore(this.wh, this.schema).trackedPaths(entityAudiences);
    const toCome = (e: EventEmitter) => {
      const path = entityPathOf(e);
      return !computed.has(e.audience) || (path !== null && !tracked.get(e.audience)?.has(path));
    };
    return new Set(sending.filter(toCome).map((e) => e.key));
  }

  private async records(where?: Expr): Promise<HealthRecord[]> {
    const { rows } = await this.run(select(Object.fromEntries(COLUMNS.map((c) => [c, ref(c)])), { from: stateTable(this.t.delivery_health), where }));
    const g = this.get;
    return rows.map((r) => currentError({
      emitterKey: String(g(r, 'emitter_key')),
      destinationKey: String(g(r, 'destination_key')),
      lastSuccessAt: isoTimestamp(g(r, 'last_success_at')),
      lastFailureAt: isoTimestamp(g(r, 'last_failure_at')),
      consecutiveFailures: numberOf(g(r, 'consecutive_failures')),
      failingSince: isoTimestamp(g(r, 'failing_since')),
      blockedReason: textOrNull(g(r, 'blocked_reason')),
      blockedSince: isoTimestamp(g(r, 'blocked_since')),
      lastError: textOrNull(g(r, 'last_error')),
      lastHttpStatus: g(r, 'last_http_status') === null || g(r, 'last_http_status') === undefined ? null : Number(g(r, 'last_http_status')),
    }));
  }

  private async deadLetterCounts(): Promise<Map<string, number>> {
    const { rows } = await this.run(
      select({ emitter_key: ref('emitter_key'), n: countStar }, { from: stateTable(this.t.dead_letters), where: isNull(ref('replayed_at')), groupBy: [ref('emitter_key')] }),
    );
    return new Map(rows.map((r) => [String(this.get(r, 'emitter_key')), numberOf(this.get(r, 'n'))]));
  }

  /** Events after the cursor: the rest of the backfill, then the outbox; the oldest one's commit time. */
  private async backlog(emitter: EventEmitter, cursor: Cursor): Promise<{ pending: number; oldest: string | null }> {
    const { rows } = await this.run(
      select(
        { n: countStar, oldest: fn('MIN', sysCol('o', 'created_at')) },
        { from: stateTable(this.t.outbox, 'o'), where: and(compare('>', sysCol('o', 'id'), param(cursor.lastOutboxId)), outboxFilter(emitter, 'o')) },
      ),
    );
    let pending = rows[0] ? numberOf(this.get(rows[0], 'n')) : 0;
    let oldest = rows[0] ? isoTimestamp(this.get(rows[0], 'oldest')) : null;
    if (cursor.backfillDone < cursor.backfillTotal) {
      const b = await this.run(
        select(
          { n: countStar, oldest: fn('MIN', ref('created_at')) },
          { from: stateTable(this.t.delivery_backfill), where: and(eq(ref('emitter_key'), param(emitter.key)), compare('>', ref('seq'), param(cursor.backfillDone))) },
        ),
      );
      pending += b.rows[0] ? numberOf(this.get(b.rows[0], 'n')) : 0;
      const bOldest = b.rows[0] ? isoTimestamp(this.get(b.rows[0], 'oldest')) : null;
      if (bOldest !== null && (oldest === null || bOldest < oldest)) oldest = bOldest;
    }
    return { pending, oldest };
  }

  /** What an emitter not started yet would send: the outbox after where it would start, and its backfill (stamped now). */
  private async backlogOfNew(emitter: EventEmitter, cursors: CursorStore, createdAt: string | null): Promise<{ pending: number; oldest: string | null }> {
    const fromOutbox = await this.backlog(emitter, await cursors.planned(emitter, createdAt));
    if (!sendsForCurrent(emitter)) return fromOutbox;
    const backfill = await new OutboxReader(this.wh, this.schema).countBackfill(emitter);
    return { pending: fromOutbox.pending + backfill, oldest: fromOutbox.oldest };
  }
}

/**
 * The record with its error only while it is current: a success after the last failure ended it.
 * A success clears the error as it commits; a record written before it did still holds one.
 */
function currentError(r: HealthRecord): HealthRecord {
  const over = r.lastSuccessAt !== null && (r.lastFailureAt === null || r.lastFailureAt < r.lastSuccessAt);
  return over && (r.lastError !== null || r.lastHttpStatus !== null) ? { ...r, lastError: null, lastHttpStatus: null } : r;
}

function emptyRecord(emitter: EventEmitter): HealthRecord {
  return {
    emitterKey: emitter.key,
    destinationKey: emitter.destination,
    lastSuccessAt: null,
    lastFailureAt: null,
    consecutiveFailures: 0,
    failingSince: null,
    blockedReason: null,
    blockedSince: null,
    lastError: null,
    lastHttpStatus: null,
  };
}
