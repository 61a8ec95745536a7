/*
 * A small immutable SQL AST (in the spirit of Kysely's OperationNode tree). Every statement the
 * project sends is built from these nodes; one printer per dialect turns them into text. Two
 * invariants make SQL injection impossible by construction:
 * - user values exist only as `param` nodes, printed as `?` and collected in printed order;
 * - user names exist only as `column` / `table` strings, printed through quoteIdent / quoteTable.
 * Names we choose (aliases, output columns, CTE names, state tables and their columns) are
 * "system" names: printed as an unquoted name would resolve in the dialect (upper case in
 * Snowflake), so that they match the state tables' unquoted DDL in both warehouses.
 * `keyword` and `literal` nodes carry fixed SQL spelled by this code, never user text.
 */

/** SQL text with `?` placeholders and its bound values, in order: what a printer makes. */
export interface CompiledQuery {
  sql: string;
  params: unknown[];
}

export type SqlType = 'VARCHAR' | 'DOUBLE' | 'TIMESTAMP' | 'INTEGER' | 'BIGINT' | 'BOOLEAN';
export type ComparisonOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithmeticOp = '+' | '-' | '*' | '||';
export type TimeUnit = 'minutes' | 'hours' | 'days';
/** Functions both dialects spell alike. Dialect-specific ones have nodes of their own. */
export type FunctionName = 'COUNT' | 'MAX' | 'MIN' | 'SUM' | 'ROW_NUMBER' | 'DENSE_RANK' | 'LOWER' | 'UPPER' | 'LENGTH' | 'GREATEST' | 'LEAST' | 'CURRENT_DATABASE' | 'MD5';

/** A state table: `schema` is the user's (quoted as given), `name` is ours (a system name). */
export interface StateTableName {
  readonly schema: string;
  readonly name: string;
}

export interface OrderItem {
  readonly expr: Expr;
  readonly desc?: boolean;
}

export type Expr =
  /**
   * `table` is one of our aliases (omitted: unqualified, for single-table statements); `name` is
   * the user's column unless `system` (one of ours).
   */
  | { readonly kind: 'column'; readonly table?: string; readonly name: string; readonly system?: boolean }
  | { readonly kind: 'param'; readonly value: unknown }
  | { readonly kind: 'keyword'; readonly word: 'TRUE' | 'FALSE' | 'NULL' | '1' | 'CURRENT_TIMESTAMP' }
  /** A constant chosen by this code (a status, a kind): printed inline, checked to be harmless. */
  | { readonly kind: 'literal'; readonly value: string | number }
  | { readonly kind: 'compare'; readonly op: ComparisonOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'arithmetic'; readonly op: ArithmeticOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'and'; readonly items: readonly Expr[] }
  | { readonly kind: 'or'; readonly items: readonly Expr[] }
  | { readonly kind: 'not'; readonly expr: Expr }
  | { readonly kind: 'isNull'; readonly expr: Expr; readonly negated: boolean }
  | { readonly kind: 'inList'; readonly expr: Expr; readonly list: readonly Expr[]; readonly negated: boolean }
  | { readonly kind: 'exists'; readonly query: Select; readonly negated: boolean }
  /** `expr IN (query)`: NULL when expr is NULL, or when it is not found and the query yields a NULL. */
  | { readonly kind: 'inQuery'; readonly expr: Expr; readonly query: Query; readonly negated?: boolean }
  /** `(a, b, c)`: a row value, for `IN (query)` over several columns. */
  | { readonly kind: 'tuple'; readonly items: readonly Expr[] }
  | { readonly kind: 'cast'; readonly expr: Expr; readonly type: SqlType }
  | { readonly kind: 'coalesce'; readonly items: readonly Expr[] }
  | { readonly kind: 'case'; readonly whens: readonly { readonly when: Expr; readonly then: Expr }[]; readonly else?: Expr }
  | { readonly kind: 'fn'; readonly name: FunctionName; readonly args: readonly Expr[]; readonly distinct?: boolean }
  /** `fn(...) OVER (PARTITION BY ... ORDER BY ...)`. */
  | { readonly kind: 'window'; readonly fn: Expr; readonly partitionBy?: readonly Expr[]; readonly orderBy?: readonly OrderItem[] }
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
  /** A user table (`t`, `s.t`, `db.s.t`); `alias` omitted: referenced by its own name. */
  | { readonly kind: 'table'; readonly table: string; readonly alias?: string }
  | { readonly kind: 'stateTable'; readonly table: StateTableName; readonly alias?: string }
  | { readonly kind: 'derived'; readonly query: Query; readonly alias: string }
  /** A common table expression defined by an enclosing WITH. */
  | { readonly kind: 'cte'; readonly name: string; readonly alias: string }
  /**
   * A query already printed for this dialect (a compiled audience query), as a derived table. Its
   * `?` markers are bound through the printer's parameters, so its values keep their printed order.
   */
  | { readonly kind: 'compiled'; readonly query: CompiledQuery; readonly alias: string }
  /** `(VALUES (...), ...) AS alias(columns)`: rows made in memory; `columns` are system names. */
  | { readonly kind: 'values'; readonly rows: readonly (readonly Expr[])[]; readonly alias: string; readonly columns: readonly string[] };

export interface Join {
  /** @default 'inner' */
  readonly type?: 'inner' | 'left' | 'full';
  readonly from: FromItem;
  readonly on: Expr;
}

export type SelectColumn =
  | { readonly expr: Expr; readonly as: string }
  /** `*`, or `alias.*`: every column of the source, under its own name. */
  | { readonly star: true; readonly table?: string };

export interface Cte {
  readonly name: string;
  readonly query: Query;
}

export interface Select {
  readonly kind: 'select';
  readonly with?: readonly Cte[];
  readonly distinct?: boolean;
  readonly columns: readonly SelectColumn[];
  readonly from?: FromItem;
  readonly joins?: readonly Join[];
  readonly where?: Expr;
  readonly groupBy?: readonly Expr[];
  readonly having?: Expr;
  readonly orderBy?: readonly OrderItem[];
  /** A constant: Snowflake does not promise a bind in LIMIT. */
  readonly limit?: number;
}

/** `UNION` (distinct) or `UNION ALL` of selects with the same columns. */
export interface Union {
  readonly kind: 'union';
  readonly with?: readonly Cte[];
  readonly all?: boolean;
  readonly queries: readonly Select[];
  /** `EXCEPT` (distinct) instead: the first select's rows that the others do not return. */
  readonly except?: boolean;
}

export type Query = Select | Union;

export interface Insert {
  readonly kind: 'insert';
  readonly into: StateTableName | string;
  /** System names (the state tables' columns). */
  readonly columns: readonly string[];
  readonly source: Query | { readonly kind: 'values'; readonly rows: readonly (readonly Expr[])[] };
}

export interface Update {
  readonly kind: 'update';
  readonly table: StateTableName;
  readonly set: readonly { readonly column: string; readonly value: Expr }[];
  readonly where?: Expr;
}

export interface Delete {
  readonly kind: 'delete';
  readonly from: StateTableName;
  readonly where?: Expr;
}

export type Statement = Query | Insert | Update | Delete;

// ---- builders: the only way compilers make nodes -------------------------------------------------

export const col = (table: string, name: string): Expr => ({ kind: 'column', table, name });
/** A column whose name we chose (an output column of our own subquery, a state table column). */
export const sysCol = (table: string, name: string): Expr => ({ kind: 'column', table, name, system: true });
/** A state table column, unqualified (statements over one table). */
export const ref = (name: string): Expr => ({ kind: 'column', name, system: true });
export const param = (value: unknown): Expr => ({ kind: 'param', value });
export const lit = (value: string | number): Expr => ({ kind: 'literal', value });
export const TRUE: Expr = { kind: 'keyword', word: 'TRUE' };
export const FALSE: Expr = { kind: 'keyword', word: 'FALSE' };
export const NULL: Expr = { kind: 'keyword', word: 'NULL' };
export const ONE: Expr = { kind: 'keyword', word: '1' };
export const NOW: Expr = { kind: 'keyword', word: 'CURRENT_TIMESTAMP' };
export const compare = (op: ComparisonOp, left: Expr, right: Expr): Expr => ({ kind: 'compare', op, left, right });
export const eq = (left: Expr, right: Expr): Expr => compare('=', left, right);
export const arith = (op: ArithmeticOp, left: Expr, right: Expr): Expr => ({ kind: 'arithmetic', op, left, right });
export const cast = (expr: Expr, type: SqlType): Expr => ({ kind: 'cast', expr, type });
export const isNull = (expr: Expr): Expr => ({ kind: 'isNull', expr, negated: false });
export const isNotNull = (expr: Expr): Expr => ({ kind: 'isNull', expr, negated: true });
export const exists = (query: Select): Expr => ({ kind: 'exists', query, negated: false });
export const notExists = (query: Select): Expr => ({ kind: 'exists', query, negated: true });
export const coalesce = (...items: Expr[]): Expr => ({ kind: 'coalesce', items });
export const inQuery = (expr: Expr, query: Query): Expr => ({ kind: 'inQuery', expr, query });
export const notInQuery = (expr: Expr, query: Query): Expr => ({ kind: 'inQuery', expr, query, negated: true });
export const inList = (expr: Expr, list: readonly Expr[]): Expr => ({ kind: 'inList', expr, list, negated: false });
export const notInList = (expr: Expr, list: readonly Expr[]): Expr => ({ kind: 'inList', expr, list, negated: true });
export const tuple = (...items: Expr[]): Expr => ({ kind: 'tuple', items });
export const fn = (name: FunctionName, ...args: Expr[]): Expr => ({ kind: 'fn', name, args });
export const countDistinct = (expr: Expr): Expr => ({ kind: 'fn', name: 'COUNT', args: [expr], distinct: true });
export const caseWhen = (whens: { when: Expr; then: Expr }[], otherwise?: Expr): Expr => ({ kind: 'case', whens, else: otherwise });
export const over = (f: Expr, window: { partitionBy?: Expr[]; orderBy?: OrderItem[] }): Expr => ({ kind: 'window', fn: f, ...window });
export const addInterval = (timestamp: Expr, amount: Expr, unit: TimeUnit): Expr => ({ kind: 'addInterval', timestamp, amount, unit });
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

/**
 * A column's new value in an UPDATE of several rows, each its own: `values[i]` in the row that
 * `rows[i]` matches (a CASE), the value alone when there is one row. The UPDATE's WHERE is
 * `or(...rows)`.
 */
export function perRow(rows: readonly Expr[], values: readonly Expr[]): Expr {
  return rows.length === 1 ? values[0] : caseWhen(rows.map((when, i) => ({ when, then: values[i] })));
}

export function not(expr: Expr): Expr {
  if (expr === TRUE) return FALSE;
  if (expr === FALSE) return TRUE;
  if (expr.kind === 'exists') return { ...expr, negated: !expr.negated };
  if (expr.kind === 'isNull') return { ...expr, negated: !expr.negated };
  return { kind: 'not', expr };
}

export const table = (name: string, alias?: string): FromItem => ({ kind: 'table', table: name, alias });
export const stateTable = (name: StateTableName, alias?: string): FromItem => ({ kind: 'stateTable', table: name, alias });
export const derived = (query: Query, alias: string): FromItem => ({ kind: 'derived', query, alias });
export const compiled = (query: CompiledQuery, alias: string): FromItem => ({ kind: 'compiled', query, alias });
export const valuesTable = (rows: (readonly Expr[])[], alias: string, columns: readonly string[]): FromItem => ({ kind: 'values', rows, alias, columns });

/** `SELECT` builder for the common shape; every field of Select may still be given. */
export function select(columns: readonly SelectColumn[] | Record<string, Expr>, rest: Omit<Select, 'kind' | 'columns'> = {}): Select {
  const cols = Array.isArray(columns) ? columns : Object.entries(columns).map(([as, expr]) => ({ expr, as }));
  return { kind: 'select', columns: cols, ...rest };
}

export const star = (table?: string): SelectColumn => ({ star: true, table });
export const unionAll = (...queries: Select[]): Union => ({ kind: 'union', all: true, queries });
/** `first EXCEPT second`: positional and distinct, so it needs no column name. */
export const except = (first: Select, second: Select): Union => ({ kind: 'union', except: true, queries: [first, second] });

export const insert = (into: Insert['into'], columns: readonly string[], source: Insert['source']): Insert => ({ kind: 'insert', into, columns, source });
export const values = (...rows: (readonly Expr[])[]): Insert['source'] => ({ kind: 'values', rows });
export const update = (tableName: StateTableName, set: Record<string, Expr>, where?: Expr): Update => ({
  kind: 'update',
  table: tableName,
  set: Object.entries(set).map(([column, value]) => ({ column, value })),
  where,
});
export const deleteFrom = (from: StateTableName, where?: Expr): Delete => ({ kind: 'delete', from, where });
