import type { Dialect } from '../../dialect/dialect.js';

/**
 * A forward migration of the state schema (decision D5: DDL only at init or migration).
 * `up` returns statements that run once, in order; `schema` is already quoted.
 * Use portable types: VARCHAR, BIGINT, INTEGER, DOUBLE, BOOLEAN, TIMESTAMP; JSON is stored as VARCHAR.
 */
export interface Migration {
  version: number;
  name: string;
  up(schema: string, dialect: Dialect): string[];
}
