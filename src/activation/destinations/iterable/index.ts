import type { Destination } from '../../../model/destination.js';
import { resolveSecret } from '../../../secrets.js';
import { jsonBody, type DestinationDefinition } from '../../actions-core.js';
import { isTrackTrigger, joinUrl, unixSeconds, type DestinationAdapter } from '../types.js';

export interface IterableSettings {
  apiKey: string;
  dataCenterLocation: 'united_states' | 'europe';
  /** Base URL: the data center's, unless the destination overrides it. */
  baseUrl: string;
}

export const ITERABLE_DATA_CENTERS = { united_states: 'https://api.iterable.com', europe: 'https://api.eu.iterable.com' } as const;

/** Iterable track / update user, bulk endpoints for batches, Api-Key header (REFERENCE.md). */
export const iterableDefinition: DestinationDefinition<IterableSettings> = {
  name: 'Iterable',
  slug: 'linked-iterable',
  mode: 'cloud',
  authentication: {
    scheme: 'custom',
    fields: {
      apiKey: { label: 'API Key', description: 'Iterable server-side API key.', type: 'password', required: true },
      dataCenterLocation: { label: 'Data Center', description: 'united_states or europe.', type: 'string', required: true },
    },
  },
  extendRequest: ({ settings }) => ({ headers: { 'Api-Key': settings.apiKey } }),
  presets: [
    { name: 'Track Event', subscribe: 'type = "track"', partnerAction: 'trackEvent', mapping: {}, type: 'automatic' },
    { name: 'Update User', subscribe: 'type = "identify"', partnerAction: 'updateUser', mapping: {}, type: 'automatic' },
  ],
  actions: {
    trackEvent: {
      title: 'Track Event',
      description: 'Track an event in Iterable.',
      defaultSubscription: 'type = "track"',
      fields: {
        email: { label: 'Email', description: 'Email of the user (email or userId is required).', type: 'string', default: { '@path': '$.properties.email' } },
        userId: { label: 'User ID', description: 'The user id.', type: 'string', default: { '@path': '$.userId' } },
        eventName: { label: 'Event Name', description: 'The event name.', type: 'string', required: true, default: { '@path': '$.event' } },
        id: { label: 'Event ID', description: 'Unique id: Iterable dedupes on it.', type: 'string', default: { '@path': '$.messageId' } },
        createdAt: { label: 'Created At', description: 'When the event happened.', type: 'datetime', default: { '@path': '$.timestamp' } },
        dataFields: { label: 'Data Fields', description: 'Event properties.', type: 'object', default: { '@path': '$.properties' } },
      },
      perform: (request, { payload, settings }) =>
        request(joinUrl(settings.baseUrl, '/api/events/track'), { method: 'post', ...jsonBody(trackItem(payload)) }),
      performBatch: (request, { payload, settings }) =>
        request(joinUrl(settings.baseUrl, '/api/events/trackBulk'), { method: 'post', ...jsonBody({ events: payload.map(trackItem) }) }),
    },
    updateUser: {
      title: 'Update User',
      description: 'Create or update a user in Iterable.',
      defaultSubscription: 'type = "identify"',
      fields: {
        email: { label: 'Email', description: 'Email of the user.', type: 'string', default: { '@path': '$.traits.email' } },
        userId: { label: 'User ID', description: 'The user id.', type: 'string', default: { '@path': '$.userId' } },
        dataFields: { label: 'Data Fields', description: 'User fields to set.', type: 'object', default: { '@path': '$.traits' } },
        mergeNestedObjects: { label: 'Merge Nested Objects', description: 'Merge nested objects instead of replacing them.', type: 'boolean', default: false },
      },
      perform: (request, { payload, settings }) =>
        request(joinUrl(settings.baseUrl, '/api/users/update'), { method: 'post', ...jsonBody(userItem(payload)) }),
      performBatch: (request, { payload, settings }) =>
        request(joinUrl(settings.baseUrl, '/api/users/bulkUpdate'), { method: 'post', ...jsonBody({ users: payload.map(userItem) }) }),
    },
  },
};

function trackItem(p: Record<string, unknown>) {
  return { email: p.email, userId: p.userId, eventName: p.eventName, id: p.id, createdAt: unixSeconds(p.createdAt), dataFields: p.dataFields ?? {} };
}

function userItem(p: Record<string, unknown>) {
  return { email: p.email, userId: p.userId, dataFields: p.dataFields ?? {}, mergeNestedObjects: p.mergeNestedObjects ?? false };
}

export const iterable: DestinationAdapter<IterableSettings> = {
  type: 'iterable',
  definition: iterableDefinition,
  maxBatchSize: 500,
  settings(destination: Destination, env?: NodeJS.ProcessEnv): IterableSettings {
    if (destination.type !== 'iterable') throw new Error('not an Iterable destination');
    const s = destination.settings;
    return { apiKey: resolveSecret(s.apiKey, env), dataCenterLocation: s.dataCenterLocation, baseUrl: s.endpoint ?? ITERABLE_DATA_CENTERS[s.dataCenterLocation] };
  },
  preset: (trigger) => (isTrackTrigger(trigger) ? 'trackEvent' : 'updateUser'),
};
