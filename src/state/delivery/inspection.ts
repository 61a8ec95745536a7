import { and, compare, eq, fn, inList, inQuery, isNull, lit, notInList, or, param, ref, select, stateTable, sysCol, tuple, unionAll, type Expr, type Query } from '../../dialect/ast.js';
import { isoTimestamp } from '../canonical.js';
import { DeliveryStore, numberOf, textOrNull } from './columns.js';

export interface DeadLetterRow {
  id: number;
  emitterKey: string;
  destinationKey: string;
  runId: string;
  messageId: string;
  userId: string;
  eventName: string;
  reasonCode: string;
  reason: string;
  httpStatus: number | null;
  responseBody: string | null;
  createdAt: string | null;
  replayCount: number;
  replayedAt: string | null;
}

export interface DeadLetterFilter {
  ids?: number[];
  emitter?: string;
  /** Emitters left out: another stack's (otherStacksKeys). */
  notEmitters?: readonly string[];
  /** Include dead letters already replayed successfully. */
  includeReplayed?: boolean;
  limit?: number;
}

/** One event of the delivery record: who got what, when. */
export interface DeliveryRecord {
  deliveredAt: string | null;
  runId: string;
  emitterKey: string;
  destinationKey: string;
  userId: string;
  event: string;
  kind: string;
  entityId: string | null;
  messageId: string;
  status: string;
}

export interface DeliveryFilter {
  userId?: string;
  event?: string;
  emitter?: string;
  /** Emitters left out: another stack's (otherStacksKeys). */
  notEmitters?: readonly string[];
  limit?: number;
}

export interface DeliveryRunFilter {
  emitter?: string;
  /** Emitters left out: another stack's (otherStacksKeys). */
  notEmitters?: readonly string[];
  computeRun?: string;
  limit?: number;
}

export interface DeliveryRunRow {
  runId: string;
  emitterKey: string;
  destinationKey: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  sent: number;
  failed: number;
  deadLettered: number;
  lastError: string | null;
}

/** A newer event of the same user (and entity) and emitter that was delivered after a dead letter's event. */
export interface Superseding {
  messageId: string;
  deliveredAt: string | null;
}

/** Reads of the delivery record for people: dead letters, deliveries, delivery runs. */
export class DeliveryInspection extends DeliveryStore {
  /**
   * The dead letters (of `ids`) superseded by a newer event of the same user and emitter that was
   * delivered (sent, or replayed): for an entity trigger, of the same entity. Newer means later in
   * the emitter's order: a later outbox row, or any outbox row after a backfilled one. Replaying a
   * superseded event would leave the destination with the older state.
   */
  async superseded(ids: readonly number[]): Promise<Map<number, Superseding>> {
    const out = new Map<number, Superseding>();
    if (ids.length === 0) return out;
    const d = (c: string) => sysCol('d', c);
    const l = (c: string) => sysCol('l', c);
    const x = (c: string) => sysCol('x', c);
    const { rows } = await this.run(
      select(
        { id: d('id'), message_id: fn('MAX', l('message_id')), delivered_at: fn('MAX', l('delivered_at')) },
        {
          from: stateTable(this.t.dead_letters, 'd'),
          joins: [
            {
              // The dead letter's own line in the record: it carries the entity.
              from: stateTable(this.t.delivery_events, 'x'),
              on: and(eq(x('status'), lit('dead_lettered')), eq(x('run_id'), d('run_id')), eq(x('emitter_key'), d('emitter_key')), eq(x('source'), d('source')), eq(x('source_id'), d('source_id'))),
            },
            { from: stateTable(this.t.delivery_log, 'l'), on: and(eq(l('emitter_key'), d('emitter_key')), eq(l('user_id'), d('user_id'))) },
          ],
          where: and(
            inList(d('id'), ids.map((id) => param(id))),
            eq(l('status'), lit('sent')),
            or(isNull(x('entity_id')), eq(l('entity_id'), x('entity_id'))),
            or(and(eq(l('source'), d('source')), compare('>', l('source_id'), d('source_id'))), and(eq(d('source'), lit('backfill')), eq(l('source'), lit('outbox')))),
          ),
          groupBy: [d('id')],
        },
      ),
    );
    for (const r of rows) out.set(Number(this.get(r, 'id')), { messageId: String(this.get(r, 'message_id')), deliveredAt: isoTimestamp(this.get(r, 'delivered_at')) });
    return out;
  }

  /** Dead letters, newest first; unreplayed only unless asked. */
  async deadLetters(f: DeadLetterFilter = {}): Promise<DeadLetterRow[]> {
    const where: Expr[] = [];
    if (!f.includeReplayed) where.push(isNull(ref('replayed_at')));
    if (f.emitter) where.push(eq(ref('emitter_key'), param(f.emitter)));
    if (f.notEmitters?.length) where.push(notInList(ref('emitter_key'), f.notEmitters.map((k) => param(k))));
    if (f.ids && f.ids.length > 0) where.push(inList(ref('id'), f.ids.map((id) => param(id))));
    const columns = [
      'id', 'emitter_key', 'destination_key', 'run_id', 'message_id', 'user_id', 'event_name', 'reason_code', 'reason', 'http_status', 'response_body',
      'created_at', 'replay_count', 'replayed_at',
    ];
    const { rows } = await this.run(
      select(Object.fromEntries(columns.map((c) => [c, ref(c)])), {
        from: stateTable(this.t.dead_letters),
        where: where.length > 0 ? and(...where) : undefined,
        orderBy: [{ expr: ref('id'), desc: true }],
        limit: f.limit !== undefined ? Math.max(1, Math.floor(f.limit)) : undefined,
      }),
    );
    const g = this.get;
    return rows.map((r) => ({
      id: Number(g(r, 'id')),
      emitterKey: String(g(r, 'emitter_key')),
      destinationKey: String(g(r, 'destination_key')),
      runId: String(g(r, 'run_id')),
      messageId: String(g(r, 'message_id')),
      userId: String(g(r, 'user_id')),
      eventName: String(g(r, 'event_name')),
      reasonCode: String(g(r, 'reason_code')),
      reason: String(g(r, 'reason')),
      httpStatus: g(r, 'http_status') === null || g(r, 'http_status') === undefined ? null : Number(g(r, 'http_status')),
      responseBody: (g(r, 'response_body') as string | null) ?? null,
      createdAt: isoTimestamp(g(r, 'created_at')),
      replayCount: Number(g(r, 'replay_count')),
      replayedAt: isoTimestamp(g(r, 'replayed_at')),
    }));
  }

  /** The events of dead letters (as first built), by id. */
  async deadLetterEvents(ids: readonly number[]): Promise<Map<number, unknown>> {
    const out = new Map<number, unknown>();
    if (ids.length === 0) return out;
    const { rows } = await this.run(
      select({ id: ref('id'), event: ref('event') }, { from: stateTable(this.t.dead_letters), where: inList(ref('id'), ids.map((id) => param(id))) }),
    );
    for (const r of rows) out.set(Number(this.get(r, 'id')), JSON.parse(String(this.get(r, 'event'))));
    return out;
  }

  /** What was sent to whom (the seed's Step 3: search by user id or event name), newest first. */
  async deliveries(f: DeliveryFilter = {}): Promise<DeliveryRecord[]> {
    const where: Expr[] = [];
    if (f.userId !== undefined) where.push(eq(ref('user_id'), param(f.userId)));
    if (f.event !== undefined) where.push(eq(ref('event'), param(f.event)));
    if (f.emitter !== undefined) where.push(eq(ref('emitter_key'), param(f.emitter)));
    if (f.notEmitters?.length) where.push(notInList(ref('emitter_key'), f.notEmitters.map((k) => param(k))));
    const columns = ['delivered_at', 'run_id', 'emitter_key', 'destination_key', 'user_id', 'event', 'kind', 'entity_id', 'message_id', 'status'];
    const { rows } = await this.run(
      select(Object.fromEntries(columns.map((c) => [c, ref(c)])), {
        from: stateTable(this.t.delivery_log),
        where: where.length > 0 ? and(...where) : undefined,
        orderBy: [
          { expr: ref('delivered_at'), desc: true },
          { expr: ref('source_id'), desc: true },
        ],
        limit: Math.max(1, Math.floor(f.limit ?? 50)),
      }),
    );
    const g = this.get;
    return rows.map((r) => ({
      deliveredAt: isoTimestamp(g(r, 'delivered_at')),
      runId: String(g(r, 'run_id')),
      emitterKey: String(g(r, 'emitter_key')),
      destinationKey: String(g(r, 'destination_key')),
      userId: String(g(r, 'user_id')),
      event: String(g(r, 'event')),
      kind: String(g(r, 'kind')),
      entityId: textOrNull(g(r, 'entity_id')),
      messageId: String(g(r, 'message_id')),
      status: String(g(r, 'status')),
    }));
  }

  /** The delivery runs: per run and emitter, newest first; with `computeRun`, those that delivered events of that compute run. */
  async runs(f: DeliveryRunFilter = {}): Promise<DeliveryRunRow[]> {
    const columns = ['run_id', 'emitter_key', 'destination_key', 'status', 'started_at', 'finished_at', 'sent', 'failed', 'dead_lettered', 'last_error'];
    const where: Expr[] = [];
    if (f.emitter) where.push(eq(ref('emitter_key'), param(f.emitter)));
    if (f.notEmitters?.length) where.push(notInList(ref('emitter_key'), f.notEmitters.map((k) => param(k))));
    if (f.computeRun !== undefined) where.push(inQuery(tuple(ref('run_id'), ref('emitter_key')), await this.deliveriesOf(f.computeRun)));
    const { rows } = await this.run(
      select(Object.fromEntries(columns.map((c) => [c, ref(c)])), {
        from: stateTable(this.t.delivery_runs),
        where: where.length > 0 ? and(...where) : undefined,
        orderBy: [{ expr: ref('started_at'), desc: true }],
        limit: Math.max(1, Math.floor(f.limit ?? 20)),
      }),
    );
    const g = this.get;
    return rows.map((r) => ({
      runId: String(g(r, 'run_id')),
      emitterKey: String(g(r, 'emitter_key')),
      destinationKey: String(g(r, 'destination_key')),
      status: String(g(r, 'status')),
      startedAt: isoTimestamp(g(r, 'started_at')),
      finishedAt: isoTimestamp(g(r, 'finished_at')),
      sent: Number(g(r, 'sent')),
      failed: Number(g(r, 'failed')),
      deadLettered: Number(g(r, 'dead_lettered')),
      lastError: textOrNull(g(r, 'last_error')),
    }));
  }

  /**
   * The delivery runs (run id, emitter) that delivered events of a compute run, sent or
   * dead-lettered: its outbox rows, as the delivery record expands each page's range (only the
   * rows the page's emitter selected), and backfill events copied from its membership.
   */
  private async deliveriesOf(computeRunId: string): Promise<Query> {
    const ofRun = eq(ref('run_id'), param(computeRunId));
    const backfill = select(
      { run_id: ref('run_id'), emitter_key: ref('emitter_key') },
      { from: stateTable(this.t.delivery_events), where: and(eq(ref('source'), lit('backfill')), eq(ref('compute_run_id'), param(computeRunId))) },
    );
    // The run's first and last outbox ids bound the pages the record expands: the warehouse pushes
    // a range into the view, where the run's ids alone would have it expand every page.
    const { rows } = await this.run(select({ lo: fn('MIN', ref('id')), hi: fn('MAX', ref('id')) }, { from: stateTable(this.t.outbox), where: ofRun }));
    const [lo, hi] = rows[0] ? [this.get(rows[0], 'lo'), this.get(rows[0], 'hi')] : [];
    if (lo === null || lo === undefined) return backfill;
    const l = (c: string) => sysCol('l', c);
    const sent = select(
      { run_id: l('run_id'), emitter_key: l('emitter_key') },
      {
        from: stateTable(this.t.delivery_log, 'l'),
        where: and(
          eq(l('source'), lit('outbox')),
          compare('>=', l('source_id'), param(numberOf(lo))),
          compare('<=', l('source_id'), param(numberOf(hi))),
          inQuery(l('source_id'), select({ id: ref('id') }, { from: stateTable(this.t.outbox), where: ofRun })),
        ),
      },
    );
    return unionAll(sent, backfill);
  }
}
