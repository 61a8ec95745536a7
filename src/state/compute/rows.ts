import type { Row } from '../../warehouse/types.js';

/**
 * Rows a DML statement reports (DuckDB: Count; Snowflake: "number of rows inserted" / "updated" /
 * "deleted"); undefined if it does not.
 */
export function reportedRows(rows: readonly Row[]): number | undefined {
  const r = rows[0];
  const v = r?.Count ?? r?.['number of rows inserted'] ?? r?.['number of rows updated'] ?? r?.['number of rows deleted'];
  return v === undefined || v === null ? undefined : Number(v);
}

/** Whether a DML statement touched any row, as it reports; undefined if it does not say. */
export function touchedRows(rows: readonly Row[]): boolean | undefined {
  const n = reportedRows(rows);
  return n === undefined ? undefined : n > 0;
}

/**
 * A row with its column names in lower case: the statements name their columns as unquoted names
 * resolve, which Snowflake spells in upper case.
 */
export function lowerKeys<T>(row: Row): T {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k.toLowerCase()] = v;
  return out as T;
}

export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
