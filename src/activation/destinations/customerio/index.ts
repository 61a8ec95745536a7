import type { Destination } from '../../../model/destination.js';
import { basicAuth, resolveSecret } from '../../../secrets.js';
import { jsonBody, type CoreResponse, type DestinationDefinition, type RequestClient } from '../../actions-core.js';
import { convertTopLevel, isoMillis, toUnixSeconds, unixSeconds } from '../dates.js';
import { itemResults, jsonOf, type ItemError } from '../item-results.js';
import { isTrackTrigger, joinUrl, presetAction, triggerPresets, type DestinationAdapter } from '../types.js';
import { ulidOf } from './ulid.js';

export interface CustomerIoSettings {
  siteId: string;
  apiKey: string;
  accountRegion: 'US' | 'EU';
  baseUrl: string;
}

export const CUSTOMERIO_REGIONS = { US: 'https://track.customer.io', EU: 'https://track-eu.customer.io' } as const;

type Payload = Record<string, unknown>;

const convertTimestamp = {
  label: 'Convert Timestamps',
  description: 'Convert ISO 8601 dates and date-times among the attributes to unix seconds (Customer.io\'s date type).',
  type: 'boolean' as const,
  default: true,
};

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
    headers: { Authorization: basicAuth(settings.siteId, settings.apiKey) },
  }),
  actions: {
    trackEvent: {
      title: 'Track Event',
      description: 'Track a person event.',
      defaultSubscription: 'type = "track"',
      fields: {
        id: { label: 'Person ID', description: 'The person identifier.', type: 'string', required: true, default: { '@path': '$.userId' } },
        name: { label: 'Event Name', description: 'The event name.', type: 'string', required: true, default: { '@path': '$.event' } },
        event_id: {
          label: 'Event ID',
          description: 'Deduplication id: sent as a ULID (Customer.io\'s format), derived from the messageId when it is not one.',
          type: 'string',
          default: { '@path': '$.messageId' },
        },
        timestamp: { label: 'Timestamp', description: 'When the event happened.', type: 'datetime', default: { '@path': '$.timestamp' } },
        data: { label: 'Event Attributes', description: 'Event data.', type: 'object', default: { '@path': '$.properties' } },
        convert_timestamp: convertTimestamp,
      },
      perform: (request, { payload, settings }) => send(request, settings, [eventItem(payload)], false),
      performBatch: (request, { payload, settings }) => send(request, settings, payload.map(eventItem), true),
    },
    createUpdatePerson: {
      title: 'Create or Update Person',
      description: 'Identify a person and set attributes.',
      defaultSubscription: 'type = "identify"',
      fields: {
        id: { label: 'Person ID', description: 'The person identifier.', type: 'string', required: true, default: { '@path': '$.userId' } },
        email: { label: 'Email', description: 'The person\'s email (sent only when it has a value).', type: 'string', default: { '@path': '$.traits.email' } },
        custom_attributes: { label: 'Person Attributes', description: 'Person attributes.', type: 'object', default: { '@path': '$.traits' } },
        timestamp: {
          label: 'Timestamp',
          description: 'When the change happened: a resent or replayed identify then never overwrites newer state.',
          type: 'datetime',
          default: { '@path': '$.timestamp' },
        },
        convert_timestamp: convertTimestamp,
      },
      perform: (request, { payload, settings }) => send(request, settings, [identifyItem(payload)], false),
      performBatch: (request, { payload, settings }) => send(request, settings, payload.map(identifyItem), true),
    },
  },
};
customerioDefinition.presets = triggerPresets(customerioDefinition.actions, (t) => (isTrackTrigger(t) ? 'trackEvent' : 'createUpdatePerson'));

/** One item to /api/v2/entity; a batch to /api/v2/batch, which answers 207 with per-item errors. */
async function send(request: RequestClient, settings: CustomerIoSettings, items: Payload[], batch: boolean) {
  const response = batch
    ? await request(joinUrl(settings.baseUrl, '/api/v2/batch'), { method: 'post', ...jsonBody({ batch: items }) })
    : await request(joinUrl(settings.baseUrl, '/api/v2/entity'), { method: 'post', ...jsonBody(items[0]) });
  return itemResults(response, items, customerioItemErrors);
}

/** Customer.io's batch errors: `{ errors: [{ batch_index, reason, field, message }] }` (HTTP 207). */
export function customerioItemErrors(response: CoreResponse): ItemError[] {
  const errors = jsonOf(response).errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object' && Number.isInteger(e.batch_index))
    .map((e) => ({
      index: e.batch_index as number,
      status: 400,
      message: `Customer.io: ${[e.reason, e.field, e.message].filter((x) => x !== undefined && x !== null && x !== '').join(': ') || 'invalid item'}`,
      body: e,
    }));
}

const attributesOf = (value: unknown, convert: unknown): Payload => {
  const obj = value !== null && typeof value === 'object' ? (value as Payload) : {};
  return convert === false ? { ...obj } : convertTopLevel(obj, toUnixSeconds);
};

function eventItem(p: Payload) {
  const timestamp = unixSeconds(p.timestamp);
  return {
    type: 'person',
    action: 'event',
    identifiers: { id: p.id },
    name: p.name,
    ...(typeof p.event_id === 'string' && p.event_id !== '' ? { id: ulidOf(p.event_id, isoMillis(p.timestamp) ?? (timestamp ?? 0) * 1000) } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
    attributes: attributesOf(p.data, p.convert_timestamp),
  };
}

function identifyItem(p: Payload) {
  const timestamp = unixSeconds(p.timestamp);
  const attributes = attributesOf(p.custom_attributes, p.convert_timestamp);
  if (typeof p.email === 'string' && p.email !== '') attributes.email = p.email;
  return { type: 'person', action: 'identify', identifiers: { id: p.id }, ...(timestamp !== undefined ? { timestamp } : {}), attributes };
}

export const customerio: DestinationAdapter<CustomerIoSettings> = {
  type: 'customerio',
  definition: customerioDefinition,
  maxBatchSize: 100,
  // The v2 batch endpoint takes at most 500 KB per request.
  maxBatchBytes: 450 * 1024,
  // Customer.io asks for about 100 requests/s to the Track API.
  defaultRequestsPerSecond: 100,
  settings(destination: Destination, env?: NodeJS.ProcessEnv): CustomerIoSettings {
    if (destination.type !== 'customerio') throw new Error('not a Customer.io destination');
    const s = destination.settings;
    return { siteId: s.siteId, apiKey: resolveSecret(s.apiKey, env), accountRegion: s.accountRegion, baseUrl: s.endpoint ?? CUSTOMERIO_REGIONS[s.accountRegion] };
  },
  preset: (trigger) => presetAction(customerioDefinition, trigger),
};
