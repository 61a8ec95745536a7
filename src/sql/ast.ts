/*
 * A small immutable SQL AST (in the spirit of Kysely's OperationNode tree). Compilers build these
 * nodes; one printer per dialect turns them into text. Two invariants make SQL injection
 * impossible by construction:
 * - user values exist only as `param` nodes, printed as `?` and collected in order;
 * - user names exist only as `column` / `table` strings, printed through quoteIdent / quoteTable.
 * Names we choose (aliases, output columns, CTE names, state table columns) are "system" names:
 * printed as an unquoted name would resolve in the dialect (upper case in Snowflake), so that SQL
 * around ours, like the compute layer's `m.profile_id`, finds them in both warehouses.
 * `keyword` nodes carry fixed SQL spelled by this code (TRUE, FALSE, NULL, 1), never user text.
 */

export type SqlType = 'VARCHAR' | 'DOUBLE' | 'TIMESTAMP' | 'INTEGER' | 'BOOLEAN';
export type ComparisonOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type TimeUnit = 'minutes' | 'hours' | 'days';

export type Expr =
  /** `table` is always one of our aliases; `name` is the user's column unless `system` (one of ours). */
  | { readonly kind: 'column'; readonly table: string; readonly name: string; readonly system?: boolean }
  | { readonly kind: 'param'; readonly value: string | number | boolean }
  | { readonly kind: 'keyword'; readonly word: 'TRUE' | 'FALSE' | 'NULL' | '1' }
  | { readonly kind: 'compare'; readonly op: ComparisonOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'and'; readonly items: readonly Expr[] }
  | { readonly kind: 'or'; readonly items: readonly Expr[] }
  | { readonly kind: 'not'; readonly expr: Expr }
  | { readonly kind: 'isNull'; readonly expr: Expr; readonly negated: boolean }
  | { readonly kind: 'inList'; readonly expr: Expr; readonly list: readonly Expr[]; readonly negated: boolean }
  | { readonly kind: 'exists'; readonly query: Select; readonly negated: boolean }
  /** `expr IN (query)`: NULL when expr is NULL, or when it is not found and the query yields a NULL. */
  | { readonly kind: 'inQuery'; readonly expr: Expr; readonly query: Select }
  | { readonly kind: 'cast'; readonly expr: Expr; readonly type: SqlType }
  | { readonly kind: 'coalesce'; readonly items: readonly Expr[] }
  /** Case-sensitive substring tests, spelled per dialect. */
  | { readonly kind: 'stringTest'; readonly test: 'contains' | 'starts_with' | 'ends_with'; readonly text: Expr; readonly part: Expr }
  /** The text of a JSON value at a path (strings unquoted, NULL when absent or JSON null). */
  | { readonly kind: 'jsonText'; readonly json: Expr; readonly path: Expr }
  /** A text as DOUBLE or TIMESTAMP, NULL when it does not convert. */
  | { readonly kind: 'tryCast'; readonly expr: Expr; readonly type: 'DOUBLE' | 'TIMESTAMP' }
  /** timestamp + amount units (amount may be negative). */
  | { readonly kind: 'addInterval'; readonly timestamp: Expr; readonly amount: Expr; readonly unit: TimeUnit }
  | { readonly kind: 'countStar' }
  | { readonly kind: 'scalarSubquery'; readonly query: Select };

export type FromItem =
  | { readonly kind: 'table'; readonly table: string; readonly alias: string }
  /** A table reference the caller already quoted (e.g. the compute layer's snapshot table). */
  | { readonly kind: 'quotedTable'; readonly sql: string; readonly alias: string }
  | { readonly kind: 'derived'; readonly query: Query; readonly alias: string }
  /** A common table expression defined by an enclosing WITH. */
  | { readonly kind: 'cte'; readonly name: string; readonly alias: string };

export interface Join {
  readonly from: FromItem;
  readonly on: Expr;
}

export interface SelectColumn {
  readonly expr: Expr;
  readonly as: string;
}

export interface Select {
  readonly kind: 'select';
  readonly with?: readonly { readonly name: string; readonly query: Query }[];
  readonly distinct?: boolean;
  readonly columns: readonly SelectColumn[];
  readonly from?: FromItem;
  readonly joins?: readonly Join[];
  readonly where?: Expr;
  readonly groupBy?: readonly Expr[];
  readonly having?: Expr;
}

/** `UNION` (distinct) of selects with the same columns. */
export interface Union {
  readonly kind: 'union';
  readonly with?: readonly { readonly name: string; readonly query: Query }[];
  readonly queries: readonly Select[];
}

export type Query = Select | Union;

// ---- builders: the only way compilers make nodes -------------------------------------------------

export const col = (table: string, name: string): Expr => ({ kind: 'column', table, name });
/** A column whose name we chose (an output column of our own subquery, a state table column). */
export const sysCol = (table: string, name: string): Expr => ({ kind: 'column', table, name, system: true });
export const param = (value: string | number | boolean): Expr => ({ kind: 'param', value });
export const TRUE: Expr = { kind: 'keyword', word: 'TRUE' };
export const FALSE: Expr = { kind: 'keyword', word: 'FALSE' };
export const NULL: Expr = { kind: 'keyword', word: 'NULL' };
export const ONE: Expr = { kind: 'keyword', word: '1' };
export const compare = (op: ComparisonOp, left: Expr, right: Expr): Expr => ({ kind: 'compare', op, left, right });
export const cast = (expr: Expr, type: SqlType): Expr => ({ kind: 'cast', expr, type });
export const isNull = (expr: Expr): Expr => ({ kind: 'isNull', expr, negated: false });
export const isNotNull = (expr: Expr): Expr => ({ kind: 'isNull', expr, negated: true });
export const exists = (query: Select): Expr => ({ kind: 'exists', query, negated: false });
export const notExists = (query: Select): Expr => ({ kind: 'exists', query, negated: true });
export const coalesce = (...items: Expr[]): Expr => ({ kind: 'coalesce', items });
export const inQuery = (expr: Expr, query: Select): Expr => ({ kind: 'inQuery', expr, query });
export const countStar: Expr = { kind: 'countStar' };
export const scalar = (query: Select): Expr => ({ kind: 'scalarSubquery', query });

/** AND of the items, flattening nested ANDs and dropping TRUE; TRUE when empty. */
export function and(...items: Expr[]): Expr {
  const flat = items.flatMap((e) => (e.kind === 'and' ? e.items : [e])).filter((e) => e !== TRUE);
  if (flat.some((e) => e === FALSE)) return FALSE;
  return flat.length === 0 ? TRUE : flat.length === 1 ? flat[0] : { kind: 'and', items: flat };
}

/** OR of the items, flattening nested ORs and dropping FALSE; FALSE when empty. */
export function or(...items: Expr[]): Expr {
  const flat = items.flatMap((e) => (e.kind === 'or' ? e.items : [e])).filter((e) => e !== FALSE);
  if (flat.some((e) => e === TRUE)) return TRUE;
  return flat.length === 0 ? FALSE : flat.length === 1 ? flat[0] : { kind: 'or', items: flat };
}

export function not(expr: Expr): Expr {
  if (expr === TRUE) return FALSE;
  if (expr === FALSE) return TRUE;
  if (expr.kind === 'exists') return { ...expr, negated: !expr.negated };
  if (expr.kind === 'isNull') return { ...expr, negated: !expr.negated };
  return { kind: 'not', expr };
}

export const table = (name: string, alias: string): FromItem => ({ kind: 'table', table: name, alias });
