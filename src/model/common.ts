import { z } from 'zod';

/** Resource keys and relationship/entity slugs: immutable, lowercase, dashes and underscores. */
export const Slug = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, "-" or "_", starting with a letter (max 63)');

/** A warehouse table reference as written by the user: `table`, `schema.table` or `db.schema.table`. */
export const TableRef = z
  .string()
  .min(1)
  .refine((s) => s.split('.').every((p) => p.length > 0) && s.split('.').length <= 3, {
    message: 'must be "table", "schema.table" or "database.schema.table"',
  });

/** A column name as it exists in the warehouse. Quoted by the SQL printer, never spliced. */
export const ColumnName = z.string().min(1).max(255);

/**
 * A secret is never a value in the model: only the name of the environment variable that holds it
 * (decision D9). The value is read at the moment of use by `resolveSecret`.
 */
export const SecretRef = z
  .object({ secret: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') })
  .strict();
export type SecretRef = z.infer<typeof SecretRef>;

export function isSecretRef(v: unknown): v is SecretRef {
  return SecretRef.safeParse(v).success;
}

/** Scalars a user may compare against. Dates and timestamps are ISO-8601 strings. */
export const Scalar = z.union([z.string(), z.number().finite(), z.boolean()]);
export type Scalar = z.infer<typeof Scalar>;

export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/, 'must be an ISO-8601 date or timestamp');

export const TimeUnit = z.enum(['minutes', 'hours', 'days']);
export type TimeUnit = z.infer<typeof TimeUnit>;

export const Duration = z.object({ amount: z.number().int().positive(), unit: TimeUnit }).strict();
export type Duration = z.infer<typeof Duration>;
