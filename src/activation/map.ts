import type { Destination } from '../model/destination.js';
import type { EventEmitter } from '../model/emitter.js';
import { LinkedError } from '../model/errors.js';
import { fieldDefaults, transformMapping, validateMapping } from './actions-core.js';
import type { SegmentEvent } from './build-event.js';
import { adapterOf, type ActionChoice } from './destinations/index.js';

/*
 * The mapping stage: an event becomes an action's payload through the emitter's mapping-kit
 * mapping. When sending, actions-core applies it inside each request (send/runner.ts); previews and
 * test events apply it here to show the payload.
 */

/**
 * The action and mapping an emitter runs: its own action or the destination's preset for its
 * trigger; its mapping laid over the action's field defaults (so a partial mapping keeps the
 * preset's other fields, as Segment's presets do). Checked with mapping-kit's validator.
 */
export function actionChoiceOf(destination: Destination, emitter: EventEmitter): ActionChoice {
  const adapter = adapterOf(destination.type);
  const action = emitter.action ?? adapter.preset(emitter.trigger);
  const def = adapter.definition.actions[action];
  if (!def) {
    throw new LinkedError(
      'EMITTER_UNKNOWN_ACTION',
      `Event emitter "${emitter.key}": the ${adapter.definition.name} destination has no action "${action}" (actions: ${Object.keys(adapter.definition.actions).join(', ')}).`,
    );
  }
  const mapping = { ...fieldDefaults(def.fields as Record<string, unknown>), ...(emitter.mapping ?? {}) };
  try {
    validateMapping(mapping);
  } catch (e) {
    throw new LinkedError('EMITTER_INVALID_MAPPING', `Event emitter "${emitter.key}": its mapping is not valid mapping-kit: ${(e as Error).message}`);
  }
  return { action, mapping, ...(handsEventAsIs(adapter.eventAsIs, action, mapping) ? { eventAsIs: true } : {}) };
}

/** The mapping is `{ <field>: { "@path": "$." } }` for the action's as-is field, and nothing more. */
function handsEventAsIs(asIs: { action: string; field: string } | undefined, action: string, mapping: Record<string, unknown>): boolean {
  if (!asIs || asIs.action !== action) return false;
  const keys = Object.keys(mapping);
  const value = mapping[asIs.field] as Record<string, unknown> | undefined;
  return keys.length === 1 && keys[0] === asIs.field && value !== null && typeof value === 'object' && Object.keys(value).length === 1 && value['@path'] === '$.';
}

/** The payload the action receives for `event` (what a request carries for it). */
export function mapEvent(choice: ActionChoice, event: SegmentEvent): Record<string, unknown> {
  return transformMapping(choice.mapping, event);
}
