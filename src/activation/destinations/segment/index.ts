import type { Destination } from '../../../model/destination.js';
import { basicAuth, resolveSecret } from '../../../secrets.js';
import { jsonBody, type DestinationDefinition } from '../../actions-core.js';
import { isTrackTrigger, joinUrl, presetAction, triggerPresets, type DestinationAdapter } from '../types.js';

export interface SegmentSettings {
  writeKey: string;
  endpoint: string;
}

export const SEGMENT_REGIONS = { US: 'https://api.segment.io', EU: 'https://events.eu1.segmentapis.com' } as const;

type Payload = Record<string, unknown>;

const common = {
  user_id: { label: 'User ID', description: 'The user id.', type: 'string' as const, default: { '@path': '$.userId' } },
  anonymous_id: { label: 'Anonymous ID', description: 'The anonymous id.', type: 'string' as const, default: { '@path': '$.anonymousId' } },
  timestamp: { label: 'Timestamp', description: 'When the change happened.', type: 'datetime' as const, default: { '@path': '$.timestamp' } },
  message_id: { label: 'Message ID', description: 'Segment deduplicates on it (24 hours).', type: 'string' as const, default: { '@path': '$.messageId' } },
};

/**
 * Segment's HTTP tracking API: /v1/batch, write key as the Basic auth user, batch <= 500 KB. As
 * Segment's own sendTrack / sendIdentify do, the event is rebuilt from fields (the Linked Audiences
 * context of our events stays here); `send` forwards an event unchanged for those who want that.
 */
export const segmentDefinition: DestinationDefinition<SegmentSettings> = {
  name: 'Segment',
  slug: 'linked-segment',
  mode: 'cloud',
  authentication: {
    scheme: 'basic',
    fields: { writeKey: { label: 'Write Key', description: 'The write key of a Segment source.', type: 'password', required: true } },
  },
  extendRequest: ({ settings }) => ({ headers: { Authorization: basicAuth(settings.writeKey, '') } }),
  actions: {
    sendTrack: {
      title: 'Send Track',
      description: 'Send a Track event to a Segment source.',
      defaultSubscription: 'type = "track"',
      fields: {
        ...common,
        event_name: { label: 'Event Name', description: 'The event name.', type: 'string', required: true, default: { '@path': '$.event' } },
        properties: { label: 'Properties', description: 'The event properties.', type: 'object', default: { '@path': '$.properties' } },
      },
      perform: (request, { payload, settings }) => post(request, settings, [trackOf(payload)]),
      performBatch: (request, { payload, settings }) => post(request, settings, payload.map(trackOf)),
    },
    sendIdentify: {
      title: 'Send Identify',
      description: 'Send an Identify event to a Segment source.',
      defaultSubscription: 'type = "identify"',
      fields: {
        ...common,
        traits: { label: 'Traits', description: 'The user traits.', type: 'object', default: { '@path': '$.traits' } },
      },
      perform: (request, { payload, settings }) => post(request, settings, [identifyOf(payload)]),
      performBatch: (request, { payload, settings }) => post(request, settings, payload.map(identifyOf)),
    },
    send: {
      title: 'Send',
      description: 'Forward the whole event, context included, into a Segment source.',
      defaultSubscription: 'type = "track" or type = "identify"',
      fields: { event: { label: 'Event', description: 'The Segment event.', type: 'object', default: { '@path': '$.' } } },
      perform: (request, { payload, settings }) => post(request, settings, [payload.event as Payload]),
      performBatch: (request, { payload, settings }) => post(request, settings, payload.map((p) => p.event as Payload)),
    },
  },
};
segmentDefinition.presets = triggerPresets(segmentDefinition.actions, (t) => (isTrackTrigger(t) ? 'sendTrack' : 'sendIdentify'));

const post = (request: Parameters<DestinationDefinition<SegmentSettings>['actions'][string]['perform']>[0], settings: SegmentSettings, batch: Payload[]) =>
  request(joinUrl(settings.endpoint, '/v1/batch'), { method: 'post', ...jsonBody({ batch }) });

/** Only what has a value: the tracking API refuses an event with neither userId nor anonymousId. */
function defined(obj: Payload): Payload {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

function identity(p: Payload): Payload {
  return { userId: p.user_id, anonymousId: p.anonymous_id, timestamp: p.timestamp, messageId: p.message_id };
}

const trackOf = (p: Payload) => defined({ type: 'track', event: p.event_name, ...identity(p), properties: p.properties ?? {} });
const identifyOf = (p: Payload) => defined({ type: 'identify', ...identity(p), traits: p.traits ?? {} });

export const segment: DestinationAdapter<SegmentSettings> = {
  type: 'segment',
  definition: segmentDefinition,
  maxBatchSize: 2500,
  // 500 KB per batch, with room for the envelope and the mapping's changes.
  maxBatchBytes: 450 * 1024,
  // Segment asks senders above 500 requests/s to contact it first.
  defaultRequestsPerSecond: 500,
  settings(destination: Destination, env?: NodeJS.ProcessEnv): SegmentSettings {
    if (destination.type !== 'segment') throw new Error('not a Segment destination');
    const s = destination.settings;
    return { writeKey: resolveSecret(s.writeKey, env), endpoint: s.endpoint ?? SEGMENT_REGIONS[s.region] };
  },
  preset: (trigger) => presetAction(segmentDefinition, trigger),
};
