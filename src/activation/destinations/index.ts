import type { Destination, DestinationType } from '../../model/destination.js';
import type { EventEmitter } from '../../model/emitter.js';
import { LinkedError } from '../../model/errors.js';
import { fieldDefaults, validateMapping } from '../actions-core.js';
import { braze } from './braze/index.js';
import { customerio } from './customerio/index.js';
import { iterable } from './iterable/index.js';
import { segment } from './segment/index.js';
import type { ActionChoice, DestinationAdapter } from './types.js';
import { webhook } from './webhook/index.js';

export type { ActionChoice, DestinationAdapter } from './types.js';

const ADAPTERS: Record<DestinationType, DestinationAdapter<any>> = { webhook, braze, iterable, customerio, segment };

export function adapterOf(type: DestinationType): DestinationAdapter<any> {
  return ADAPTERS[type];
}

/** Events per request for a destination: its own batchSize, capped by the API's limit. */
export function batchSizeOf(destination: Destination): number {
  const adapter = adapterOf(destination.type);
  if (adapter.singleEvent?.(destination)) return 1;
  return Math.max(1, Math.min(destination.batchSize ?? adapter.maxBatchSize, adapter.maxBatchSize));
}

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
  return { action, mapping };
}
