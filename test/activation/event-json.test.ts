import { describe, expect, it } from 'vitest';
import { eventsBody } from '../../src/activation/actions-core.js';
import { buildPage, eventBytes, eventJson, type SegmentEvent } from '../../src/activation/build-event.js';
import { chainKey, emptyEnrichment } from '../../src/activation/enrich/fetch.js';
import { planEnrichment } from '../../src/activation/enrich/plan.js';
import { EventEmitter } from '../../src/model/emitter.js';
import type { SourceRow } from '../../src/state/delivery/types.js';
import { AUDIENCE, GRAPH } from './helpers.js';

/*
 * eventJson and eventBytes write and measure the events buildEvent builds without serializing
 * their shared context each time: they must give JSON.stringify's bytes exactly, for every shape
 * of event and every value JSON writes in its own way.
 */

/** Values JSON escapes, or writes in its own way. */
const AWKWARD = ['plain', 'ü and 日本', 'emoji 🎉', 'line\u2028sep\u2029', 'quote " and \\ back', 'tab\tnew\nline\r', 'bell\u0007 esc\u001b del\u007f', 'lone \ud800 surrogate', ''];
const VALUES: unknown[] = [...AWKWARD, 0, -0, 1.5, 1e21, Number.NaN, Number.POSITIVE_INFINITY, true, false, null, new Date('2026-12-08T00:00:00Z'), new Date('2026-12-08T01:02:03.004Z')];

const emitter = (key: string, trigger: string, extra: Record<string, unknown> = {}) =>
  EventEmitter.parse({ key, audience: 'overdue-cards', destination: 'hook', trigger, ...extra });

const EMITTERS = [
  emitter('entered', 'audience_entered', { enrich: { traits: ['email', 'first_name', 'plan'] } }),
  emitter('membership', 'audience_membership_changed', { enrich: { traits: ['email', 'plan'] }, eventName: 'Membership "quoted" ü' }),
  emitter('card-added', 'entity_added', {
    entityPath: ['accounts', 'cards'],
    enrich: { traits: ['email'], entities: [{ relationship: 'cards', columns: ['balance', 'due_date'] }, { relationship: 'accounts', columns: ['type'] }] },
  }),
];

function rowsAndData(kind: SourceRow['kind'], entityPath: string | null) {
  const data = emptyEnrichment();
  const rows: SourceRow[] = VALUES.map((v, i) => {
    const profileId = `${AWKWARD[i % AWKWARD.length]}-${i}`;
    const entityId = entityPath ? `c${i} ${AWKWARD[(i + 1) % AWKWARD.length]}` : null;
    data.traits.set(profileId, { email: v, first_name: VALUES[(i + 3) % VALUES.length], plan: i % 4 === 0 ? undefined : VALUES[(i + 5) % VALUES.length] });
    if (entityId) {
      data.chains.set(chainKey(profileId, entityId), [
        { account_id: `a${i}`, type: v },
        { card_id: entityId, balance: VALUES[(i + 7) % VALUES.length], due_date: VALUES[(i + 1) % VALUES.length] },
      ]);
    }
    return { source: 'outbox', id: i + 1, audienceKey: 'overdue-cards', kind, profileId, entityPath, entityId, createdAt: new Date(Date.UTC(2026, 11, 8, 0, 0, i)).toISOString() };
  });
  return { rows, data };
}

function builtEvents(): SegmentEvent[] {
  return EMITTERS.flatMap((e) => {
    const plan = planEnrichment(GRAPH, AUDIENCE, e);
    const entity = e.trigger === 'entity_added';
    const { rows, data } = rowsAndData(entity ? 'entity_added' : 'entered', entity ? 'accounts.cards' : null);
    return buildPage({ emitter: e, plan, namespace: 'spa "x" ü' }, rows, { data, members: new Set() }, '').events.map((b) => b.event);
  });
}

describe('the JSON of built events', () => {
  it('is what JSON.stringify writes, byte for byte, for Track and Identify events, entity events and awkward values', () => {
    const events = builtEvents();
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['track', 'identify']));
    expect(events.length).toBe(EMITTERS.length * VALUES.length);
    for (const e of events) {
      const json = JSON.stringify(e);
      expect(eventJson(e)).toBe(json);
      expect(eventBytes(e)).toBe(Buffer.byteLength(json));
    }
  });

  it('is the same for a copy with the same keys, and for events parsed back (stored dead letters)', () => {
    for (const e of builtEvents()) {
      const copy = { ...e, messageId: 'test-ü' };
      expect(eventJson(copy)).toBe(JSON.stringify(copy));
      expect(eventBytes(copy)).toBe(Buffer.byteLength(JSON.stringify(copy)));
      const parsed = JSON.parse(JSON.stringify(e)) as SegmentEvent;
      expect(eventJson(parsed)).toBe(JSON.stringify(e));
      expect(eventBytes(parsed)).toBe(Buffer.byteLength(JSON.stringify(e)));
    }
  });

  it('makes the body of a batch, and of one event, as JSON.stringify would', () => {
    const events = builtEvents();
    expect(eventsBody(events, true).body.equals(Buffer.from(JSON.stringify(events)))).toBe(true);
    expect(eventsBody(events.slice(0, 1), true).body.equals(Buffer.from(JSON.stringify(events.slice(0, 1))))).toBe(true);
    expect(eventsBody(events, false).body.equals(Buffer.from(JSON.stringify(events[0])))).toBe(true);
    expect(eventsBody(events, true).headers).toEqual({ 'content-type': 'application/json' });
  });
});
