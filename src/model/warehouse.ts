import { z } from 'zod';
import { SecretRef } from './common.js';
import { urlCredential } from './credential-names.js';

export const DEFAULT_STATE_SCHEMA = 'LINKED_AUDIENCES';

const StateSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default(DEFAULT_STATE_SCHEMA);

export const DuckDbWarehouse = z
  .object({
    type: z.literal('duckdb'),
    /** A DuckDB file, relative to the project directory, or ':memory:'. */
    path: z.string().min(1),
    stateSchema: StateSchema,
  })
  .strict();

export const SnowflakeAuth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('keypair'), privateKey: SecretRef, passphrase: SecretRef.optional() }).strict(),
  z.object({ type: z.literal('password'), password: SecretRef }).strict(),
]);

export const SnowflakeWarehouse = z
  .object({
    type: z.literal('snowflake'),
    account: z
      .string()
      .min(1)
      // The driver builds the host from it: a URL or host here gives a login to a host that does not exist.
      .refine((a) => !/[:/]/.test(a) && !/\.snowflakecomputing\.com$/i.test(a), {
        message:
          "must be the account identifier (myorg-myaccount, or a locator with its region such as xy12345.eu-west-1), not a URL or host: drop 'https://' and '.snowflakecomputing.com'; a private link or proxy goes in accessUrl",
      }),
    username: z.string().min(1),
    database: z.string().min(1),
    warehouse: z.string().min(1),
    role: z.string().min(1),
    schema: z.string().min(1).optional(),
    auth: SnowflakeAuth,
    /**
     * The endpoint, instead of https://<account>.snowflakecomputing.com: a private-link host
     * (https://<account>.privatelink.snowflakecomputing.com), a proxy, or a local emulation in tests.
     */
    accessUrl: z
      .string()
      .url()
      .regex(/^https?:\/\//i, 'accessUrl must be an http:// or https:// URL')
      .refine((u) => !URL.canParse(u) || urlCredential(new URL(u)) === undefined, {
        // Stored and shown in clear (cdktf.out, plans, PR comments): the password goes in auth, as a secret.
        message: 'accessUrl holds a credential (user:password@ or a token query parameter), which would be stored and shown in clear: remove it; the login is auth, given as secret("ENV_VAR")',
      })
      .optional(),
    /** Gives up a login (network included) after this many seconds. Default 60. */
    loginTimeoutSeconds: z.number().int().positive().optional(),
    /** Snowflake cancels a statement running longer (STATEMENT_TIMEOUT_IN_SECONDS, set on each statement). */
    statementTimeoutSeconds: z.number().int().positive().optional(),
    /** The team's label, put in front of each statement's QUERY_TAG: `<queryTag> linked-audiences:<command>:<audience>`. */
    queryTag: z.string().min(1).max(1000).optional(),
    stateSchema: StateSchema,
  })
  .strict();

export const WarehouseConfig = z.discriminatedUnion('type', [DuckDbWarehouse, SnowflakeWarehouse]);
export type WarehouseConfig = z.infer<typeof WarehouseConfig>;
export type DuckDbWarehouseConfig = z.infer<typeof DuckDbWarehouse>;
export type SnowflakeWarehouseConfig = z.infer<typeof SnowflakeWarehouse>;
