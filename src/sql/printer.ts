import { LinkedError } from '../model/errors.js';
import type { Dialect } from '../warehouse/types.js';
import type { Expr, FromItem, Query, Select, SqlType, TimeUnit } from './ast.js';
import { quoteIdent, quoteTable } from './identifiers.js';

/** SQL text with `?` placeholders and its bound values, in order. */
export interface CompiledQuery {
  sql: string;
  params: unknown[];
}

const PAD = '  ';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** How an unquoted name resolves: Snowflake folds it to upper case, DuckDB keeps it. */
export function systemName(dialect: Dialect, name: string): string {
  return dialect === 'snowflake' ? name.toUpperCase() : name;
}

/**
 * Prints the AST. Parameters are collected in the order their `?` is printed, so text and values
 * can never drift apart. Subclasses spell the few constructs the dialects disagree on.
 */
export abstract class SqlPrinter {
  private params: unknown[] = [];

  constructor(readonly dialect: Dialect) {}

  print(query: Query): CompiledQuery {
    this.params = [];
    const sql = this.query(query, 0);
    return { sql, params: this.params };
  }

  protected abstract stringTest(test: 'contains' | 'starts_with' | 'ends_with', text: string, part: string): string;
  protected abstract jsonText(json: string, path: string): string;
  protected abstract tryCast(text: string, type: 'DOUBLE' | 'TIMESTAMP'): string;
  protected abstract addInterval(timestamp: string, amount: string, unit: TimeUnit): string;

  protected typeName(type: SqlType): string {
    return type;
  }

  protected ident(name: string): string {
    return quoteIdent(this.dialect, name);
  }

  /** One of our own names, spelled as the dialect resolves an unquoted name. */
  protected system(name: string): string {
    return quoteIdent(this.dialect, systemName(this.dialect, name));
  }

  protected query(q: Query, depth: number): string {
    const pad = PAD.repeat(depth);
    const ctes = q.with?.length
      ? `WITH ${q.with.map((c) => `${this.system(c.name)} AS (\n${this.query(c.query, depth + 1)}\n${pad})`).join(`,\n${pad}`)}\n${pad}`
      : '';
    if (q.kind === 'union') {
      return ctes + q.queries.map((s) => this.select({ ...s, with: undefined }, depth)).join(`\n${pad}UNION\n${pad}`);
    }
    return ctes + this.select({ ...q, with: undefined }, depth);
  }

  protected select(s: Select, depth: number): string {
    const pad = PAD.repeat(depth);
    const lines: string[] = [];
    const cols = s.columns.map((c) => `${this.expr(c.expr, depth)} AS ${this.system(c.as)}`).join(', ');
    lines.push(`SELECT ${s.distinct ? 'DISTINCT ' : ''}${cols}`);
    if (s.from) lines.push(`FROM ${this.from(s.from, depth)}`);
    for (const j of s.joins ?? []) lines.push(`JOIN ${this.from(j.from, depth)} ON ${this.expr(j.on, depth)}`);
    if (s.where) lines.push(`WHERE ${this.expr(s.where, depth)}`);
    if (s.groupBy?.length) lines.push(`GROUP BY ${s.groupBy.map((e) => this.expr(e, depth)).join(', ')}`);
    if (s.having) lines.push(`HAVING ${this.expr(s.having, depth)}`);
    return lines.map((l) => pad + l).join('\n');
  }

  protected from(f: FromItem, depth: number): string {
    const alias = this.system(f.alias);
    switch (f.kind) {
      case 'table':
        return `${quoteTable(this.dialect, f.table)} AS ${alias}`;
      case 'quotedTable':
        return `${f.sql} AS ${alias}`;
      case 'cte':
        return `${this.system(f.name)} AS ${alias}`;
      case 'derived':
        return `(\n${this.query(f.query, depth + 1)}\n${PAD.repeat(depth)}) AS ${alias}`;
    }
  }

  protected subquery(q: Select, depth: number): string {
    return `(\n${this.query(q, depth + 1)}\n${PAD.repeat(depth)})`;
  }

  /** An operand of AND / OR / NOT / comparisons: parenthesized unless it is atomic. */
  protected operand(e: Expr, depth: number): string {
    const s = this.expr(e, depth);
    return e.kind === 'and' || e.kind === 'or' || e.kind === 'compare' || e.kind === 'not' || e.kind === 'isNull' || e.kind === 'inList'
      ? `(${s})`
      : s;
  }

  protected expr(e: Expr, depth: number): string {
    switch (e.kind) {
      case 'column':
        return `${this.system(e.table)}.${e.system ? this.system(e.name) : this.ident(e.name)}`;
      case 'param':
        if (typeof e.value === 'string' && LONE_SURROGATE.test(e.value)) {
          // Such a string has no UTF-8 form: the warehouse would receive a different value.
          throw new LinkedError('INVALID_CONDITION', `The value ${JSON.stringify(e.value)} is not valid Unicode text (it contains a lone surrogate).`);
        }
        this.params.push(e.value);
        return '?';
      case 'keyword':
        return e.word;
      case 'compare':
        return `${this.operand(e.left, depth)} ${e.op} ${this.operand(e.right, depth)}`;
      case 'and':
        return e.items.map((i) => this.operand(i, depth + 1)).join(`\n${PAD.repeat(depth + 1)}AND `);
      case 'or':
        return e.items.map((i) => this.operand(i, depth + 1)).join(`\n${PAD.repeat(depth + 1)}OR `);
      case 'not':
        return `NOT ${this.operand(e.expr, depth)}`;
      case 'isNull':
        return `${this.operand(e.expr, depth)} IS ${e.negated ? 'NOT ' : ''}NULL`;
      case 'inList':
        return `${this.operand(e.expr, depth)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map((i) => this.expr(i, depth)).join(', ')})`;
      case 'exists':
        return `${e.negated ? 'NOT ' : ''}EXISTS ${this.subquery(e.query, depth)}`;
      case 'inQuery':
        return `${this.operand(e.expr, depth)} IN ${this.subquery(e.query, depth)}`;
      case 'cast':
        return `CAST(${this.expr(e.expr, depth)} AS ${this.typeName(e.type)})`;
      case 'coalesce':
        return `COALESCE(${e.items.map((i) => this.expr(i, depth)).join(', ')})`;
      case 'stringTest':
        return this.stringTest(e.test, this.expr(e.text, depth), this.expr(e.part, depth));
      case 'jsonText':
        return this.jsonText(this.expr(e.json, depth), this.expr(e.path, depth));
      case 'tryCast':
        return this.tryCast(this.expr(e.expr, depth), e.type);
      case 'addInterval':
        return this.addInterval(this.expr(e.timestamp, depth), this.expr(e.amount, depth), e.unit);
      case 'countStar':
        return 'COUNT(*)';
      case 'scalarSubquery':
        return this.subquery(e.query, depth);
    }
  }
}

export class DuckDbPrinter extends SqlPrinter {
  constructor() {
    super('duckdb');
  }
  protected stringTest(test: 'contains' | 'starts_with' | 'ends_with', text: string, part: string): string {
    return `${test}(${text}, ${part})`;
  }
  protected jsonText(json: string, path: string): string {
    return `json_extract_string(${json}, ${path})`;
  }
  protected tryCast(text: string, type: 'DOUBLE' | 'TIMESTAMP'): string {
    return `TRY_CAST(${text} AS ${type})`;
  }
  protected addInterval(timestamp: string, amount: string, unit: TimeUnit): string {
    const fn = { minutes: 'to_minutes', hours: 'to_hours', days: 'to_days' }[unit];
    const type = unit === 'days' ? 'INTEGER' : 'BIGINT';
    return `(${timestamp} + ${fn}(CAST(${amount} AS ${type})))`;
  }
}

export class SnowflakePrinter extends SqlPrinter {
  constructor() {
    super('snowflake');
  }
  protected stringTest(test: 'contains' | 'starts_with' | 'ends_with', text: string, part: string): string {
    const fn = { contains: 'CONTAINS', starts_with: 'STARTSWITH', ends_with: 'ENDSWITH' }[test];
    return `${fn}(${text}, ${part})`;
  }
  protected jsonText(json: string, path: string): string {
    // STRIP_NULL_VALUE turns a JSON null into SQL NULL, so `exists` means the same in both dialects.
    return `CAST(STRIP_NULL_VALUE(GET_PATH(PARSE_JSON(${json}), ${path})) AS VARCHAR)`;
  }
  protected tryCast(text: string, type: 'DOUBLE' | 'TIMESTAMP'): string {
    return type === 'DOUBLE' ? `TRY_TO_DOUBLE(${text})` : `TRY_TO_TIMESTAMP(${text})`;
  }
  protected addInterval(timestamp: string, amount: string, unit: TimeUnit): string {
    const part = { minutes: 'MINUTE', hours: 'HOUR', days: 'DAY' }[unit];
    return `DATEADD(${part}, ${amount}, ${timestamp})`;
  }
}

export function printerFor(dialect: Dialect): SqlPrinter {
  return dialect === 'snowflake' ? new SnowflakePrinter() : new DuckDbPrinter();
}
