import type { Destination } from '../../../model/destination.js';
import { resolveSecret } from '../../../secrets.js';
import { jsonBody, type DestinationDefinition } from '../../actions-core.js';
import { isTrackTrigger, joinUrl, type DestinationAdapter } from '../types.js';

export interface BrazeSettings {
  api_key: string;
  app_id: string;
  endpoint: string;
}

/** Braze /users/track: events and attributes, up to 75 per request, Bearer auth (REFERENCE.md). */
export const brazeDefinition: DestinationDefinition<BrazeSettings> = {
  name: 'Braze',
  slug: 'linked-braze',
  mode: 'cloud',
  authentication: {
    scheme: 'custom',
    fields: {
      api_key: { label: 'API Key', description: 'Braze REST API key.', type: 'password', required: true },
      app_id: { label: 'App ID', description: 'The app identifier.', type: 'string', required: true },
      endpoint: { label: 'REST Endpoint', description: 'e.g. https://rest.iad-01.braze.com', type: 'string', format: 'uri', required: true },
    },
  },
  extendRequest: ({ settings }) => ({ headers: { Authorization: `Bearer ${settings.api_key}` } }),
  presets: [
    { name: 'Track Event', subscribe: 'type = "track"', partnerAction: 'trackEvent', mapping: {}, type: 'automatic' },
    { name: 'Update User Profile', subscribe: 'type = "identify"', partnerAction: 'updateUserProfile', mapping: {}, type: 'automatic' },
  ],
  actions: {
    trackEvent: {
      title: 'Track Event',
      description: 'Record a custom event in Braze.',
      defaultSubscription: 'type = "track"',
      fields: {
        external_id: { label: 'External User ID', description: 'The user id in Braze.', type: 'string', required: true, default: { '@path': '$.userId' } },
        name: { label: 'Event Name', description: 'The event name.', type: 'string', required: true, default: { '@path': '$.event' } },
        time: { label: 'Time', description: 'When the event happened (ISO 8601).', type: 'datetime', required: true, default: { '@path': '$.timestamp' } },
        properties: { label: 'Event Properties', description: 'Properties of the event.', type: 'object', default: { '@path': '$.properties' } },
      },
      perform: (request, { payload, settings }) =>
        request(joinUrl(settings.endpoint, '/users/track'), { method: 'post', ...jsonBody({ events: [trackItem(payload, settings)] }) }),
      performBatch: (request, { payload, settings }) =>
        request(joinUrl(settings.endpoint, '/users/track'), { method: 'post', ...jsonBody({ events: payload.map((p) => trackItem(p, settings)) }) }),
    },
    updateUserProfile: {
      title: 'Update User Profile',
      description: 'Update custom attributes of a Braze user.',
      defaultSubscription: 'type = "identify"',
      fields: {
        external_id: { label: 'External User ID', description: 'The user id in Braze.', type: 'string', required: true, default: { '@path': '$.userId' } },
        custom_attributes: { label: 'Custom Attributes', description: 'Attributes to set.', type: 'object', default: { '@path': '$.traits' } },
      },
      perform: (request, { payload, settings }) =>
        request(joinUrl(settings.endpoint, '/users/track'), { method: 'post', ...jsonBody({ attributes: [attributeItem(payload)] }) }),
      performBatch: (request, { payload, settings }) =>
        request(joinUrl(settings.endpoint, '/users/track'), { method: 'post', ...jsonBody({ attributes: payload.map(attributeItem) }) }),
    },
  },
};

function trackItem(p: Record<string, unknown>, settings: BrazeSettings) {
  return { external_id: p.external_id, app_id: settings.app_id, name: p.name, time: p.time, properties: p.properties ?? {} };
}

function attributeItem(p: Record<string, unknown>) {
  return { ...((p.custom_attributes as Record<string, unknown>) ?? {}), external_id: p.external_id };
}

export const braze: DestinationAdapter<BrazeSettings> = {
  type: 'braze',
  definition: brazeDefinition,
  maxBatchSize: 75,
  // 3,000 requests per 3 seconds.
  defaultRequestsPerSecond: 1000,
  settings(destination: Destination, env?: NodeJS.ProcessEnv): BrazeSettings {
    if (destination.type !== 'braze') throw new Error('not a Braze destination');
    const s = destination.settings;
    return { api_key: resolveSecret(s.apiKey, env), app_id: s.appId, endpoint: s.endpoint };
  },
  preset: (trigger) => (isTrackTrigger(trigger) ? 'trackEvent' : 'updateUserProfile'),
};
