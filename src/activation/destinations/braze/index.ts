import type { Destination } from '../../../model/destination.js';
import { resolveSecret } from '../../../secrets.js';
import { jsonBody, type ActionField, type CoreResponse, type DestinationDefinition, type RequestClient } from '../../actions-core.js';
import { convertTopLevel, dateOnly, toBrazeTime } from '../dates.js';
import { itemResults, jsonOf, type ItemError } from '../item-results.js';
import { isTrackTrigger, joinUrl, presetAction, triggerPresets, type DestinationAdapter } from '../types.js';

export interface BrazeSettings {
  api_key: string;
  app_id: string;
  endpoint: string;
}

type Payload = Record<string, unknown>;

const field = (label: string, description: string, type: ActionField['type'], path?: string): ActionField => ({
  label,
  description,
  type,
  ...(path ? { default: { '@path': path } } : {}),
});

/**
 * Braze's standard user attributes, the fields of Segment's Update User Profile with their defaults
 * (from the Identify's traits): sent as Braze types them, and never as custom attributes.
 */
const STANDARD_ATTRIBUTES: Record<string, ActionField> = {
  email: field('Email', 'The user\'s email.', 'string', '$.traits.email'),
  phone: field('Phone', 'The user\'s phone number (E.164).', 'string', '$.traits.phone'),
  first_name: field('First Name', 'The user\'s first name.', 'string', '$.traits.first_name'),
  last_name: field('Last Name', 'The user\'s last name.', 'string', '$.traits.last_name'),
  dob: field('Date of Birth', 'The user\'s date of birth, sent as YYYY-MM-DD.', 'string', '$.traits.birthday'),
  gender: field('Gender', 'M, F, O, N, P or U (male, female, other, … are converted).', 'string', '$.traits.gender'),
  country: field('Country', 'ISO-3166-1 alpha-2 country code.', 'string', '$.traits.address.country'),
  home_city: field('Home City', 'The user\'s city.', 'string', '$.traits.address.city'),
  language: field('Language', 'ISO-639-1 language code.', 'string', '$.traits.language'),
  time_zone: field('Time Zone', 'IANA time zone name.', 'string', '$.traits.timezone'),
  email_subscribe: field('Email Subscribe', 'opted_in, unsubscribed or subscribed.', 'string'),
  push_subscribe: field('Push Subscribe', 'opted_in, unsubscribed or subscribed.', 'string'),
};

/**
 * Keys Braze reserves in a user attributes object (identifiers and request flags) plus the standard
 * attributes: stripped from custom_attributes, as Segment's action strips its own field names.
 */
const RESERVED_ATTRIBUTE_KEYS = new Set(['external_id', 'user_alias', 'braze_id', 'email', 'phone', '_update_existing_only', 'push_token_import', 'push_tokens', ...Object.keys(STANDARD_ATTRIBUTES)]);
/** Keys Braze reserves in event properties. */
const RESERVED_EVENT_KEYS = new Set(['time', 'event_name']);

const GENDERS: Record<string, string> = { m: 'M', male: 'M', f: 'F', female: 'F', o: 'O', other: 'O', n: 'N', 'not applicable': 'N', p: 'P', 'prefer not to say': 'P', u: 'U', unknown: 'U' };

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
  actions: {
    trackEvent: {
      title: 'Track Event',
      description: 'Record a custom event in Braze.',
      defaultSubscription: 'type = "track"',
      fields: {
        external_id: { label: 'External User ID', description: 'The user id in Braze.', type: 'string', required: true, default: { '@path': '$.userId' } },
        name: { label: 'Event Name', description: 'The event name.', type: 'string', required: true, default: { '@path': '$.event' } },
        // Segment's preset reads the time from receivedAt.
        time: { label: 'Time', description: 'When the event happened (ISO 8601).', type: 'datetime', required: true, default: { '@path': '$.receivedAt' } },
        properties: { label: 'Event Properties', description: 'Properties of the event.', type: 'object', default: { '@path': '$.properties' } },
        message_id: {
          label: 'Message ID',
          description: 'Sent as the event property `message_id`: Braze does not deduplicate, so this is how a duplicate can be recognized downstream.',
          type: 'string',
          default: { '@path': '$.messageId' },
        },
        _update_existing_only: { label: 'Update Existing Only', description: 'Only update existing users.', type: 'boolean', default: false },
      },
      perform: (request, { payload, settings }) => sendTrack(request, settings, 'events', [trackItem(payload, settings)]),
      performBatch: (request, { payload, settings }) => sendTrack(request, settings, 'events', payload.map((p) => trackItem(p, settings))),
    },
    updateUserProfile: {
      title: 'Update User Profile',
      description: 'Update standard and custom attributes of a Braze user.',
      defaultSubscription: 'type = "identify"',
      fields: {
        external_id: { label: 'External User ID', description: 'The user id in Braze.', type: 'string', required: true, default: { '@path': '$.userId' } },
        ...STANDARD_ATTRIBUTES,
        custom_attributes: { label: 'Custom Attributes', description: 'Attributes to set (reserved keys and standard attributes are left out).', type: 'object', default: { '@path': '$.traits' } },
        _update_existing_only: { label: 'Update Existing Only', description: 'Only update existing users.', type: 'boolean', default: false },
      },
      perform: (request, { payload, settings }) => sendTrack(request, settings, 'attributes', [attributeItem(payload)]),
      performBatch: (request, { payload, settings }) => sendTrack(request, settings, 'attributes', payload.map(attributeItem)),
    },
  },
};
brazeDefinition.presets = triggerPresets(brazeDefinition.actions, (t) => (isTrackTrigger(t) ? 'trackEvent' : 'updateUserProfile'));

/**
 * POST /users/track with one array; `X-Braze-Batch: true` when it holds more than one item (Braze
 * asks batched requests to say so). A 201 may carry per-item `errors`: each one fails its event.
 */
async function sendTrack(request: RequestClient, settings: BrazeSettings, array: 'events' | 'attributes', items: Payload[]) {
  const headers = items.length > 1 ? { 'X-Braze-Batch': 'true' } : {};
  const body = jsonBody({ [array]: items });
  const response = await request(joinUrl(settings.endpoint, '/users/track'), { method: 'post', ...body, headers: { ...body.headers, ...headers } });
  return itemResults(response, items, (r) => brazeItemErrors(r, array));
}

/** Braze's minor errors: `{ errors: [{ type, input_array, index }] }` beside `message: "success"`. */
export function brazeItemErrors(response: CoreResponse, array: 'events' | 'attributes'): ItemError[] {
  const errors = jsonOf(response).errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object' && e.input_array === array && Number.isInteger(e.index))
    .map((e) => ({ index: e.index as number, status: 400, message: `Braze: ${String(e.type ?? 'invalid item')}`, body: e }));
}

function withoutKeys(obj: unknown, reserved: Set<string>): Payload {
  const out: Payload = {};
  if (obj === null || typeof obj !== 'object') return out;
  for (const [k, v] of Object.entries(obj)) if (!reserved.has(k)) out[k] = v;
  return out;
}

function trackItem(p: Payload, settings: BrazeSettings) {
  const properties = convertTopLevel(withoutKeys(p.properties, RESERVED_EVENT_KEYS), toBrazeTime);
  if (p.message_id !== undefined) properties.message_id = p.message_id;
  return {
    external_id: p.external_id,
    app_id: settings.app_id,
    name: p.name,
    time: p.time,
    properties,
    ...(p._update_existing_only === true ? { _update_existing_only: true } : {}),
  };
}

function attributeItem(p: Payload) {
  const standard: Payload = {};
  for (const key of Object.keys(STANDARD_ATTRIBUTES)) {
    const value = p[key];
    if (value === undefined) continue;
    if (key === 'dob') standard.dob = value === null ? null : (dateOnly(value) ?? value);
    else if (key === 'gender' && typeof value === 'string') standard.gender = GENDERS[value.trim().toLowerCase()] ?? value;
    else standard[key] = value;
  }
  return {
    ...convertTopLevel(withoutKeys(p.custom_attributes, RESERVED_ATTRIBUTE_KEYS), toBrazeTime),
    ...standard,
    external_id: p.external_id,
    ...(p._update_existing_only === true ? { _update_existing_only: true } : {}),
  };
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
  preset: (trigger) => presetAction(brazeDefinition, trigger),
};
