import type { Destination } from '../../../model/destination.js';
import { isSecretRef } from '../../../model/common.js';
import { resolveSecret } from '../../../secrets.js';
import { eventsBody, jsonBody, ranAsIs, type DestinationDefinition } from '../../actions-core.js';
import type { SegmentEvent } from '../../build-event.js';
import { presetAction, triggerPresets, type DestinationAdapter } from '../types.js';

export interface WebhookSettings {
  url: string;
  headers: Record<string, string>;
  batch: boolean;
}

/** POST JSON to a URL; in batch mode the body is an array of events (REFERENCE.md). */
export const webhookDefinition: DestinationDefinition<WebhookSettings> = {
  name: 'Webhook',
  slug: 'linked-webhook',
  mode: 'cloud',
  extendRequest: ({ settings }) => ({ headers: settings.headers }),
  actions: {
    send: {
      title: 'Send',
      description: 'POST the event (or, in batch mode, an array of events) as JSON.',
      defaultSubscription: 'type = "track" or type = "identify"',
      fields: {
        data: { label: 'Data', description: 'The JSON body of each event.', type: 'object', default: { '@path': '$.' } },
      },
      perform: (request, { payload, settings }) => request(settings.url, { method: 'post', ...jsonBody(payload.data) }),
      performBatch: (request, bundle) => {
        const { payload, settings } = bundle;
        // Run as is, the batch's events are the bodies (as built: rawData).
        if (ranAsIs(bundle)) return request(settings.url, { method: 'post', ...eventsBody(bundle.rawData as SegmentEvent[], settings.batch) });
        const bodies = payload.map((p) => p.data);
        return request(settings.url, { method: 'post', ...jsonBody(settings.batch ? bodies : bodies[0]) });
      },
    },
  },
};

webhookDefinition.presets = triggerPresets(webhookDefinition.actions, () => 'send');

export const webhook: DestinationAdapter<WebhookSettings> = {
  type: 'webhook',
  definition: webhookDefinition,
  maxBatchSize: 1000,
  eventAsIs: { action: 'send', field: 'data' },
  settings(destination: Destination, env?: NodeJS.ProcessEnv): WebhookSettings {
    if (destination.type !== 'webhook') throw new Error('not a webhook destination');
    const s = destination.settings;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(s.headers)) headers[name] = isSecretRef(value) ? resolveSecret(value, env) : value;
    return { url: s.url, headers, batch: s.batch };
  },
  preset: (trigger) => presetAction(webhookDefinition, trigger),
  singleEvent: (destination) => destination.type === 'webhook' && !destination.settings.batch,
};
