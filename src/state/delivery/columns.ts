import { systemName, type Dialect } from '../../dialect/dialect.js';
import type { Row } from '../../warehouse/types.js';
import { StateStore } from '../store.js';

/**
 * A result column by the name the statement gave it: output names are system names, which the
 * warehouse returns as it spells an unquoted name (upper case in Snowflake).
 */
export function columnOf(dialect: Dialect): (row: Row, name: string) => unknown {
  if (systemName(dialect, 'a') === 'a') return (row, name) => row[name];
  // StateStore.run already gives Snowflake's rows lower-case keys; a row read another way keeps Snowflake's.
  return (row, name) => (name in row ? row[name] : row[systemName(dialect, name)]);
}

/** The stores of delivery: they read result columns by the names their statements gave them. */
export abstract class DeliveryStore extends StateStore {
  protected readonly get = columnOf(this.wh.dialect);
}

/** A count or id that may come back as a bigint, a number or NULL (0). */
export const numberOf = (v: unknown): number => Number(v ?? 0);

export const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
