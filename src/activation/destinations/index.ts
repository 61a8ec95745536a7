import type { Destination, DestinationType } from '../../model/destination.js';
import { braze } from './braze/index.js';
import { customerio } from './customerio/index.js';
import { iterable } from './iterable/index.js';
import { segment } from './segment/index.js';
import type { DestinationAdapter } from './types.js';
import { warehouse } from './warehouse/index.js';
import { webhook } from './webhook/index.js';

export type { ActionChoice, DestinationAdapter } from './types.js';

const ADAPTERS: Record<DestinationType, DestinationAdapter<any>> = { webhook, braze, iterable, customerio, segment, warehouse };

export function adapterOf(type: DestinationType): DestinationAdapter<any> {
  return ADAPTERS[type];
}

/** Events per request for a destination: its own batchSize, capped by the API's limit. */
export function batchSizeOf(destination: Destination): number {
  const adapter = adapterOf(destination.type);
  if (adapter.singleEvent?.(destination)) return 1;
  return Math.max(1, Math.min(destination.batchSize ?? adapter.maxBatchSize, adapter.maxBatchSize));
}
