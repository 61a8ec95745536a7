import { z } from 'zod';
import { nameOrKey, SecretRef, Slug } from './common.js';
import { credentialHeader, urlCredential } from './credential-names.js';

/**
 * An http(s) URL without a credential in it: no `user:password@`, no `?api_key=` (secrets go in
 * `secret()` headers). Any other scheme parses as a URL (`localhost:8787/in` is the scheme
 * `localhost:`) but no request can be sent to it.
 */
const Url = z
  .string()
  .url()
  .superRefine((value, ctx) => {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `the URL's scheme is "${url.protocol}": events are sent over HTTP, so write it with http:// or https://` });
    }
    const credential = urlCredential(url);
    if (credential && 'userinfo' in credential) {
      ctx.addIssue({
        code: 'custom',
        message: 'the URL holds a user name or password (user:password@): remove it and send the credential in a header given as secret("ENV_VAR")',
      });
    } else if (credential) {
      ctx.addIssue({
        code: 'custom',
        message: `the URL's query parameter "${credential.param}" holds a credential: remove it and send it in a header given as secret("ENV_VAR")`,
      });
    }
  });


/**
 * Header values may be literals or secret references. A credential header (Authorization, API
 * keys, tokens, passwords) must be a `secret()` reference; so should any custom header that is
 * sensitive, which is how a header is marked sensitive (masked everywhere, read from the environment).
 */
const Headers = z
  .record(z.string().min(1), z.union([z.string(), SecretRef]))
  .default({})
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === 'string' && credentialHeader(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `header "${name}" holds a credential as plain text: give it as secret("ENV_VAR") and set the environment variable where linked runs`,
        });
      }
    }
  });

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
  /** Display name; empty or omitted: the key. */
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
]).transform(nameOrKey);
export type Destination = z.infer<typeof Destination>;
export type DestinationType = Destination['type'];
export const DESTINATION_TYPES = ['webhook', 'braze', 'iterable', 'customerio', 'segment', 'warehouse'] as const;
