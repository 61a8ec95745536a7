import { describe, expect, it } from 'vitest';
import { adapterOf } from '../../src/activation/destinations/index.js';
import { TRIGGER_EVENT_SLUGS } from '../../src/activation/destinations/types.js';
import { Destination } from '../../src/model/destination.js';
import { TRIGGERS } from '../../src/model/emitter.js';

describe('presets and settings as Segment ships them', () => {
  it('every destination has one specificEvent preset per trigger, naming an action it has', () => {
    for (const type of ['webhook', 'braze', 'iterable', 'customerio', 'segment'] as const) {
      const def = adapterOf(type).definition;
      const presets = def.presets ?? [];
      expect(presets.map((p) => (p.type === 'specificEvent' ? p.eventSlug : '')).sort()).toEqual(Object.values(TRIGGER_EVENT_SLUGS).sort());
      for (const p of presets) expect(Object.keys(def.actions)).toContain(p.partnerAction);
      for (const t of TRIGGERS) expect(adapterOf(type).preset(t)).toBe(presets.find((p) => p.type === 'specificEvent' && p.eventSlug === TRIGGER_EVENT_SLUGS[t])!.partnerAction);
    }
    expect(adapterOf('customerio').preset('audience_membership_changed')).toBe('createUpdatePerson');
    expect(Object.keys(adapterOf('customerio').definition.actions.trackEvent.fields)).toEqual(expect.arrayContaining(['data', 'event_id', 'timestamp', 'convert_timestamp']));
    expect(Object.keys(adapterOf('customerio').definition.actions.createUpdatePerson.fields)).toEqual(expect.arrayContaining(['custom_attributes', 'timestamp', 'convert_timestamp']));
    expect(adapterOf('segment').preset('audience_entered')).toBe('sendTrack');
    expect(adapterOf('segment').preset('audience_membership_changed')).toBe('sendIdentify');
  });

  it('Segment: the EU region sends to the EU endpoint unless an endpoint overrides it', () => {
    const env = { WK: 'write-key-1' };
    const of = (settings: Record<string, unknown>) => adapterOf('segment').settings(Destination.parse({ key: 's', type: 'segment', settings: { writeKey: { secret: 'WK' }, ...settings } }), env) as { endpoint: string };
    expect(of({}).endpoint).toBe('https://api.segment.io');
    expect(of({ region: 'EU' }).endpoint).toBe('https://events.eu1.segmentapis.com');
    expect(of({ region: 'EU', endpoint: 'http://127.0.0.1:9' }).endpoint).toBe('http://127.0.0.1:9');
  });
});
