import type { Destination } from '../../../model/destination.js';
import { resolveSecret } from '../../../secrets.js';
import { jsonBody, type DestinationDefinition } from '../../actions-core.js';
import { joinUrl, type DestinationAdapter } from '../types.js';

export interface SegmentSettings {
  writeKey: string;
  endpoint: string;
}

/** Segment's HTTP tracking API: /v1/batch, write key as the Basic auth user, batch <= 500 KB. */
export const segmentDefinition: DestinationDefinition<SegmentSettings> = {
  name: 'Segment',
  slug: 'linked-segment',
  mode: 'cloud',
  authentication: {
    scheme: 'basic',
    fields: { writeKey: { label: 'Write Key', description: 'The write key of a Segment source.', type: 'password', required: true } },
  },
  extendRequest: ({ settings }) => ({ headers: { Authorization: `Basic ${Buffer.from(`${settings.writeKey}:`).toString('base64')}` } }),
  presets: [{ name: 'Send to a Segment source', subscribe: 'type = "track" or type = "identify"', partnerAction: 'send', mapping: {}, type: 'automatic' }],
  actions: {
    send: {
      title: 'Send',
      description: 'Forward the event into a Segment source.',
      defaultSubscription: 'type = "track" or type = "identify"',
      fields: { event: { label: 'Event', description: 'The Segment event.', type: 'object', default: { '@path': '$.' } } },
      perform: (request, { payload, settings }) =>
        request(joinUrl(settings.endpoint, '/v1/batch'), { method: 'post', ...jsonBody({ batch: [payload.event] }) }),
      performBatch: (request, { payload, settings }) =>
        request(joinUrl(settings.endpoint, '/v1/batch'), { method: 'post', ...jsonBody({ batch: payload.map((p) => p.event) }) }),
    },
  },
};

export const segment: DestinationAdapter<SegmentSettings> = {
  type: 'segment',
  definition: segmentDefinition,
  maxBatchSize: 2500,
  // 500 KB per batch, with room for the envelope and the mapping's changes.
  maxBatchBytes: 450 * 1024,
  settings(destination: Destination, env?: NodeJS.ProcessEnv): SegmentSettings {
    if (destination.type !== 'segment') throw new Error('not a Segment destination');
    return { writeKey: resolveSecret(destination.settings.writeKey, env), endpoint: destination.settings.endpoint };
  },
  preset: () => 'send',
};
