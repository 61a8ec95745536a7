import { LinkedError } from '../model/errors.js';
import type { CompiledQuery, Expr, FromItem, Insert, OrderItem, Query, Select, SelectColumn, SqlType, StateTableName, Statement, TimeUnit } from './ast.js';
import { systemName, type Dialect } from './dialect.js';
import { quoteIdent, quoteStateTable, quoteTable } from './identifiers.js';

export type { CompiledQuery };

const PAD = '  ';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** A constant this code may print inline: words, numbers, the separators of our own keys. */
const HARMLESS_LITERAL = /^[A-Za-z0-9_:. -]*$/;
/*
 * A parameter is printed as a marker holding its index; print() turns markers into `?` and orders
 * the values as the markers appear in the text. A dialect may print a construct's parts in another
 * order than they are visited (Snowflake's DATEADD puts the amount before the timestamp), and the
 * values must follow the text. NUL cannot occur in any other printed text (quoteIdent refuses it,
 * literals are checked, values are bound).
 */
const MARKER = /\u0000(\d+)\u0000/g;

/**
 * Prints the AST. Subclasses spell the few constructs the dialects disagree on.
 */
export abstract class SqlPrinter {
  private values: unknown[] = [];

  constructor(readonly dialect: Dialect) {}

  print(statement: Statement): CompiledQuery {
    this.values = [];
    const text = this.statement(statement);
    const params: unknown[] = [];
    const sql = text.replace(MARKER, (_, i: string) => {
      params.push(this.values[Number(i)]);
      return '?';
    });
    return { sql, params };
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

  protected target(t: StateTableName | string): string {
    return typeof t === 'string' ? quoteTable(this.dialect, t) : quoteStateTable(this.dialect, t);
  }

  protected statement(s: Statement): string {
    switch (s.kind) {
      case 'select':
      case 'union':
        return this.query(s, 0);
      case 'insert':
        return this.insert(s);
      case 'update': {
        const set = s.set.map((a) => `${this.system(a.column)} = ${this.expr(a.value, 1)}`).join(', ');
        return `UPDATE ${this.target(s.table)} SET ${set}${s.where ? `\nWHERE ${this.expr(s.where, 0)}` : ''}`;
      }
      case 'delete':
        return `DELETE FROM ${this.target(s.from)}${s.where ? `\nWHERE ${this.expr(s.where, 0)}` : ''}`;
    }
  }

  protected insert(s: Insert): string {
    const head = `INSERT INTO ${this.target(s.into)} (${s.columns.map((c) => this.system(c)).join(', ')})`;
    if (s.source.kind === 'values') {
      return `${head}\nVALUES ${s.source.rows.map((r) => `(${r.map((e) => this.expr(e, 1)).join(', ')})`).join(', ')}`;
    }
    return `${head}\n${this.query(s.source, 0)}`;
  }

  protected query(q: Query, depth: number): string {
    const pad = PAD.repeat(depth);
    const ctes = q.with?.length
      ? `WITH ${q.with.map((c) => `${this.system(c.name)} AS (\n${this.query(c.query, depth + 1)}\n${pad})`).join(`,\n${pad}`)}\n${pad}`
      : '';
    if (q.kind === 'union') {
      const op = q.except ? 'EXCEPT' : q.all ? 'UNION ALL' : 'UNION';
      // Each select pads its own lines.
      return ctes + q.queries.map((s) => this.select({ ...s, with: undefined }, depth)).join(`\n${pad}${op}\n`);
    }
    return ctes + this.select({ ...q, with: undefined }, depth);
  }

  protected column(c: SelectColumn, depth: number): string {
    if ('star' in c) return c.table ? `${this.system(c.table)}.*` : '*';
    return `${this.expr(c.expr, depth)} AS ${this.system(c.as)}`;
  }

  protected orderBy(items: readonly OrderItem[], depth: number): string {
    return items.map((o) => `${this.expr(o.expr, depth)}${o.desc ? ' DESC' : ''}`).join(', ');
  }

  protected select(s: Select, depth: number): string {
    const pad = PAD.repeat(depth);
    const lines: string[] = [];
    lines.push(`SELECT ${s.distinct ? 'DISTINCT ' : ''}${s.columns.map((c) => this.column(c, depth)).join(', ')}`);
    if (s.from) lines.push(`FROM ${this.from(s.from, depth)}`);
    for (const j of s.joins ?? []) {
      const join = j.type === 'full' ? 'FULL OUTER JOIN' : j.type === 'left' ? 'LEFT JOIN' : 'JOIN';
      lines.push(`${join} ${this.from(j.from, depth)} ON ${this.expr(j.on, depth)}`);
    }
    if (s.where) lines.push(`WHERE ${this.expr(s.where, depth)}`);
    if (s.groupBy?.length) lines.push(`GROUP BY ${s.groupBy.map((e) => this.expr(e, depth)).join(', ')}`);
    if (s.having) lines.push(`HAVING ${this.expr(s.having, depth)}`);
    if (s.orderBy?.length) lines.push(`ORDER BY ${this.orderBy(s.orderBy, depth)}`);
    if (s.limit !== undefined) lines.push(`LIMIT ${this.limit(s.limit)}`);
    return lines.map((l) => pad + l).join('\n');
  }

  protected limit(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) throw new LinkedError('INVALID_LIMIT', `A row limit must be a whole number of at least 0, not ${n}.`);
    return n;
  }

  protected from(f: FromItem, depth: number): string {
    const alias = f.alias === undefined ? '' : ` AS ${this.system(f.alias)}`;
    switch (f.kind) {
      case 'table':
        return `${quoteTable(this.dialect, f.table)}${alias}`;
      case 'stateTable':
        return `${quoteStateTable(this.dialect, f.table)}${alias}`;
      case 'cte':
        return `${this.system(f.name)}${alias}`;
      case 'derived':
        return `(\n${this.query(f.query, depth + 1)}\n${PAD.repeat(depth)})${alias}`;
      case 'compiled':
        return `(\n${this.printed(f.query)}\n${PAD.repeat(depth)})${alias}`;
      case 'values': {
        const rows = f.rows.map((r) => `(${r.map((e) => this.expr(e, depth)).join(', ')})`).join(', ');
        return `(VALUES ${rows})${alias}(${f.columns.map((c) => this.system(c)).join(', ')})`;
      }
    }
  }

  /**
   * Printed SQL embedded as is, each `?` outside quotes re-bound as a parameter of this statement.
   * Quoted identifiers and string literals are skipped whole (a doubled quote inside one closes
   * and reopens it, which scans the same).
   */
  protected printed(q: CompiledQuery): string {
    let out = '';
    let next = 0;
    let quote: string | undefined;
    for (const ch of q.sql) {
      if (ch === '\u0000') throw new Error('printed SQL contains a NUL character');
      if (quote) {
        if (ch === quote) quote = undefined;
        out += ch;
      } else if (ch === '"' || ch === "'") {
        quote = ch;
        out += ch;
      } else if (ch === '?') {
        if (next >= q.params.length) throw new Error('printed SQL has more placeholders than values');
        out += this.param(q.params[next++]);
      } else {
        out += ch;
      }
    }
    if (quote || next !== q.params.length) throw new Error('printed SQL does not match its values (unclosed quote or unused values)');
    return out;
  }

  protected subquery(q: Query, depth: number): string {
    return `(\n${this.query(q, depth + 1)}\n${PAD.repeat(depth)})`;
  }

  /** An operand of AND / OR / NOT / comparisons: parenthesized unless it is atomic. */
  protected operand(e: Expr, depth: number): string {
    const s = this.expr(e, depth);
    return e.kind === 'and' ||
      e.kind === 'or' ||
      e.kind === 'compare' ||
      e.kind === 'arithmetic' ||
      e.kind === 'not' ||
      e.kind === 'isNull' ||
      e.kind === 'inList'
      ? `(${s})`
      : s;
  }

  protected param(value: unknown): string {
    if (typeof value === 'string' && LONE_SURROGATE.test(value)) {
      // Such a string has no UTF-8 form: the warehouse would receive a different value.
      throw new LinkedError('INVALID_CONDITION', `The value ${JSON.stringify(value)} is not valid Unicode text (it contains a lone surrogate).`);
    }
    this.values.push(value);
    return `\u0000${this.values.length - 1}\u0000`;
  }

  protected literal(value: string | number): string {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
      return String(value);
    }
    if (!HARMLESS_LITERAL.test(value)) throw new Error(`not a constant this code may print inline: ${JSON.stringify(value)}`);
    return `'${value}'`;
  }

  protected expr(e: Expr, depth: number): string {
    switch (e.kind) {
      case 'column': {
        const name = e.system ? this.system(e.name) : this.ident(e.name);
        return e.table === undefined ? name : `${this.system(e.table)}.${name}`;
      }
      case 'param':
        return this.param(e.value);
      case 'keyword':
        return e.word;
      case 'literal':
        return this.literal(e.value);
      case 'compare':
        return `${this.operand(e.left, depth)} ${e.op} ${this.operand(e.right, depth)}`;
      case 'arithmetic':
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
        return `${this.operand(e.expr, depth)} ${e.negated ? 'NOT ' : ''}IN ${this.subquery(e.query, depth)}`;
      case 'tuple':
        return `(${e.items.map((i) => this.expr(i, depth)).join(', ')})`;
      case 'cast':
        return `CAST(${this.expr(e.expr, depth)} AS ${this.typeName(e.type)})`;
      case 'coalesce':
        return `COALESCE(${e.items.map((i) => this.expr(i, depth)).join(', ')})`;
      case 'case': {
        const whens = e.whens.map((w) => `WHEN ${this.expr(w.when, depth)} THEN ${this.expr(w.then, depth)}`).join(' ');
        return `CASE ${whens}${e.else ? ` ELSE ${this.expr(e.else, depth)}` : ''} END`;
      }
      case 'fn':
        return `${e.name}(${e.distinct ? 'DISTINCT ' : ''}${e.args.map((a) => this.expr(a, depth)).join(', ')})`;
      case 'window': {
        const parts = [
          e.partitionBy?.length ? `PARTITION BY ${e.partitionBy.map((p) => this.expr(p, depth)).join(', ')}` : '',
          e.orderBy?.length ? `ORDER BY ${this.orderBy(e.orderBy, depth)}` : '',
        ].filter(Boolean);
        return `${this.expr(e.fn, depth)} OVER (${parts.join(' ')})`;
      }
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
    // try(): a properties value that is not JSON (or empty text) has no properties. Unguarded, one
    // such event row fails every query that reads a property ("Malformed JSON").
    return `try(json_extract_string(${json}, ${path}))`;
  }
  protected tryCast(text: string, type: 'DOUBLE' | 'TIMESTAMP'): string {
    if (type === 'DOUBLE') return `TRY_CAST(${text} AS DOUBLE)`;
    // A cast to TIMESTAMP drops an offset ('10:00+02:00' would read as 10:00 UTC); one to
    // TIMESTAMPTZ keeps it and reads text without an offset in the session's TimeZone, which every
    // connection sets to UTC (warehouse/duckdb.ts). Then the instant, as UTC.
    return `timezone('UTC', TRY_CAST(${text} AS TIMESTAMPTZ))`;
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
    // TRY_PARSE_JSON: a value that is not JSON has no properties, instead of failing the query.
    return `CAST(STRIP_NULL_VALUE(GET_PATH(TRY_PARSE_JSON(${json}), ${path})) AS VARCHAR)`;
  }
  protected tryCast(text: string, type: 'DOUBLE' | 'TIMESTAMP'): string {
    if (type === 'DOUBLE') return `TRY_TO_DOUBLE(${text})`;
    // TRY_TO_TIMESTAMP is TIMESTAMP_NTZ, which keeps the wall clock of text with an offset and drops
    // the offset ('10:00+02:00' would read as 10:00 UTC). As TIMESTAMP_TZ the offset counts (text
    // without one is in the session's TIMEZONE, UTC on every statement); then the UTC wall clock.
    return `CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(${text})) AS TIMESTAMP_NTZ)`;
  }
  protected addInterval(timestamp: string, amount: string, unit: TimeUnit): string {
    const part = { minutes: 'MINUTE', hours: 'HOUR', days: 'DAY' }[unit];
    return `DATEADD(${part}, ${amount}, ${timestamp})`;
  }
}

export function printerFor(dialect: Dialect): SqlPrinter {
  return dialect === 'snowflake' ? new SnowflakePrinter() : new DuckDbPrinter();
}

/** The statement as text and values for `dialect`: the one way SQL is made. */
export function printSql(dialect: Dialect, statement: Statement): CompiledQuery {
  return printerFor(dialect).print(statement);
}
