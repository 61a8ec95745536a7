import type { StateTableName } from './ast.js';
import type { Dialect } from './dialect.js';

/**
 * The one place identifiers become SQL text (decision D4). DuckDB and Snowflake both quote with
 * double quotes and escape an embedded quote by doubling it. Snowflake quoted identifiers are
 * case-sensitive: users write names as the catalog spells them (usually upper case there).
 */
export function quoteIdent(_dialect: Dialect, name: string): string {
  if (name.length === 0) throw new Error('empty identifier');
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/** `db.schema.table`, `schema.table` or `table`, each part quoted. */
export function quoteTable(dialect: Dialect, ref: string): string {
  return ref
    .split('.')
    .map((p) => quoteIdent(dialect, p))
    .join('.');
}

/** `"schema"."table"`: the migrations create state tables under quoted lower-case names. */
export function quoteStateTable(dialect: Dialect, t: StateTableName): string {
  return `${quoteIdent(dialect, t.schema)}.${quoteIdent(dialect, t.name)}`;
}
