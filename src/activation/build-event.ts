import * as crypto from 'node:crypto';
import type { EventEmitter, Trigger } from '../model/emitter.js';
import type { SourceRow } from '../state/delivery/types.js';
import { chainKey, LINK, type EnrichmentData } from './enrich/fetch.js';
import type { PageEnrichment } from './enrich/page.js';
import type { EnrichmentPlan } from './enrich/plan.js';
import { jsonBytes, jsonString, stringBytes } from './json-encode.js';

/** REFERENCE.md: trigger -> default event name. */
export const DEFAULT_EVENT_NAMES: Record<Trigger, string> = {
  audience_entered: 'Audience Entered',
  audience_exited: 'Audience Exited',
  entity_added: 'Entity Added',
  entity_removed: 'Entity Removed',
  audience_membership_changed: 'Audience Membership Changed',
};

/** Segment drops events over 32 KB silently; we dead-letter them with the reason instead. */
export const MAX_EVENT_BYTES = 32 * 1024;

export interface PersonasContext {
  /** An opaque id of the audience in its stack, as Segment's `aud_…` ids are. */
  computation_id: string;
  /** The audience key. */
  computation_key: string;
  computation_class: 'audience';
  event_emitter_id: string;
  /** The stack (Segment's space). */
  namespace: string;
  /** The stack again, where Segment puts its space id. */
  space_id: string;
  [key: string]: unknown;
}

/** A Segment-spec Track or Identify event, as destinations receive it. */
export interface SegmentEvent {
  type: 'track' | 'identify';
  event?: string;
  userId: string;
  messageId: string;
  timestamp: string;
  /** When the change was committed, as `timestamp`: Segment's presets read times from here (Braze `time`). */
  receivedAt: string;
  originalTimestamp: string;
  context: { personas: PersonasContext; library: { name: string; version: string } };
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
}

export const eventNameOf = (emitter: EventEmitter): string => emitter.eventName ?? DEFAULT_EVENT_NAMES[emitter.trigger];

/** Tags of the two sources inside a messageId, so ids of the two never collide. */
export function sourceTag(source: SourceRow['source'], backfillEpoch: string): string {
  return source === 'outbox' ? 'outbox' : `backfill:${backfillEpoch}`;
}

/** The `md5(key || id)` prefix: the SQL form of messageId (md5 exists in DuckDB and Snowflake alike). */
export const messageIdPrefix = (emitterKey: string, source: SourceRow['source'], backfillEpoch: string) =>
  `${emitterKey}:${sourceTag(source, backfillEpoch)}:`;

/**
 * decision D7: a hash of (emitter key, outbox row id), so retries and resumes reuse it and
 * destinations that dedupe see one event. Backfill rows hash their own sequence in the
 * emitter's backfill epoch. Equal to SQL `md5(prefix || CAST(id AS VARCHAR))`.
 */
export function messageIdOf(emitterKey: string, source: SourceRow['source'], id: number, backfillEpoch = ''): string {
  return md5Hex(`${messageIdPrefix(emitterKey, source, backfillEpoch)}${id}`);
}

// crypto.hash (Node >= 20.12) hashes in one call, without a Hash object per event.
const md5Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('md5', text) : (text) => crypto.createHash('md5').update(text).digest('hex');

export interface EventContext {
  emitter: EventEmitter;
  plan: EnrichmentPlan;
  /** The stack (Segment's space): `context.personas.namespace`. */
  namespace: string;
  backfillEpoch: string;
  /** Audience membership of the profiles of entity_removed rows (looked up per page). */
  members?: Set<string>;
}

const LIBRARY = { name: 'linked-audiences', version: '0.1.0' };

/** What every event of one context shares, built once rather than per event (nothing mutates an event once built). */
interface Shared {
  context: SegmentEvent['context'];
  eventName: string;
  prefixes: Record<SourceRow['source'], string>;
}
const sharedOf = new WeakMap<EventContext, Shared>();

function shared(ctx: EventContext): Shared {
  let s = sharedOf.get(ctx);
  if (!s) {
    const { emitter } = ctx;
    s = {
      context: {
        personas: {
          computation_id: computationIdOf(ctx.namespace, emitter.audience),
          computation_key: emitter.audience,
          computation_class: 'audience',
          event_emitter_id: emitter.key,
          namespace: ctx.namespace,
          space_id: ctx.namespace,
        },
        library: LIBRARY,
      },
      eventName: eventNameOf(emitter),
      prefixes: {
        outbox: messageIdPrefix(emitter.key, 'outbox', ctx.backfillEpoch),
        backfill: messageIdPrefix(emitter.key, 'backfill', ctx.backfillEpoch),
      },
    };
    sharedOf.set(ctx, s);
    builtContexts.set(s.context, {});
  }
  return s;
}

/**
 * The contexts buildEvent made, each with its JSON and bytes once measured: every event of one
 * emitter shares its context, about half of the event, so it is serialized and measured once. An
 * event with one of these contexts has the keys buildEvent gives it, in its order (eventJson).
 */
const builtContexts = new WeakMap<object, { json?: string; bytes?: number }>();

/** `aud_` and 24 hex of md5(stack:audience): opaque and stable, as Segment's computation ids are. */
export const computationIdOf = (namespace: string, audienceKey: string): string => `aud_${md5Hex(`${namespace}:${audienceKey}`).slice(0, 24)}`;

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * A warehouse value as an event carries it: a DATE (a Date at midnight UTC, as DuckDB and Snowflake
 * return one) as `YYYY-MM-DD`, other timestamps as ISO 8601; each destination converts those
 * strings to its own date form (destinations/dates.ts). NaN and ±Infinity (a FLOAT column can hold
 * them) have no JSON form, where they would read as null: they are values the event does not have.
 */
export function eventValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (!(value instanceof Date)) return value;
  if (Number.isNaN(value.getTime())) return null;
  if (value.getUTCHours() === 0 && value.getUTCMinutes() === 0 && value.getUTCSeconds() === 0 && value.getUTCMilliseconds() === 0) {
    return `${value.getUTCFullYear()}-${pad2(value.getUTCMonth() + 1)}-${pad2(value.getUTCDate())}`;
  }
  return value.toISOString();
}

/** A record of warehouse values as an event carries it. */
function eventRecord(rec: Record<string, unknown>, columns: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c] = eventValue(rec[c] ?? null);
  return out;
}

/** Builds the Track or Identify event of one source row from the page's enrichment. */
export function buildEvent(ctx: EventContext, row: SourceRow, data: EnrichmentData): SegmentEvent {
  const { emitter, plan } = ctx;
  const audienceKey = emitter.audience;
  const inAudience =
    row.kind === 'entered' || row.kind === 'entity_added' ? true : row.kind === 'exited' ? false : (ctx.members?.has(row.profileId) ?? false);
  const identify = emitter.trigger === 'audience_membership_changed';
  // Segment's Identify carries only `<audience_key>`: a shared `audience_key` trait would be one user
  // attribute every audience overwrites.
  const props: Record<string, unknown> = identify ? { [audienceKey]: inAudience } : { audience_key: audienceKey, [audienceKey]: inAudience };
  const traits = data.traits.get(row.profileId);
  // A value the warehouse does not have is left out, not sent as null: profile updates (Braze,
  // Iterable, Customer.io) read null as "remove this attribute".
  for (const t of plan.traits) {
    const v = eventValue(traits?.[t] ?? null);
    if (v !== null) props[t] = v;
  }

  let chainRecords: Record<string, unknown>[] | undefined;
  const trigger = plan.chain && row.entityId !== null ? plan.chain[plan.chain.length - 1] : undefined;
  if (plan.chain && trigger) {
    chainRecords = data.chains.get(chainKey(row.profileId, row.entityId!));
    // A removed entity may be gone from the warehouse: its id and entity still go out.
    const record = chainRecords?.[chainRecords.length - 1] ?? { [trigger.entity.primaryKey]: row.entityId };
    for (const c of trigger.columns) {
      const v = eventValue(record[c] ?? null);
      if (v !== null) props[`${trigger.relationship}__${c}`] = v;
    }
    props[`${trigger.relationship}____entity`] = trigger.entity.slug;
    // The trigger entity may hang from several of the profile's parent rows (a product on several
    // orders): every link, in the junction's key order.
    if (trigger.junction) {
      const links = data.links.get(chainKey(row.profileId, row.entityId!)) ?? [];
      props[`${trigger.relationship}____junction`] = links.map((l) => eventRecord(l, trigger.junction!.columns));
    }
  }
  for (const other of plan.others) {
    let found: Record<string, unknown>[];
    if (other.anchor === 'chain') {
      const level = plan.chain!.findIndex((c) => c.relationship === other.relationship);
      const rec = chainRecords?.[level];
      found = rec ? [rec] : [];
    } else {
      const anchor = other.anchor === 'profile' ? row.profileId : row.entityId;
      found = (anchor !== null ? data.others.get(other.relationship)?.get(anchor) : undefined) ?? [];
    }
    // Below the trigger entity, Segment nests the rows under it: `<trigger>__<child>` (`shopping_cart__products`).
    const key = other.anchor === 'trigger' && trigger ? `${trigger.relationship}__${other.relationship}` : other.relationship;
    props[key] = found.map((i) => entityItem(i, other));
  }
  if (plan.chain && row.entityId !== null) props._entity_context = entityContext(plan, row, chainRecords);

  const s = shared(ctx);
  const messageId = md5Hex(`${s.prefixes[row.source]}${row.id}`);
  // Keys in the order the payload has always had: type, event, userId, messageId, timestamp, context, properties.
  // The times are the commit's, identical on every resend (so bodies, like messageIds, repeat exactly).
  const at = row.createdAt;
  if (identify) {
    return { type: 'identify', userId: row.profileId, messageId, timestamp: at, receivedAt: at, originalTimestamp: at, context: s.context, traits: props };
  }
  return { type: 'track', event: s.eventName, userId: row.profileId, messageId, timestamp: at, receivedAt: at, originalTimestamp: at, context: s.context, properties: props };
}

/** An item of an entity array: its columns, the junction row it came through (many-to-many), its entity. */
function entityItem(rec: Record<string, unknown>, entity: EnrichmentPlan['others'][number]): Record<string, unknown> {
  const item = eventRecord(rec, entity.columns);
  const link = rec[LINK] as Record<string, unknown> | undefined;
  if (entity.junction) item[LINK] = link ? eventRecord(link, entity.junction.columns) : null;
  item.__entity = entity.entity.slug;
  return item;
}

/**
 * The matched chain from the profile down to the trigger entity, nested by relationship slug:
 * `{ accounts: { account_id, __entity, cards: { card_id, __entity } } }`.
 */
function entityContext(plan: EnrichmentPlan, row: SourceRow, records: Record<string, unknown>[] | undefined): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let cursor = root;
  plan.chain!.forEach((level, i) => {
    const rec = records?.[i] ? eventRecord(records[i], level.columns) : i === plan.chain!.length - 1 ? { [level.entity.primaryKey]: row.entityId } : {};
    const node: Record<string, unknown> = { ...rec, __entity: level.entity.slug };
    cursor[level.relationship] = node;
    cursor = node;
  });
  return root;
}

/** Bytes of the event as sent (JSON, UTF-8): eventJson's, a built event's shared context measured once. */
export function eventBytes(event: SegmentEvent): number {
  const built = builtContexts.get(event.context);
  if (!built) return jsonBytes(event);
  built.bytes ??= jsonBytes(event.context);
  const { type, userId, messageId, timestamp, receivedAt, originalTimestamp } = event;
  const fields =
    type === 'track'
      ? TRACK_KEY_BYTES + stringBytes(event.event!) + jsonBytes(event.properties)
      : IDENTIFY_KEY_BYTES + jsonBytes(event.traits);
  return fields + stringBytes(userId) + stringBytes(messageId) + stringBytes(timestamp) + stringBytes(receivedAt) + stringBytes(originalTimestamp) + built.bytes;
}

/**
 * JSON.stringify(event), the same bytes, faster for the events buildEvent built (and copies of
 * them with the same keys): their shared context is serialized once, the rest by its keys in
 * buildEvent's order. Any other object is given to JSON.stringify.
 */
export function eventJson(event: SegmentEvent): string {
  const built = builtContexts.get(event.context);
  if (!built) return JSON.stringify(event);
  built.json ??= JSON.stringify(event.context);
  const times = `"timestamp":${jsonString(event.timestamp)},"receivedAt":${jsonString(event.receivedAt)},"originalTimestamp":${jsonString(event.originalTimestamp)}`;
  const ids = `"userId":${jsonString(event.userId)},"messageId":${jsonString(event.messageId)}`;
  return event.type === 'track'
    ? `{"type":"track","event":${jsonString(event.event!)},${ids},${times},"context":${built.json},"properties":${JSON.stringify(event.properties)}}`
    : `{"type":"identify",${ids},${times},"context":${built.json},"traits":${JSON.stringify(event.traits)}}`;
}

// What eventJson writes besides the values: keys, braces, colons, commas.
const TRACK_KEY_BYTES = '{"type":"track","event":,"userId":,"messageId":,"timestamp":,"receivedAt":,"originalTimestamp":,"context":,"properties":}'.length;
const IDENTIFY_KEY_BYTES = '{"type":"identify","userId":,"messageId":,"timestamp":,"receivedAt":,"originalTimestamp":,"context":,"traits":}'.length;

export interface BuiltEvent {
  row: SourceRow;
  event: SegmentEvent;
  bytes: number;
}

export interface BuiltPage {
  rows: SourceRow[];
  /** In row order. */
  events: BuiltEvent[];
  /** Over 32 KB: never sent, dead-lettered with the reason. */
  oversize: BuiltEvent[];
}

/** What a page's events are built for: an emitter (resolved), its enrichment plan and its stack. */
export type EventSource = Pick<EventContext, 'emitter' | 'plan' | 'namespace'>;

/** One event per row of a page, from the page's enrichment; oversize events set apart. */
export function buildPage(r: EventSource, rows: SourceRow[], enrichment: PageEnrichment, backfillEpoch: string): BuiltPage {
  const ctx: EventContext = { emitter: r.emitter, plan: r.plan, namespace: r.namespace, backfillEpoch, members: enrichment.members };
  const events: BuiltEvent[] = [];
  const oversize: BuiltEvent[] = [];
  for (const row of rows) {
    const event = buildEvent(ctx, row, enrichment.data);
    const built = { row, event, bytes: eventBytes(event) };
    (built.bytes > MAX_EVENT_BYTES ? oversize : events).push(built);
  }
  return { rows, events, oversize };
}
