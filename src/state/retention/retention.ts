import {
  and,
  compare,
  countStar,
  deleteFrom,
  derived,
  eq,
  fn,
  inList,
  inQuery,
  isNotNull,
  lit,
  not,
  notInQuery,
  or,
  over,
  param,
  ref,
  select,
  stateTable,
  sysCol,
  coalesce,
  tuple,
  type Expr,
  type Select,
} from '../../dialect/ast.js';
import type { StateTableName } from '../../dialect/ast.js';
import type { EventEmitter } from '../../model/emitter.js';
import { groupApplied, readAppliedRows } from '../apply/resources.js';
import type { Warehouse } from '../../warehouse/types.js';
import { DeliveryStore, numberOf } from '../delivery/columns.js';

/** What one collection removes, per area. */
export interface RetentionCounts {
  /** Delivered outbox rows compacted away (a key's superseded changes, and exits of non-members). */
  outboxRows: number;
  /** Backfill rows already delivered. */
  backfillRows: number;
  deliveryPages: number;
  deliveryEvents: number;
  deliveryRuns: number;
  /** Replayed dead letters (never one that is still waiting). */
  replayedDeadLetters: number;
  runs: number;
  computeRequests: number;
}

export interface RetentionOptions {
  /** Records older than this are removed (see each area's rule). */
  retentionMs: number;
  now?: Date;
  /** Count only. */
  dryRun?: boolean;
}

/** The default retention: the delivery log, run history and replayed dead letters of the last 30 days. */
export const DEFAULT_RETENTION_DAYS = 30;

/**
 * Retention of the state (what `linked gc` and the daemon run): removes what no promise needs
 * once older than the retention, in one transaction per collection.
 *
 * - outbox: a delivered row (at or before every cursor of its audience's emitters) older than the
 *   retention is dropped when a newer old change of the same key (profile, entity) exists, or when
 *   it is an exit/removal with none after it. What stays replays to the same snapshot
 *   (`resume --rebuild-snapshot`): each current member keeps its latest entered row.
 * - delivery_pages, delivery_events, delivery_runs: older than the retention.
 * - delivery_backfill: rows its emitter has delivered, older than the retention.
 * - dead_letters: replayed ones older than the retention; unreplayed dead letters are never removed.
 * - runs: older than the retention, except each audience's last run and the runs kept outbox rows
 *   and entity paths name (the rebuild joins them).
 * - compute_requests: served ones older than the retention.
 */
export class RetentionStore extends DeliveryStore {
  /**
   * `unreadableEmitters`: keys of applied emitters whose stored spec cannot be read. Their audience
   * is unknown, so each holds back every audience's rows after its cursor (nothing it may still
   * owe is compacted before it is applied again and delivers).
   */
  async collect(emitters: readonly EventEmitter[], options: RetentionOptions, unreadableEmitters: readonly string[] = []): Promise<RetentionCounts> {
    const cutoff = new Date((options.now ?? new Date()).getTime() - options.retentionMs);
    return this.wh.transaction(async (tx) => {
      const s = this.in(tx);
      const pending = await s.undelivered(emitters, unreadableEmitters);
      const step = (table: StateTableName, victims: Select) => s.removeIds(table, victims, options.dryRun);
      const old = (column: string) => compare('<', ref(column), param(cutoff));
      const compactable = s.compactableOutbox(pending, cutoff);
      const counts: RetentionCounts = {
        outboxRows: await step(this.t.outbox, compactable),
        backfillRows: await s.removeWhere(this.t.delivery_backfill, and(old('created_at'), s.deliveredBackfill()), options.dryRun),
        deliveryPages: await s.removeWhere(this.t.delivery_pages, old('delivered_at'), options.dryRun),
        // After the pages: a dead letter's record stays while a page of its run does, or the
        // delivery log would read the event as sent by that page.
        deliveryEvents: await s.removeWhere(this.t.delivery_events, and(old('delivered_at'), s.withoutPages(cutoff)), options.dryRun),
        deliveryRuns: await s.removeWhere(this.t.delivery_runs, and(isNotNull(ref('finished_at')), old('finished_at')), options.dryRun),
        replayedDeadLetters: await s.removeWhere(this.t.dead_letters, and(isNotNull(ref('replayed_at')), old('replayed_at')), options.dryRun),
        // A dry run leaves the compactable outbox rows in place: the runs only they name count as
        // removed, as the collection removes them once those rows are gone.
        runs: await s.removeWhere(this.t.runs, and(isNotNull(ref('ended_at')), old('ended_at'), s.unreferencedRun(options.dryRun ? compactable : undefined)), options.dryRun),
        computeRequests: await s.removeWhere(this.t.compute_requests, and(isNotNull(ref('picked_at')), old('picked_at')), options.dryRun),
      };
      return counts;
    });
  }

  /** DuckDB: writes the WAL into the file, so freed blocks are reused (the file does not shrink). */
  async checkpoint(): Promise<void> {
    if (this.wh.dialect === 'duckdb') await this.wh.query('CHECKPOINT');
  }

  /** Per audience with emitters, the outbox ids some emitter has not yet read past; of every audience, those after an unreadable emitter's cursor. */
  private async undelivered(emitters: readonly EventEmitter[], unreadableEmitters: readonly string[]): Promise<Expr> {
    const { rows } = await this.run(select({ emitter_key: ref('emitter_key'), last_outbox_id: ref('last_outbox_id') }, { from: stateTable(this.t.delivery_cursors) }));
    const cursors = new Map(rows.map((r) => [String(this.get(r, 'emitter_key')), numberOf(this.get(r, 'last_outbox_id'))]));
    const watermark = new Map<string, number>();
    for (const e of emitters) {
      // An emitter that has not delivered yet holds its audience's rows back until it has.
      const at = cursors.get(e.key) ?? 0;
      watermark.set(e.audience, Math.min(watermark.get(e.audience) ?? Number.POSITIVE_INFINITY, at));
    }
    const anyAudience = unreadableEmitters.length === 0 ? [] : [compare('>', sysCol('o', 'id'), param(Math.min(...unreadableEmitters.map((k) => cursors.get(k) ?? 0))))];
    return or(...[...watermark].map(([audience, id]) => and(eq(sysCol('o', 'audience_key'), param(audience)), compare('>', sysCol('o', 'id'), param(id)))), ...anyAudience);
  }

  /** The outbox ids compaction drops (see the class comment). */
  private compactableOutbox(undelivered: Expr, cutoff: Date): Select {
    const o = (c: string) => sysCol('o', c);
    const latest = over(fn('ROW_NUMBER'), {
      partitionBy: [o('audience_key'), o('profile_id'), coalesce(o('entity_path'), lit('')), coalesce(o('entity_id'), lit(''))],
      orderBy: [{ expr: o('id'), desc: true }],
    });
    const old = select(
      { id: o('id'), kind: o('kind'), latest },
      { from: stateTable(this.t.outbox, 'o'), where: and(compare('<', o('created_at'), param(cutoff)), not(undelivered)) },
    );
    const w = (c: string) => sysCol('w', c);
    return select(
      { id: w('id') },
      { from: derived(old, 'w'), where: or(compare('>', w('latest'), lit(1)), inList(w('kind'), [lit('exited'), lit('entity_removed')])) },
    );
  }

  /** Backfill rows at or before their emitter's delivered count. */
  private deliveredBackfill(): Expr {
    const c = (name: string) => sysCol('c', name);
    const done = select({ emitter_key: c('emitter_key') }, { from: stateTable(this.t.delivery_cursors, 'c'), where: compare('>=', c('backfill_done'), c('backfill_total')) });
    return inQuery(ref('emitter_key'), done);
  }

  /** Records of a run and emitter none of whose pages outlive the cutoff. */
  private withoutPages(cutoff: Date): Expr {
    const kept = select(
      { run_id: ref('run_id'), emitter_key: ref('emitter_key') },
      { from: stateTable(this.t.delivery_pages), where: compare('>=', ref('delivered_at'), param(cutoff)) },
    );
    return notInQuery(tuple(ref('run_id'), ref('emitter_key')), kept);
  }

  /**
   * Runs nothing points at: not an audience's last run, nor named by an outbox row (other than
   * the `goingOutbox` ids, rows this collection removes) or an entity path.
   */
  private unreferencedRun(goingOutbox?: Select): Expr {
    const named = (table: StateTableName, column: string, also?: Expr) =>
      select({ id: ref(column) }, { from: stateTable(table), where: also ? and(isNotNull(ref(column)), also) : isNotNull(ref(column)) });
    return and(
      notInQuery(ref('id'), named(this.t.audience_status, 'last_run_id')),
      notInQuery(ref('id'), named(this.t.outbox, 'run_id', goingOutbox && notInQuery(ref('id'), goingOutbox))),
      notInQuery(ref('id'), named(this.t.entity_paths, 'since_run_id')),
    );
  }

  private async countOf(query: Select): Promise<number> {
    const { rows } = await this.run(select({ n: countStar }, { from: derived(query, 'x') }));
    return numberOf(this.get(rows[0] ?? {}, 'n'));
  }

  private async removeIds(table: StateTableName, victims: Select, dryRun?: boolean): Promise<number> {
    const n = await this.countOf(victims);
    if (n > 0 && !dryRun) await this.run(deleteFrom(table, inQuery(ref('id'), victims)));
    return n;
  }

  private async removeWhere(table: StateTableName, where: Expr, dryRun?: boolean): Promise<number> {
    const n = await this.countOf(select({ one: lit(1) }, { from: stateTable(table), where }));
    if (n > 0 && !dryRun) await this.run(deleteFrom(table, where));
    return n;
  }
}

/**
 * One collection over the applied emitters (what the daemon calls every so many ticks, and
 * `linked gc` once). DuckDB: a CHECKPOINT after, so the freed blocks are reused.
 */
export async function collectGarbage(
  wh: Warehouse,
  schema: string,
  options: RetentionOptions,
): Promise<RetentionCounts> {
  // Every stack's emitters: a row is delivered only when all emitters of its audience read past it.
  // Read by kind: a state schema several stacks share holds a Data Graph per stack.
  const rows = await readAppliedRows(wh, schema, { kind: 'event_emitter' });
  const { emitters, unreadable } = groupApplied(rows.resources, rows.unreadable);
  const store = new RetentionStore(wh, schema);
  const counts = await store.collect(
    emitters,
    options,
    unreadable.filter((r) => r.kind === 'event_emitter').map((r) => r.key),
  );
  if (!options.dryRun) await store.checkpoint();
  return counts;
}
