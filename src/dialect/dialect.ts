/** The SQL dialects the project prints. Everything that differs between them is decided by this. */
export type Dialect = 'duckdb' | 'snowflake';

/** How an unquoted name resolves: Snowflake folds it to upper case, DuckDB keeps it. */
export function systemName(dialect: Dialect, name: string): string {
  return dialect === 'snowflake' ? name.toUpperCase() : name;
}
