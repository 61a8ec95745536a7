import { randomUUID } from 'node:crypto';
import { GraphIndex } from '../model/graph-index.js';
import { quoteIdent, quoteTable } from '../dialect/identifiers.js';
import type { Warehouse } from '../warehouse/types.js';
import { transformMapping } from './actions-core.js';
import { serialized } from './delivery.js';
import { adapterOf } from './destinations/index.js';
import { findEmitter, resolveEmitter, type ActivationModel, type ResolvedEmitter } from './emitter-context.js';
import type { EnrichmentData } from './enrichment.js';
import { buildEvent, type SegmentEvent } from './events.js';
import { asText, joinChain } from './join-path.js';
import { buildPage } from './page.js';
import { ActionRunner, type ResponseInfo } from './send.js';
import { kindsOf, type SourceRow } from './source.js';
import { activationTables, countBackfill, countPending, cursorIsCurrent, plannedCursor, readCursor, readPage, sendsForCurrent, type Cursor } from './store.js';

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
  const t = activationTables(wh, schema);
  const r = resolveEmitter(model, findEmitter(model, emitterKey));
  const existing = await readCursor(serial, t, emitterKey);
  let cursor: Cursor;
  let pending: number;
  let rows: SourceRow[];
  if (cursorIsCurrent(existing, r.createdAt)) {
    cursor = existing;
    pending = await countPending(serial, t, r.emitter, cursor);
    rows = await readPage(serial, t, r.emitter, cursor, limit);
  } else {
    // Not started: what its first delivery would send, the backfill read from the snapshot.
    cursor = await plannedCursor(serial, t, r.emitter, r.createdAt);
    const backfill = await countBackfill(serial, t, r.emitter);
    pending = backfill + (await countPending(serial, t, r.emitter, cursor));
    rows = sendsForCurrent(r.emitter) && backfill > 0 ? await snapshotRows(serial, t, r, limit) : await readPage(serial, t, r.emitter, cursor, limit);
  }
  const page = await buildPage(serial, t, r, rows, cursor.backfillEpoch);
  const events = [...page.events, ...page.oversize]
    .sort((a, b) => a.row.id - b.row.id)
    .map((e) => ({ event: e.event, mapped: transformMapping(r.choice.mapping, e.event), bytes: e.bytes }));
  return { emitterKey, destinationKey: r.destination.key, action: r.choice.action, started: existing !== undefined, pending, events };
}

async function snapshotRows(wh: Warehouse, t: ReturnType<typeof activationTables>, r: ResolvedEmitter, limit: number): Promise<SourceRow[]> {
  const entity = r.emitter.trigger === 'entity_added';
  const { rows } = await wh.query<Record<string, unknown>>(
    entity
      ? `SELECT profile_id, entity_path, entity_id, run_id FROM ${t.entityMatches} WHERE audience_key = ? AND entity_path = ? ORDER BY profile_id, entity_id LIMIT ${limit}`
      : `SELECT profile_id, run_id FROM ${t.membership} WHERE audience_key = ? ORDER BY profile_id LIMIT ${limit}`,
    entity ? [r.emitter.audience, (r.emitter.entityPath ?? []).join('.')] : [r.emitter.audience],
  );
  const now = new Date().toISOString();
  return rows.map((x, i) => ({
    source: 'backfill',
    id: i + 1,
    audienceKey: r.emitter.audience,
    kind: entity ? 'entity_added' : 'entered',
    profileId: String(x.profile_id),
    entityPath: entity ? String(x.entity_path) : null,
    entityId: entity ? String(x.entity_id) : null,
    createdAt: now,
  }));
}

export interface TestEventResult {
  emitterKey: string;
  destinationKey: string;
  action: string;
  /** `warehouse`: built from the user's rows; `example`: the user was not found, example values. */
  source: 'warehouse' | 'example';
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
  const t = activationTables(wh, schema);
  const r = resolveEmitter(model, findEmitter(model, emitterKey));
  const row = await sampleRow(serial, r, opts.userId);
  let event: SegmentEvent;
  let source: TestEventResult['source'];
  if (row) {
    const page = await buildPage(serial, t, r, [row], 'test');
    event = (page.events[0] ?? page.oversize[0]).event;
    source = 'warehouse';
  } else {
    event = exampleEvent(r, opts.userId ?? 'test-user-id');
    source = 'example';
  }
  event = { ...event, messageId: `test-${randomUUID()}` };
  const mapped = transformMapping(r.choice.mapping, event);
  const adapter = adapterOf(r.destination.type);
  const result: TestEventResult = {
    emitterKey,
    destinationKey: r.destination.key,
    action: r.choice.action,
    source,
    event,
    mapped,
    headerNames: [],
    sent: false,
  };
  if (opts.send === false) return result;
  const settings = adapter.settings(r.destination, opts.env);
  const extra = (adapter.definition.extendRequest?.({ settings }) ?? {}) as { headers?: Record<string, string> };
  result.headerNames = Object.keys(extra.headers ?? {});
  let response: ResponseInfo | undefined;
  const outcome = await new ActionRunner().send(r.destination, r.choice, [event], {
    timeoutMs: opts.timeoutMs ?? 10_000,
    env: opts.env,
    onResponse: (info) => (response = info),
  });
  result.sent = true;
  const described =
    outcome.kind === 'done'
      ? outcome.events[0].kind === 'sent'
        ? 'accepted'
        : `refused: ${(outcome.events[0] as { reason: string }).reason}`
      : outcome.kind === 'rejected'
        ? 'refused'
        : `failed: ${outcome.reason}`;
  result.response = { status: response?.status ?? (outcome.kind === 'retry' ? outcome.status : null), body: response?.body ?? '', outcome: described };
  return result;
}

/** A source row for the test event: the user (or a member, or any profile) and, for entity triggers, one of its entities. */
async function sampleRow(wh: Warehouse, r: ResolvedEmitter, userId: string | undefined): Promise<SourceRow | undefined> {
  const d = wh.dialect;
  const q = (n: string) => quoteIdent(d, n);
  const profile = r.graph.profile;
  const idText = asText(d, 'p', profile.id);
  const from = `${quoteTable(d, profile.table)} ${q('p')}`;
  let sql: string;
  let params: unknown[] = [];
  const chain = r.plan.chain;
  if (chain) {
    const j = joinChain(d, new GraphIndex(r.graph), chain.map((c) => c.relationship), 'p', 'e');
    const last = j.steps[j.steps.length - 1];
    sql = `SELECT ${idText} AS ${q('pid')}, ${asText(d, last.alias, last.entity.primaryKey)} AS ${q('eid')} FROM ${from} ${j.sql}`;
  } else {
    sql = `SELECT ${idText} AS ${q('pid')}, CAST(NULL AS VARCHAR) AS ${q('eid')} FROM ${from}`;
  }
  if (userId !== undefined) {
    sql += ` WHERE ${idText} = ?`;
    params = [userId];
  }
  const { rows } = await wh.query<{ pid: string; eid: string | null }>(`${sql} LIMIT 1`, params);
  const found = rows[0];
  if (!found) return undefined;
  return {
    source: 'outbox',
    id: 0,
    audienceKey: r.emitter.audience,
    kind: kindsOf(r.emitter.trigger)[0],
    profileId: String(found.pid),
    entityPath: chain ? chain.map((c) => c.relationship).join('.') : null,
    entityId: found.eid === null ? null : String(found.eid),
    createdAt: new Date().toISOString(),
  };
}

/** The event with example values in place of warehouse data (the seed: "a table with event fields and example values"). */
function exampleEvent(r: ResolvedEmitter, userId: string): SegmentEvent {
  const example = (name: string) => `example ${name}`;
  const data: EnrichmentData = { traits: new Map(), chains: new Map(), others: new Map() };
  data.traits.set(userId, Object.fromEntries(r.plan.traits.map((t) => [t, example(t)])));
  const entityId = r.plan.chain ? example(r.plan.chain[r.plan.chain.length - 1].entity.primaryKey) : null;
  if (r.plan.chain && entityId !== null) {
    data.chains.set(`${userId}\u0000${entityId}`, r.plan.chain.map((level) => Object.fromEntries(level.columns.map((c) => [c, example(c)]))));
  }
  for (const o of r.plan.others) {
    const anchor = o.anchor === 'profile' ? userId : entityId;
    if (anchor !== null) data.others.set(o.relationship, new Map([[anchor, [Object.fromEntries(o.columns.map((c) => [c, example(c)]))]]]));
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

