import type { Destination } from '../../../model/destination.js';
import { resolveSecret } from '../../../secrets.js';
import { jsonBody, type DestinationDefinition } from '../../actions-core.js';
import { isTrackTrigger, joinUrl, unixSeconds, type DestinationAdapter } from '../types.js';

export interface CustomerIoSettings {
  siteId: string;
  apiKey: string;
  accountRegion: 'US' | 'EU';
  baseUrl: string;
}

export const CUSTOMERIO_REGIONS = { US: 'https://track.customer.io', EU: 'https://track-eu.customer.io' } as const;

/** Customer.io Track API v2: person events and identifies, /api/v2/batch, Basic siteId:apiKey. */
export const customerioDefinition: DestinationDefinition<CustomerIoSettings> = {
  name: 'Customer.io',
  slug: 'linked-customerio',
  mode: 'cloud',
  authentication: {
    scheme: 'basic',
    fields: {
      siteId: { label: 'Site ID', description: 'Customer.io site id.', type: 'string', required: true },
      apiKey: { label: 'API Key', description: 'Customer.io tracking API key.', type: 'password', required: true },
      accountRegion: { label: 'Region', description: 'US or EU.', type: 'string', required: true },
    },
  },
  extendRequest: ({ settings }) => ({
    headers: { Authorization: `Basic ${Buffer.from(`${settings.siteId}:${settings.apiKey}`).toString('base64')}` },
  }),
  presets: [
    { name: 'Track Event', subscribe: 'type = "track"', partnerAction: 'trackEvent', mapping: {}, type: 'automatic' },
    { name: 'Create or Update Person', subscribe: 'type = "identify"', partnerAction: 'createUpdatePerson', mapping: {}, type: 'automatic' },
  ],
  actions: {
    trackEvent: {
      title: 'Track Event',
      description: 'Track a person event.',
      defaultSubscription: 'type = "track"',
      fields: {
        id: { label: 'Person ID', description: 'The person identifier.', type: 'string', required: true, default: { '@path': '$.userId' } },
        name: { label: 'Event Name', description: 'The event name.', type: 'string', required: true, default: { '@path': '$.event' } },
        event_id: { label: 'Event ID', description: 'Deduplication id.', type: 'string', default: { '@path': '$.messageId' } },
        timestamp: { label: 'Timestamp', description: 'When the event happened.', type: 'datetime', default: { '@path': '$.timestamp' } },
        attributes: { label: 'Event Attributes', description: 'Event data.', type: 'object', default: { '@path': '$.properties' } },
      },
      perform: (request, { payload, settings }) => request(joinUrl(settings.baseUrl, '/api/v2/entity'), { method: 'post', ...jsonBody(eventItem(payload)) }),
      performBatch: (request, { payload, settings }) =>
        request(joinUrl(settings.baseUrl, '/api/v2/batch'), { method: 'post', ...jsonBody({ batch: payload.map(eventItem) }) }),
    },
    createUpdatePerson: {
      title: 'Create or Update Person',
      description: 'Identify a person and set attributes.',
      defaultSubscription: 'type = "identify"',
      fields: {
        id: { label: 'Person ID', description: 'The person identifier.', type: 'string', required: true, default: { '@path': '$.userId' } },
        attributes: { label: 'Attributes', description: 'Person attributes.', type: 'object', default: { '@path': '$.traits' } },
      },
      perform: (request, { payload, settings }) => request(joinUrl(settings.baseUrl, '/api/v2/entity'), { method: 'post', ...jsonBody(identifyItem(payload)) }),
      performBatch: (request, { payload, settings }) =>
        request(joinUrl(settings.baseUrl, '/api/v2/batch'), { method: 'post', ...jsonBody({ batch: payload.map(identifyItem) }) }),
    },
  },
};

function eventItem(p: Record<string, unknown>) {
  return {
    type: 'person',
    action: 'event',
    identifiers: { id: p.id },
    name: p.name,
    id: p.event_id,
    timestamp: unixSeconds(p.timestamp),
    attributes: p.attributes ?? {},
  };
}

function identifyItem(p: Record<string, unknown>) {
  return { type: 'person', action: 'identify', identifiers: { id: p.id }, attributes: p.attributes ?? {} };
}

export const customerio: DestinationAdapter<CustomerIoSettings> = {
  type: 'customerio',
  definition: customerioDefinition,
  maxBatchSize: 100,
  // The v2 batch endpoint takes at most 500 KB per request.
  maxBatchBytes: 450 * 1024,
  defaultRequestsPerSecond: 100,
  settings(destination: Destination, env?: NodeJS.ProcessEnv): CustomerIoSettings {
    if (destination.type !== 'customerio') throw new Error('not a Customer.io destination');
    const s = destination.settings;
    return { siteId: s.siteId, apiKey: resolveSecret(s.apiKey, env), accountRegion: s.accountRegion, baseUrl: s.endpoint ?? CUSTOMERIO_REGIONS[s.accountRegion] };
  },
  preset: (trigger) => (isTrackTrigger(trigger) ? 'trackEvent' : 'createUpdatePerson'),
};
