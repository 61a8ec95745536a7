import { z } from 'zod';
import { SecretRef } from './common.js';

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
    account: z.string().min(1),
    username: z.string().min(1),
    database: z.string().min(1),
    warehouse: z.string().min(1),
    role: z.string().min(1),
    schema: z.string().min(1).optional(),
    auth: SnowflakeAuth,
    /** Test hook and private-link support: overrides https://<account>.snowflakecomputing.com. */
    accessUrl: z.string().url().optional(),
    stateSchema: StateSchema,
  })
  .strict();

export const WarehouseConfig = z.discriminatedUnion('type', [DuckDbWarehouse, SnowflakeWarehouse]);
export type WarehouseConfig = z.infer<typeof WarehouseConfig>;
export type DuckDbWarehouseConfig = z.infer<typeof DuckDbWarehouse>;
export type SnowflakeWarehouseConfig = z.infer<typeof SnowflakeWarehouse>;
