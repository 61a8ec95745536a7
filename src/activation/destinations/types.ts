import type { Destination, DestinationType } from '../../model/destination.js';
import type { Trigger } from '../../model/emitter.js';
import { fieldDefaults, type DestinationDefinition, type PresetDefinition } from '../actions-core.js';
import type { Warehouse } from '../../warehouse/types.js';
import type { SegmentEvent } from '../build-event.js';
import type { SendOutcome } from '../send/classify.js';

/** The action and mapping an emitter runs (its own, or its destination's preset). */
export interface ActionChoice {
  action: string;
  mapping: Record<string, unknown>;
  /**
   * The mapping hands the action each event as it is (see `eventAsIs` of the adapter): the request
   * carries the events themselves, which mapping-kit would only have copied whole.
   */
  eventAsIs?: boolean;
}

/**
 * A destination type: an actions-core definition plus what delivery needs to know about its API
 * (batch limits, default rate) and how to turn the model's settings into the definition's.
 */
export interface DestinationAdapter<S = Record<string, unknown>> {
  type: DestinationType;
  definition: DestinationDefinition<S>;
  /** The most events one request may carry. */
  maxBatchSize: number;
  /** The most bytes of events one request may carry (Segment: 500 KB). */
  maxBatchBytes?: number;
  /** Requests per second when the destination sets none (the API's published limit). */
  defaultRequestsPerSecond?: number;
  /**
   * The definition's settings, secrets read from the environment now (decision D9): call at the
   * moment of sending and never keep, log or print the result.
   */
  settings(destination: Destination, env?: NodeJS.ProcessEnv): S;
  /** The action (and its mapping) an emitter with no mapping runs for its trigger. */
  preset(trigger: Trigger): string;
  /**
   * The action field that takes the event as it is, when an emitter maps it `{ "@path": "$." }`
   * and nothing else (the webhook's body): actions-core then runs the action with no mapping, and
   * the action reads the events from its `rawData`, as mapping-kit's result would only be a copy
   * of each, undefined members dropped, which JSON drops as well.
   */
  eventAsIs?: { action: string; field: string };
  /** True when this destination sends one event per request (webhook without batch). */
  singleEvent?(destination: Destination): boolean;
  /**
   * A destination that is not an HTTP API (the warehouse destination) writes a batch itself, on
   * the delivery's warehouse connection, instead of through actions-core; the answer reads as an
   * HTTP request's would (sent, rejected, or retry).
   */
  write?(destination: Destination, events: readonly SegmentEvent[], ctx: DirectWriteContext): Promise<SendOutcome>;
}

/** What a destination that writes itself gets besides its events. */
export interface DirectWriteContext {
  /** The delivery's connection (undefined when the caller has none: such destinations retry). */
  warehouse: Warehouse | undefined;
  audienceKey: string;
  emitterKey: string;
}

/** `base` + `path` with exactly one slash between them. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

export const isTrackTrigger = (t: Trigger) => t !== 'audience_membership_changed';

/** The event slug of each trigger in Segment's presets (`type: 'specificEvent'`). */
export const TRIGGER_EVENT_SLUGS: Record<Trigger, string> = {
  entity_added: 'warehouse_entity_added_track',
  entity_removed: 'warehouse_entity_removed_track',
  audience_entered: 'warehouse_audience_entered_track',
  audience_exited: 'warehouse_audience_exited_track',
  audience_membership_changed: 'warehouse_audience_membership_changed_identify',
};

const PRESET_NAMES: Record<Trigger, string> = {
  entity_added: 'Associated Entity Added',
  entity_removed: 'Associated Entity Removed',
  audience_entered: 'Entities Audience Entered',
  audience_exited: 'Entities Audience Exited',
  audience_membership_changed: 'Entities Audience Membership Changed',
};

/**
 * One preset per trigger, as Segment ships them: the action each trigger runs, its mapping the
 * action's field defaults (what an emitter without a mapping sends). The mapping is made on first
 * read: it takes actions-core, which the definitions are imported without (commands that only
 * read delivery's state never load it).
 */
export function triggerPresets(actions: DestinationDefinition<any>['actions'], actionOf: (trigger: Trigger) => string): PresetDefinition[] {
  return (Object.keys(TRIGGER_EVENT_SLUGS) as Trigger[]).map((trigger) => {
    const action = actionOf(trigger);
    let mapping: Record<string, unknown> | undefined;
    return {
      name: PRESET_NAMES[trigger],
      partnerAction: action,
      get mapping() {
        return (mapping ??= fieldDefaults(actions[action].fields as Record<string, unknown>));
      },
      type: 'specificEvent',
      eventSlug: TRIGGER_EVENT_SLUGS[trigger],
    };
  });
}

/** The action of the preset for `trigger` in a definition's presets. */
export function presetAction(definition: DestinationDefinition<any>, trigger: Trigger): string {
  const preset = definition.presets?.find((p) => p.type === 'specificEvent' && p.eventSlug === TRIGGER_EVENT_SLUGS[trigger]);
  if (!preset) throw new Error(`${definition.name} has no preset for ${trigger}`);
  return preset.partnerAction;
}
