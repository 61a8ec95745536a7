import type { Destination, DestinationType } from '../../model/destination.js';
import type { Trigger } from '../../model/emitter.js';
import type { Warehouse } from '../../warehouse/types.js';
import type { DestinationDefinition } from '../actions-core.js';
import type { SegmentEvent } from '../build-event.js';
import type { SendOutcome } from '../send/classify.js';

/** The action and mapping an emitter runs (its own, or its destination's preset). */
export interface ActionChoice {
  action: string;
  mapping: Record<string, unknown>;
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
   * The definition's settings, secrets read from the environment now (DESIGN D9): call at the
   * moment of sending and never keep, log or print the result.
   */
  settings(destination: Destination, env?: NodeJS.ProcessEnv): S;
  /** The action (and its mapping) an emitter with no mapping runs for its trigger. */
  preset(trigger: Trigger): string;
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

/** ISO timestamp (or anything Date parses) as whole unix seconds, as Iterable and Customer.io take. */
export function unixSeconds(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(String(value));
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

export const isTrackTrigger = (t: Trigger) => t !== 'audience_membership_changed';
