import { LinkedError } from '../model/errors.js';
import type { Comparison, Operand } from '../model/condition.js';
import type { Scalar } from '../model/common.js';
import type { Dialect } from '../dialect/dialect.js';
import {
  and,
  cast,
  compare,
  isNotNull,
  isNull,
  not,
  param,
  type ComparisonOp,
  type Expr,
  type TimeUnit,
} from '../dialect/ast.js';
import { isDateOnly, nextDay, nowPlusLiteral, utcTimestampLiteral } from './time.js';

/** The left side of a comparison: a column (trait or entity column) or an event property. */
export type Subject = { kind: 'column'; expr: Expr } | { kind: 'property'; json: Expr; property: string };

/** Turns a trait / ancestor-column operand into the column it names (the caller knows the scope). */
export type OperandResolver = (operand: Exclude<Operand, { literal: Scalar }>) => Expr;

export interface ComparisonEnv {
  dialect: Dialect;
  now: Date;
  /** The stack's IANA time zone: literals without an offset and calendar days are read in it. Unset: UTC. */
  timeZone?: string;
  resolve: OperandResolver;
}

const ORDERED: Record<string, ComparisonOp> = { equals: '=', not_equals: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' };

const isLiteral = (o: Operand): o is { literal: Scalar } => 'literal' in o;

/**
 * `left op number`. DuckDB and Snowflake order NaN above every number (and equal to itself), so a
 * NaN in a floating-point column (or a property that reads as "NaN") would be greater than any
 * literal. Here NaN is unordered, as IEEE 754 has it: `>` and `>=` are false for it, as `<`,
 * `<=` and `=` already are (docs/conditions.md, NULL semantics).
 */
function compareNumber(op: ComparisonOp, left: Expr, value: number): Expr {
  const cmp = compare(op, left, param(value));
  return op === '>' || op === '>=' ? and(cmp, compare('<>', left, cast(param('NaN'), 'DOUBLE'))) : cmp;
}

/** `now` plus `amount` units: the window bounds of relative dates and event windows, computed here and bound in UTC. */
export function nowPlus(env: { now: Date; timeZone?: string }, amount: number, unit: TimeUnit): Expr {
  return cast(param(nowPlusLiteral(env.now, amount, unit, env.timeZone)), 'TIMESTAMP');
}

export const timestampLiteral = (iso: string, zone?: string): Expr => cast(param(utcTimestampLiteral(iso, zone)), 'TIMESTAMP');

/**
 * `left op time`, where a date-only literal stands for the whole day: "up to" it (`<=`) takes the
 * day in, "after" it (`>`) starts the next day; `<` and `>=` mean its first instant, as they would
 * anyway. Timestamps with a time compare exactly.
 */
export function compareTime(op: ComparisonOp, left: Expr, iso: string, zone?: string): Expr {
  if (isDateOnly(iso) && (op === '<=' || op === '>')) return compare(op === '<=' ? '<' : '>=', left, timestampLiteral(nextDay(iso), zone));
  return compare(op, left, timestampLiteral(iso, zone));
}

/**
 * One comparison leaf. NULL semantics (src/model/condition.ts): the result is NULL, which every
 * consumer treats as false, whenever a compared side is NULL, for positive and negative operators
 * alike; only exists / not_exists test NULL. `not` above makes it two-valued (see nullable.ts).
 */
export function compileComparison(subject: Subject, c: Comparison, env: ComparisonEnv): Expr {
  if (subject.kind === 'property') return propertyComparison(subject, c, env);
  const left = subject.expr;
  switch (c.operator) {
    case 'equals':
    case 'not_equals':
      return compare(ORDERED[c.operator], left, isLiteral(c.value) ? param(c.value.literal) : env.resolve(c.value));
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const v = c.value;
      if (isLiteral(v) && typeof v.literal === 'string') return compareTime(ORDERED[c.operator], left, v.literal, env.timeZone);
      if (isLiteral(v) && typeof v.literal === 'number') return compareNumber(ORDERED[c.operator], left, v.literal);
      return compare(ORDERED[c.operator], left, isLiteral(v) ? param(v.literal) : env.resolve(v));
    }
    case 'contains':
    case 'not_contains':
    case 'starts_with':
    case 'ends_with': {
      const part = isLiteral(c.value) ? param(c.value.literal) : env.resolve(c.value);
      const test = c.operator === 'not_contains' ? 'contains' : c.operator;
      const e: Expr = { kind: 'stringTest', test, text: left, part };
      return c.operator === 'not_contains' ? not(e) : e;
    }
    case 'exists':
      return isNotNull(left);
    case 'not_exists':
      return isNull(left);
    case 'one_of':
    case 'none_of':
      return { kind: 'inList', expr: left, list: c.value.map((v) => param(v)), negated: c.operator === 'none_of' };
    case 'before_date':
      return compareTime('<', left, c.value, env.timeZone);
    case 'after_date':
      return compareTime('>', left, c.value, env.timeZone);
    case 'within_last':
      return and(compare('>=', left, nowPlus(env, -c.value.amount, c.value.unit)), compare('<=', left, nowPlus(env, 0, 'days')));
    case 'within_next':
      return and(compare('>=', left, nowPlus(env, 0, 'days')), compare('<=', left, nowPlus(env, c.value.amount, c.value.unit)));
  }
}

/** The path of a property (dotted keys) in the dialect's JSON path syntax; bound as a value. */
export function jsonPath(dialect: Dialect, property: string): string {
  const keys = property.split('.');
  if (dialect === 'snowflake') return keys.map((k) => `"${k.replace(/"/g, '""')}"`).join('.');
  return '$' + keys.map((k) => `."${k.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join('');
}

/**
 * Event properties are untyped JSON: the literal decides how the property is read. A number literal
 * reads it as a number (a JSON number, or a string the warehouse casts to one), a date literal as a
 * timestamp, a string or boolean literal as its text ('true' / 'false' for JSON booleans).
 */
function propertyComparison(subject: Extract<Subject, { kind: 'property' }>, c: Comparison, env: ComparisonEnv): Expr {
  const text: Expr = { kind: 'jsonText', json: subject.json, path: param(jsonPath(env.dialect, subject.property)) };
  const asNumber: Expr = { kind: 'tryCast', expr: text, type: 'DOUBLE' };
  const asTimestamp: Expr = { kind: 'tryCast', expr: text, type: 'TIMESTAMP' };
  const literalOf = (o: Operand): Scalar => {
    if (isLiteral(o)) return o.literal;
    throw new LinkedError(
      'INVALID_CONDITION',
      `Event property filter on "${subject.property}" must compare with a literal value, not a trait or entity column.`,
    );
  };
  const typed = (v: Scalar): [Expr, Expr] => (typeof v === 'number' ? [asNumber, param(v)] : [text, param(String(v))]);
  switch (c.operator) {
    case 'equals':
    case 'not_equals': {
      const [l, r] = typed(literalOf(c.value));
      return compare(ORDERED[c.operator], l, r);
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const v = literalOf(c.value);
      if (typeof v === 'string') return compareTime(ORDERED[c.operator], asTimestamp, v, env.timeZone);
      if (typeof v === 'number') return compareNumber(ORDERED[c.operator], asNumber, v);
      const [l, r] = typed(v);
      return compare(ORDERED[c.operator], l, r);
    }
    case 'contains':
    case 'not_contains':
    case 'starts_with':
    case 'ends_with':
      return compileComparison({ kind: 'column', expr: text }, { ...c, value: { literal: String(literalOf(c.value)) } }, env);
    case 'exists':
    case 'not_exists':
      return compileComparison({ kind: 'column', expr: text }, c, env);
    case 'one_of':
    case 'none_of': {
      const numeric = c.value.every((v) => typeof v === 'number');
      const list = c.value.map((v) => param(numeric ? v : String(v)));
      return { kind: 'inList', expr: numeric ? asNumber : text, list, negated: c.operator === 'none_of' };
    }
    case 'before_date':
    case 'after_date':
    case 'within_last':
    case 'within_next':
      return compileComparison({ kind: 'column', expr: asTimestamp }, c, env);
  }
}
