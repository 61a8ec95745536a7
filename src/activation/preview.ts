import { randomUUID } from 'node:crypto';
import { NULL, cast, eq, param, select, table, type Expr } from '../dialect/ast.js';
import { systemName } from '../dialect/dialect.js';
import { kindsOf, sendsForCurrent } from '../state/delivery/selection.js';
import { SEND_FOR_CURRENT_TRIGGERS } from '../model/emitter.js';
import type { Cursor, SourceRow } from '../state/delivery/types.js';
import { execute } from '../warehouse/execute.js';
import type { Warehouse } from '../warehouse/types.js';
import { buildEvent, buildPage, type BuiltPage, type SegmentEvent } from './build-event.js';
import { adapterOf } from './destinations/index.js';
import { findEmitter, resolveEmitter, type ActivationModel, type ResolvedEmitter } from './emitter-context.js';
import { chainKey, emptyEnrichment, LINK } from './enrich/fetch.js';
import { PathJoins } from './enrich/joins.js';
import { enrichPage } from './enrich/page.js';
import { asText } from './enrich/queries.js';
import type { EntityColumns } from './enrich/plan.js';
import { mapEvent } from './map.js';
import { cursorIsCurrent, EmitterReader } from './read.js';
import { ActionRunner, type ResponseInfo } from './send/runner.js';
import { serialized } from './serial.js';

export interface PreviewedEvent {
  event: SegmentEvent;
  /** The action's payload after the mapping (what the request carries for this event). */
  mapped: Record<string, unknown>;
  bytes: number;
}

export interface EventsPreview {
  emitterKey: string;
  destinationKey: string;
  action: string;
  /** Whether the emitter has started delivering (a cursor exists). */
  started: boolean;
  /** Events the next delivery would send (backfill included). */
  pending: number;
  events: PreviewedEvent[];
}

/** What the next delivery of an emitter would send, built from the warehouse, without sending or writing. */
export async function previewEvents(wh: Warehouse, schema: string, model: ActivationModel, emitterKey: string, limit = 10): Promise<EventsPreview> {
  const serial = serialized(wh);
  const read = new EmitterReader(serial, schema);
  const r = resolveEmitter(model, findEmitter(model, emitterKey));
  const existing = await read.cursors.read(emitterKey);
  let cursor: Cursor;
  let pending: number;
  let rows: SourceRow[];
  if (cursorIsCurrent(existing, r.createdAt)) {
    cursor = existing;
    pending = await read.outbox.countPending(r.emitter, cursor);
    rows = await read.outbox.readPage(r.emitter, cursor, limit);
  } else {
    // Not started: what its first delivery would send, the backfill read from the snapshot.
    cursor = await read.cursors.planned(r.emitter, r.createdAt);
    const backfill = await read.outbox.countBackfill(r.emitter);
    pending = backfill + (await read.outbox.countPending(r.emitter, cursor));
    rows =
      sendsForCurrent(r.emitter) && backfill > 0
        ? await read.outbox.snapshotRows(r.emitter, limit, new Date().toISOString())
        : await read.outbox.readPage(r.emitter, cursor, limit);
  }
  const page = await builtPage(serial, read, r, rows, cursor.backfillEpoch);
  const events = [...page.events, ...page.oversize]
    .sort((a, b) => a.row.id - b.row.id)
    .map((e) => ({ event: e.event, mapped: mapEvent(r.choice, e.event), bytes: e.bytes }));
  return { emitterKey, destinationKey: r.destination.key, action: r.choice.action, started: existing !== undefined, pending, events };
}

/** Rows built in memory as delivery builds them: enriched (keys bound), then one event each. */
async function builtPage(wh: Warehouse, read: EmitterReader, r: ResolvedEmitter, rows: SourceRow[], backfillEpoch: string): Promise<BuiltPage> {
  return buildPage(r, rows, await enrichPage(wh, read.outbox, r, rows), backfillEpoch);
}

export interface TestEventResult {
  emitterKey: string;
  destinationKey: string;
  action: string;
  /** `warehouse`: built from the user's rows; `example`: the user was not found, example values. */
  source: 'warehouse' | 'example';
  /**
   * For a trigger that sends for what matches (entered, membership changed, entity added), from the
   * warehouse: whether the event is of a member (and an entity that matched them) at the audience's
   * last run; false when the user is not one there, or it has not run, and their own rows were used.
   */
  fromLastRun?: boolean;
  event: SegmentEvent;
  mapped: Record<string, unknown>;
  /** Header names the request carries; values are never shown (they hold secrets). */
  headerNames: string[];
  sent: boolean;
  response?: { status: number | null; body: string; outcome: string };
}

/**
 * The seed's "Send test event": the enriched event for one user (real warehouse data; example
 * values when the user is not found), its mapped payload, and, unless `send` is false, the
 * destination's answer. Test events carry a fresh messageId, so destinations never dedupe them
 * against real ones.
 */
export async function testEvent(
  wh: Warehouse,
  schema: string,
  model: ActivationModel,
  emitterKey: string,
  opts: { userId?: string; send?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<TestEventResult> {
  const serial = serialized(wh);
  const r = resolveEmitter(model, findEmitter(model, emitterKey));
  const read = new EmitterReader(serial, schema);
  const current = await currentRow(read, r, opts.userId);
  const row = current ?? (await sampleRow(serial, r, opts.userId));
  let event: SegmentEvent;
  let source: TestEventResult['source'];
  if (row) {
    const page = await builtPage(serial, read, r, [row], 'test');
    event = (page.events[0] ?? page.oversize[0]).event;
    source = 'warehouse';
  } else {
    event = exampleEvent(r, opts.userId ?? 'test-user-id');
    source = 'example';
  }
  event = { ...event, messageId: `test-${randomUUID()}` };
  const mapped = mapEvent(r.choice, event);
  const fromLastRun = row && SEND_FOR_CURRENT_TRIGGERS.includes(r.emitter.trigger) ? { fromLastRun: current !== undefined } : {};
  const result: TestEventResult = { emitterKey, destinationKey: r.destination.key, action: r.choice.action, source, ...fromLastRun, event, mapped, headerNames: [], sent: false };
  if (opts.send === false) return result;
  return { ...result, ...(await sendTestEvent(r, event, opts)), sent: true };
}

/** Sends the test event alone; the destination's answer, and the names (never the values) of the headers sent. */
async function sendTestEvent(
  r: ResolvedEmitter,
  event: SegmentEvent,
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Pick<TestEventResult, 'headerNames' | 'response'>> {
  const adapter = adapterOf(r.destination.type);
  const settings = adapter.settings(r.destination, opts.env);
  const extra = (adapter.definition.extendRequest?.({ settings }) ?? {}) as { headers?: Record<string, string> };
  let response: ResponseInfo | undefined;
  const outcome = await new ActionRunner().send(r.destination, r.choice, [event], {
    timeoutMs: opts.timeoutMs ?? 10_000,
    env: opts.env,
    onResponse: (info) => (response = info),
  });
  const described =
    outcome.kind === 'done'
      ? outcome.events[0].kind === 'sent'
        ? 'accepted'
        : `refused: ${(outcome.events[0] as { reason: string }).reason}`
      : outcome.kind === 'rejected'
        ? 'refused'
        : outcome.kind === 'blocked'
          ? `refused the credentials: ${outcome.reason}`
          : `failed: ${outcome.reason}`;
  return {
    headerNames: Object.keys(extra.headers ?? {}),
    response: { status: response?.status ?? (outcome.kind === 'retry' ? outcome.status : null), body: response?.body ?? '', outcome: described },
  };
}

/**
 * For a trigger that sends for what matches now (entered, membership changed, entity added): a
 * member (the user, when given) and, for an entity trigger, an entity that matched them, from the
 * audience's last run, so the test event is one the emitter could send. Undefined before a run
 * wrote a snapshot, or when the user is not in it.
 */
async function currentRow(read: EmitterReader, r: ResolvedEmitter, userId: string | undefined): Promise<SourceRow | undefined> {
  if (!SEND_FOR_CURRENT_TRIGGERS.includes(r.emitter.trigger)) return undefined;
  const [row] = await read.outbox.snapshotRows(r.emitter, 1, new Date().toISOString(), userId);
  return row && { ...row, source: 'outbox', id: 0, kind: kindsOf(r.emitter.trigger)[0] };
}

/** A source row for the test event: the user (or any profile) and, for entity triggers, one of its related entities. */
async function sampleRow(wh: Warehouse, r: ResolvedEmitter, userId: string | undefined): Promise<SourceRow | undefined> {
  const profile = r.graph.profile;
  const id = asText('p', profile.id);
  const chain = r.plan.chain;
  const path = chain ? new PathJoins(wh.dialect, r.graph, r.plan.castJoins).fromProfile('p', chain.map((c) => c.relationship)) : undefined;
  const entityId: Expr = chain && path ? asText(path.aliases[path.aliases.length - 1], chain[chain.length - 1].entity.primaryKey) : cast(NULL, 'VARCHAR');
  const { rows } = await execute(
    wh,
    select({ pid: id, eid: entityId }, { from: table(profile.table, 'p'), joins: path?.joins, where: userId !== undefined ? eq(id, param(userId)) : undefined, limit: 1 }),
  );
  const found = rows[0];
  if (!found) return undefined;
  const eid = found[systemName(wh.dialect, 'eid')];
  return {
    source: 'outbox',
    id: 0,
    audienceKey: r.emitter.audience,
    kind: kindsOf(r.emitter.trigger)[0],
    profileId: String(found[systemName(wh.dialect, 'pid')]),
    entityPath: chain ? chain.map((c) => c.relationship).join('.') : null,
    entityId: eid === null || eid === undefined ? null : String(eid),
    createdAt: new Date().toISOString(),
  };
}

/** The event with example values in place of warehouse data (the seed: "a table with event fields and example values"). */
function exampleEvent(r: ResolvedEmitter, userId: string): SegmentEvent {
  const example = (name: string) => `example ${name}`;
  const data = emptyEnrichment();
  data.traits.set(userId, Object.fromEntries(r.plan.traits.map((t) => [t, example(t)])));
  const entityId = r.plan.chain ? example(r.plan.chain[r.plan.chain.length - 1].entity.primaryKey) : null;
  const record = (e: EntityColumns): Record<string, unknown> => {
    const rec: Record<string, unknown> = Object.fromEntries(e.columns.map((c) => [c, example(c)]));
    if (e.junction) rec[LINK] = Object.fromEntries(e.junction.columns.map((c) => [c, example(c)]));
    return rec;
  };
  if (r.plan.chain && entityId !== null) {
    const chain = r.plan.chain.map(record);
    data.chains.set(chainKey(userId, entityId), chain);
    const link = chain[chain.length - 1][LINK] as Record<string, unknown> | undefined;
    if (link) data.links.set(chainKey(userId, entityId), [link]);
  }
  for (const o of r.plan.others) {
    const anchor = o.anchor === 'profile' ? userId : entityId;
    if (anchor !== null) data.others.set(o.relationship, new Map([[anchor, [record(o)]]]));
  }
  const row: SourceRow = {
    source: 'outbox',
    id: 0,
    audienceKey: r.emitter.audience,
    kind: kindsOf(r.emitter.trigger)[0],
    profileId: userId,
    entityPath: r.plan.chain ? r.plan.chain.map((c) => c.relationship).join('.') : null,
    entityId,
    createdAt: new Date().toISOString(),
  };
  return buildEvent({ emitter: r.emitter, plan: r.plan, namespace: r.namespace, backfillEpoch: 'test' }, row, data);
}

