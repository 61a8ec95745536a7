import { z } from 'zod';
import { SecretRef, Slug } from './common.js';

const Url = z.string().url();

/** Header values may be literals or secret references (an Authorization header is a secret). */
const Headers = z.record(z.string().min(1), z.union([z.string(), SecretRef])).default({});

export const WebhookSettings = z
  .object({ url: Url, headers: Headers, batch: z.boolean().default(false) })
  .strict();

export const BrazeSettings = z
  .object({ apiKey: SecretRef, appId: z.string().min(1), endpoint: Url })
  .strict();

export const IterableSettings = z
  .object({
    apiKey: SecretRef,
    dataCenterLocation: z.enum(['united_states', 'europe']).default('united_states'),
    /** Overrides the data center's base URL (tests, proxies). */
    endpoint: Url.optional(),
  })
  .strict();

export const CustomerIoSettings = z
  .object({
    siteId: z.string().min(1),
    apiKey: SecretRef,
    accountRegion: z.enum(['US', 'EU']).default('US'),
    endpoint: Url.optional(),
  })
  .strict();

export const SegmentSettings = z
  .object({
    writeKey: SecretRef,
    /** The Segment region of the source's workspace: US `https://api.segment.io`, EU `https://events.eu1.segmentapis.com`. */
    region: z.enum(['US', 'EU']).default('US'),
    /** Overrides the region's base URL (tests, proxies). */
    endpoint: Url.optional(),
  })
  .strict();

/**
 * The warehouse destination: events are written to a table of the stack's own warehouse
 * (`table`, `schema.table` or, on Snowflake, `database.schema.table`), created when missing.
 */
export const WarehouseDestinationSettings = z
  .object({ table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$/, 'a table name: table, schema.table or database.schema.table') })
  .strict();

const common = {
  key: Slug,
  name: z.string().default(''),
  /** Events per request; each destination caps it at its API's limit. */
  batchSize: z.number().int().positive().optional(),
  requestsPerSecond: z.number().positive().optional(),
  /**
   * How long delivery keeps retrying a retryable failure (5xx, 429, timeouts), with backoff and
   * across runs, before the events go to dead letters; 0 dead-letters them at the first failure.
   * Unset: 240 (4 hours, as Segment).
   */
  retryBudgetMinutes: z.number().nonnegative().optional(),
  preventDestroy: z.boolean().default(false),
};

export const Destination = z.discriminatedUnion('type', [
  z.object({ ...common, type: z.literal('webhook'), settings: WebhookSettings }).strict(),
  z.object({ ...common, type: z.literal('braze'), settings: BrazeSettings }).strict(),
  z.object({ ...common, type: z.literal('iterable'), settings: IterableSettings }).strict(),
  z.object({ ...common, type: z.literal('customerio'), settings: CustomerIoSettings }).strict(),
  z.object({ ...common, type: z.literal('segment'), settings: SegmentSettings }).strict(),
  z.object({ ...common, type: z.literal('warehouse'), settings: WarehouseDestinationSettings }).strict(),
]);
export type Destination = z.infer<typeof Destination>;
export type DestinationType = Destination['type'];
export const DESTINATION_TYPES = ['webhook', 'braze', 'iterable', 'customerio', 'segment', 'warehouse'] as const;
