import type { Construct } from './cdktn.js';
import { l1 } from './l1.js';
import { LinkedResource } from './resource.js';
import type { SecretRef } from '../src/model/common.js';
import type { DestinationType } from '../src/model/destination.js';

/**
 * A secret by reference: the name of the environment variable that holds it. The value is read
 * when an event is delivered, never at synth: it never reaches cdktf.out.
 */
export function secret(envVar: string): SecretRef {
  return { secret: envVar };
}

export interface DestinationCommonProps {
  /**
   * The resource key: immutable, names the destination in emitters, the plan and the state.
   * @default - the construct id
   */
  readonly key?: string;
  /**
   * Display name.
   * @default - the key
   */
  readonly name?: string;
  /**
   * Events per request, capped at the destination API's limit.
   * @default - the API's limit
   */
  readonly batchSize?: number;
  /**
   * Requests per second to the destination.
   * @default - the API's published limit, when it has one; else no limit
   */
  readonly requestsPerSecond?: number;
  /**
   * Minutes delivery keeps retrying a retryable failure (5xx, 429, timeouts), with backoff and
   * across runs, before the events go to dead letters; 0 dead-letters them at the first failure.
   * @default 240 (4 hours)
   */
  readonly retryBudgetMinutes?: number;
  /**
   * Refuse a plan that deletes or replaces the destination.
   * @default false
   */
  readonly preventDestroy?: boolean;
}

export interface WebhookProps extends DestinationCommonProps {
  /** The URL events are POSTed to. */
  readonly url: string;
  /**
   * Request headers; a value may be `secret('ENV')` (an Authorization header is a secret).
   * @default {}
   */
  readonly headers?: Record<string, string | SecretRef>;
  /**
   * POST an array of events per request instead of one event.
   * @default false
   */
  readonly batch?: boolean;
}

export interface BrazeProps extends DestinationCommonProps {
  /** The REST API key, by reference: `secret('BRAZE_API_KEY')`. */
  readonly apiKey: SecretRef;
  /** The app identifier sent as each event's `app_id`. */
  readonly appId: string;
  /** The REST endpoint of the Braze instance, e.g. `https://rest.iad-01.braze.com`. */
  readonly endpoint: string;
}

export interface IterableProps extends DestinationCommonProps {
  /** The server-side API key, by reference: `secret('ITERABLE_API_KEY')`. */
  readonly apiKey: SecretRef;
  /**
   * The Iterable data center.
   * @default 'united_states'
   */
  readonly dataCenterLocation?: 'united_states' | 'europe';
  /**
   * Overrides the data center's base URL (tests, proxies).
   * @default - the data center's base URL
   */
  readonly endpoint?: string;
}

export interface CustomerIoProps extends DestinationCommonProps {
  /** The Track API site id (the user of its Basic authentication). */
  readonly siteId: string;
  /** The Track API key, by reference: `secret('CUSTOMERIO_API_KEY')`. */
  readonly apiKey: SecretRef;
  /**
   * The Customer.io account region.
   * @default 'US'
   */
  readonly accountRegion?: 'US' | 'EU';
  /**
   * Overrides the region's base URL (tests, proxies).
   * @default - the region's base URL
   */
  readonly endpoint?: string;
}

export interface SegmentProps extends DestinationCommonProps {
  /** The write key of the Segment source, by reference: `secret('SEGMENT_WRITE_KEY')`. */
  readonly writeKey: SecretRef;
  /**
   * The region of the source's workspace.
   * @default 'US'
   */
  readonly region?: 'US' | 'EU';
  /**
   * Overrides the region's base URL (tests, proxies).
   * @default - 'https://api.segment.io' (US), 'https://events.eu1.segmentapis.com' (EU)
   */
  readonly endpoint?: string;
}

export interface WarehouseDestinationProps extends DestinationCommonProps {
  /**
   * The table events are written to, in the stack's own warehouse: `table`, `schema.table` or
   * (Snowflake) `database.schema.table`, spelled as the catalog spells it. Created when missing;
   * one row per event, written once per messageId.
   */
  readonly table: string;
}

export interface DestinationProps extends DestinationCommonProps {
  /** The destination type: `webhook`, `braze`, `iterable`, `customerio`, `segment` or `warehouse`. */
  readonly type: DestinationType;
  /** The destination type's settings (see the static factories for their shapes). */
  readonly settings: Record<string, unknown>;
}

/** Splits factory props into the common part and the type's settings. */
function split<P extends DestinationCommonProps>(type: DestinationType, props: P): DestinationProps {
  const { key, name, batchSize, requestsPerSecond, retryBudgetMinutes, preventDestroy, ...settings } = props;
  return { key, name, batchSize, requestsPerSecond, retryBudgetMinutes, preventDestroy, type, settings };
}

/** Where an emitter's events go. Build one with `Destination.webhook(...)`, `.braze(...)`... */
export class Destination extends LinkedResource<'destination'> {
  /** Any HTTP endpoint; `headers` values may be `secret('ENV')`. */
  static webhook(scope: Construct, id: string, props: WebhookProps): Destination {
    return new Destination(scope, id, split('webhook', props));
  }
  static braze(scope: Construct, id: string, props: BrazeProps): Destination {
    return new Destination(scope, id, split('braze', props));
  }
  static iterable(scope: Construct, id: string, props: IterableProps): Destination {
    return new Destination(scope, id, split('iterable', props));
  }
  static customerIo(scope: Construct, id: string, props: CustomerIoProps): Destination {
    return new Destination(scope, id, split('customerio', props));
  }
  static segment(scope: Construct, id: string, props: SegmentProps): Destination {
    return new Destination(scope, id, split('segment', props));
  }
  /** A change log of membership in a table of the stack's warehouse (DuckDB or Snowflake). */
  static warehouse(scope: Construct, id: string, props: WarehouseDestinationProps): Destination {
    return new Destination(scope, id, split('warehouse', props));
  }

  readonly resource: l1.destination.Destination;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: DestinationProps,
  ) {
    super(scope, id, 'destination', props.key ?? id);
    this.resource = this.createL1(l1.destination.Destination);
  }

  get type(): DestinationType {
    return this.props.type;
  }

  toModel(): Record<string, unknown> {
    return {
      key: this.key,
      name: this.props.name ?? this.key,
      type: this.props.type,
      settings: this.props.settings,
      batchSize: this.props.batchSize,
      requestsPerSecond: this.props.requestsPerSecond,
      retryBudgetMinutes: this.props.retryBudgetMinutes,
      preventDestroy: this.props.preventDestroy,
    };
  }
}
