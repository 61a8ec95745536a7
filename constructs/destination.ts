import type { z } from 'zod';
import type { Construct } from './cdktn.js';
import { LinkedResource } from './resource.js';
import type { SecretRef } from '../src/model/common.js';
import type {
  BrazeSettings,
  CustomerIoSettings,
  DestinationType,
  IterableSettings,
  SegmentSettings,
  WebhookSettings,
} from '../src/model/destination.js';

/**
 * A secret by reference: the name of the environment variable that holds it (DESIGN D9). The
 * value is read when an event is delivered, never at synth: it never reaches cdktf.out.
 */
export function secret(envVar: string): SecretRef {
  return { secret: envVar };
}

export interface DestinationCommonProps {
  /** Resource key; default: the construct id. */
  readonly key?: string;
  readonly name?: string;
  /** Events per request; each destination caps it at its API's limit. */
  readonly batchSize?: number;
  readonly requestsPerSecond?: number;
  readonly preventDestroy?: boolean;
}

export type WebhookProps = DestinationCommonProps & z.input<typeof WebhookSettings>;
export type BrazeProps = DestinationCommonProps & z.input<typeof BrazeSettings>;
export type IterableProps = DestinationCommonProps & z.input<typeof IterableSettings>;
export type CustomerIoProps = DestinationCommonProps & z.input<typeof CustomerIoSettings>;
export type SegmentProps = DestinationCommonProps & z.input<typeof SegmentSettings>;

export interface DestinationProps extends DestinationCommonProps {
  readonly type: DestinationType;
  /** The destination type's settings (see the static factories for their shapes). */
  readonly settings: Record<string, unknown>;
}

const COMMON_PROPS = ['key', 'name', 'batchSize', 'requestsPerSecond', 'preventDestroy'] as const;

/** Splits factory props into the common part and the type's settings. */
function split(type: DestinationType, props: DestinationCommonProps & object): DestinationProps {
  const settings: Record<string, unknown> = {};
  const common: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) {
    if ((COMMON_PROPS as readonly string[]).includes(k)) common[k] = v;
    else settings[k] = v;
  }
  return { ...(common as DestinationCommonProps), type, settings };
}

/** Where an emitter's events go. Build one with `Destination.webhook(...)`, `.braze(...)`... */
export class Destination extends LinkedResource {
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

  constructor(
    scope: Construct,
    id: string,
    private readonly props: DestinationProps,
  ) {
    super(scope, id, 'destination', props.key ?? id);
  }

  get type(): DestinationType {
    return this.props.type;
  }

  toModel(): Record<string, unknown> {
    return {
      key: this.key,
      name: this.props.name,
      type: this.props.type,
      settings: this.props.settings,
      batchSize: this.props.batchSize,
      requestsPerSecond: this.props.requestsPerSecond,
      preventDestroy: this.props.preventDestroy,
    };
  }
}
