import type { Destination } from '../../../model/destination.js';
import { resolveSecret } from '../../../secrets.js';
import { jsonBody, type CoreResponse, type DestinationDefinition } from '../../actions-core.js';
import { convertDeep, toIterableDate, unixSeconds } from '../dates.js';
import { itemResults, jsonOf, type ItemError } from '../item-results.js';
import { isTrackTrigger, joinUrl, presetAction, triggerPresets, type DestinationAdapter } from '../types.js';

export interface IterableSettings {
  apiKey: string;
  dataCenterLocation: 'united_states' | 'europe';
  /** Base URL: the data center's, unless the destination overrides it. */
  baseUrl: string;
}

export const ITERABLE_DATA_CENTERS = { united_states: 'https://api.iterable.com', europe: 'https://api.eu.iterable.com' } as const;

type Payload = Record<string, unknown>;

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
  actions: {
    trackEvent: {
      title: 'Track Event',
      description: 'Track an event in Iterable.',
      defaultSubscription: 'type = "track"',
      fields: {
        email: { label: 'Email', description: 'Email of the user (email or userId is required).', type: 'string', default: { '@path': '$.properties.email' } },
        userId: { label: 'User ID', description: 'The user id.', type: 'string', default: { '@path': '$.userId' } },
        eventName: { label: 'Event Name', description: 'The event name.', type: 'string', required: true, default: { '@path': '$.event' } },
        id: { label: 'Event ID', description: 'Unique id: Iterable keeps one event per id, so a resent event replaces itself.', type: 'string', default: { '@path': '$.messageId' } },
        createdAt: { label: 'Created At', description: 'When the event happened.', type: 'datetime', default: { '@path': '$.timestamp' } },
        dataFields: { label: 'Data Fields', description: 'Event properties; dates are sent as yyyy-MM-dd HH:mm:ss +00:00.', type: 'object', default: { '@path': '$.properties' } },
      },
      perform: async (request, { payload, settings }) => {
        const item = trackItem(payload);
        return itemResults(await request(joinUrl(settings.baseUrl, '/api/events/track'), { method: 'post', ...jsonBody(item) }), [item], iterableItemErrors);
      },
      performBatch: async (request, { payload, settings }) => {
        const events = payload.map(trackItem);
        return itemResults(await request(joinUrl(settings.baseUrl, '/api/events/trackBulk'), { method: 'post', ...jsonBody({ events }) }), events, iterableItemErrors);
      },
    },
    updateUser: {
      title: 'Update User',
      description: 'Create or update a user in Iterable.',
      defaultSubscription: 'type = "identify"',
      fields: {
        email: { label: 'Email', description: 'Email of the user.', type: 'string', default: { '@path': '$.traits.email' } },
        userId: { label: 'User ID', description: 'The user id.', type: 'string', default: { '@path': '$.userId' } },
        dataFields: { label: 'Data Fields', description: 'User fields to set; dates are sent as yyyy-MM-dd HH:mm:ss +00:00.', type: 'object', default: { '@path': '$.traits' } },
        mergeNestedObjects: { label: 'Merge Nested Objects', description: 'Merge nested objects instead of replacing them.', type: 'boolean', default: false },
      },
      perform: async (request, { payload, settings }) => {
        const item = userItem(payload);
        return itemResults(await request(joinUrl(settings.baseUrl, '/api/users/update'), { method: 'post', ...jsonBody(item) }), [item], iterableItemErrors);
      },
      performBatch: async (request, { payload, settings }) => {
        const users = payload.map(userItem);
        return itemResults(await request(joinUrl(settings.baseUrl, '/api/users/bulkUpdate'), { method: 'post', ...jsonBody({ users }) }), users, iterableItemErrors);
      },
    },
  },
};
iterableDefinition.presets = triggerPresets(iterableDefinition.actions, (t) => (isTrackTrigger(t) ? 'trackEvent' : 'updateUser'));

const asStrings = (v: unknown): Set<string> => new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * Iterable's bulk answers: `failCount` with the failing users by identifier, in `invalidEmails` /
 * `invalidUserIds` and the lists of `failedUpdates` (`conflictEmails`, `notFoundUserIds`, …), and
 * `disallowedEventNames`. Each item whose email, userId or event name is listed fails with the list's name.
 */
export function iterableItemErrors(response: CoreResponse, items: readonly Payload[]): ItemError[] {
  const body = jsonOf(response);
  const lists: [string, Set<string>, 'email' | 'userId' | 'eventName'][] = [];
  const add = (name: string, value: unknown) => {
    const kind = /Emails$/.test(name) ? 'email' : /UserIds$/.test(name) ? 'userId' : /EventNames$/.test(name) ? 'eventName' : undefined;
    if (kind) lists.push([name, asStrings(value), kind]);
  };
  for (const name of ['invalidEmails', 'invalidUserIds', 'disallowedEventNames']) add(name, body[name]);
  const failed = body.failedUpdates;
  if (failed && typeof failed === 'object') for (const [name, value] of Object.entries(failed)) add(name, value);
  if (lists.every(([, set]) => set.size === 0)) return [];
  const out: ItemError[] = [];
  items.forEach((item, index) => {
    const hits = lists.filter(([, set, kind]) => typeof item[kind] === 'string' && set.has(item[kind] as string)).map(([name]) => name);
    if (hits.length > 0) out.push({ index, status: 400, message: `Iterable: ${hits.join(', ')}`, body: { failCount: body.failCount, lists: hits } });
  });
  return out;
}

const dataFieldsOf = (p: Payload) => (convertDeep(p.dataFields ?? {}, toIterableDate) as Payload);

function trackItem(p: Payload) {
  return { email: p.email, userId: p.userId, eventName: p.eventName, id: p.id, createdAt: unixSeconds(p.createdAt), dataFields: dataFieldsOf(p) };
}

function userItem(p: Payload) {
  return { email: p.email, userId: p.userId, dataFields: dataFieldsOf(p), mergeNestedObjects: p.mergeNestedObjects ?? false };
}

export const iterable: DestinationAdapter<IterableSettings> = {
  type: 'iterable',
  definition: iterableDefinition,
  maxBatchSize: 500,
  // Iterable limits bulkUpdate to 5 and trackBulk to 10 requests/s per project; one limiter serves both.
  defaultRequestsPerSecond: 5,
  settings(destination: Destination, env?: NodeJS.ProcessEnv): IterableSettings {
    if (destination.type !== 'iterable') throw new Error('not an Iterable destination');
    const s = destination.settings;
    return { apiKey: resolveSecret(s.apiKey, env), dataCenterLocation: s.dataCenterLocation, baseUrl: s.endpoint ?? ITERABLE_DATA_CENTERS[s.dataCenterLocation] };
  },
  preset: (trigger) => presetAction(iterableDefinition, trigger),
};
