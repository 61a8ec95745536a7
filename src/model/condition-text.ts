import type { Duration, Scalar } from './common.js';
import type { Comparison, Condition, Count, EntityCondition, EntityPredicate, EventCondition, EventWindow, Operand } from './condition.js';
import { foldCondition, foldPredicate, type ConditionFold } from './condition-walk.js';

/*
 * A condition as a reviewer reads it: one line per condition, in the words of the product guide
 * and the constructs (`trait lifetime_value >= 1000`, `performed "Order Completed" at least 3
 * times within last 30 days`, `cards: at least 1 where balance > 1000`), nested conditions as
 * children. Plans, audits and their diffs (condition-diff.ts) are built on these lines; `linked why`
 * labels each node of its tree with `nodeText`, and `linked trace` prints a whole definition.
 */

/** One condition as a line of text, with the conditions it holds as children. */
export interface ConditionLine {
  text: string;
  /** Attribute path of the node it stands for, e.g. `condition.conditions[1].where`. */
  path: string;
  /**
   * What the line is about (`trait:plan`, `entity:cards`, `group`...): two lines with the same
   * subject are one condition edited, not one removed and another added.
   */
  subject: string;
  children: ConditionLine[];
}

const OPERATOR_TEXT: Record<Comparison['operator'], string> = {
  equals: '=',
  not_equals: '!=',
  lt: '<',
  lte: '<=',
  gt: '>',
  gte: '>=',
  contains: 'contains',
  not_contains: 'does not contain',
  starts_with: 'starts with',
  ends_with: 'ends with',
  exists: 'exists',
  not_exists: 'does not exist',
  one_of: 'is one of',
  none_of: 'is none of',
  before_date: 'before',
  after_date: 'after',
  within_last: 'within last',
  within_next: 'within next',
};

const COUNT_TEXT: Record<Count['op'], string> = { at_least: 'at least', exactly: 'exactly', at_most: 'at most' };

const scalarText = (v: Scalar) => JSON.stringify(v);

function operandText(o: Operand): string {
  if ('literal' in o) return scalarText(o.literal);
  if ('trait' in o) return `trait ${o.trait}`;
  return `${o.relationship}.${o.column}`;
}

const plural = (n: number, unit: string) => `${n} ${n === 1 ? unit.replace(/s$/, '') : unit}`;
const durationText = (d: Duration) => plural(d.amount, d.unit);
export const countText = (c: Count) => `${COUNT_TEXT[c.op]} ${c.value}`;

/** `>= 1000`, `is one of ["a", "b"]`, `within last 30 days`, `exists`: a comparison without its subject. */
export function comparisonText(c: Comparison): string {
  const op = OPERATOR_TEXT[c.operator];
  switch (c.operator) {
    case 'exists':
    case 'not_exists':
      return op;
    case 'one_of':
    case 'none_of':
      return `${op} [${c.value.map(scalarText).join(', ')}]`;
    case 'before_date':
    case 'after_date':
      return `${op} ${c.value}`;
    case 'within_last':
    case 'within_next':
      return `${op} ${durationText(c.value)}`;
    default:
      return `${op} ${operandText(c.value)}`;
  }
}

export function windowText(w: EventWindow): string {
  return w.type === 'within' ? `within last ${plural(w.amount, w.unit)}` : `between ${w.from} and ${w.to}`;
}

/** `performed "Payment Made" at least 2 times within last 30 days where amount >= 5`. */
export function eventText(c: EventCondition): string {
  const parts = [`performed ${JSON.stringify(c.name)} ${COUNT_TEXT[c.count.op]} ${plural(c.count.value, 'times')}`];
  if (c.window) parts.push(windowText(c.window));
  if (c.where.length) parts.push(`where ${c.where.map((f) => `${f.property} ${comparisonText(f)}`).join(' and ')}`);
  return parts.join(' ');
}

/** A line still waiting for its path: the fold builds bottom-up, paths are known top-down. */
type Pending = (path: string) => ConditionLine;

const line = (text: string, subject: string, path: string, children: ConditionLine[] = []): ConditionLine => ({ text, path, subject, children });

const group = (word: 'all of' | 'any of') => (items: Pending[]) => (path: string) =>
  line(word, 'group', path, items.map((item, i) => item(`${path}.conditions[${i}]`)));

/**
 * An entity condition reads as one line where it can: `cards: at least 1`, `cards: at least 1
 * where balance > 1000`, `accounts: at least 1 where all of` (its filters as children).
 */
function entityLine(c: EntityCondition, path: string): ConditionLine {
  const head = `${c.relationship}: ${countText(c.count)}`;
  const subject = `entity:${c.relationship}`;
  if (!c.where) return line(head, subject, path);
  const where = foldPredicate<Pending, null>(c.where, null, LINES)(`${path}.where`);
  if (where.subject === 'group') return line(`${head} where ${where.text}`, subject, path, where.children);
  if (where.subject.startsWith('column:')) return line(`${head} where ${where.text}`, subject, path);
  return line(`${head} where`, subject, path, [where]);
}

const LINES: ConditionFold<Pending, null> = {
  and: group('all of'),
  or: group('any of'),
  not: (item) => (path) => line('not', 'not', path, [item(`${path}.condition`)]),
  trait: (c) => (path) => line(`trait ${c.trait} ${comparisonText(c)}`, `trait:${c.trait}`, path),
  event: (c) => (path) => line(eventText(c), `event:${c.name}`, path),
  audience: (c) => (path) =>
    line(`${c.negate ? 'not part of' : 'part of'} ${c.source === 'classic' ? 'classic audience' : 'audience'} ${JSON.stringify(c.audience)}`, `audience:${c.audience}`, path),
  entity: (c) => (path) => entityLine(c, path),
  column: (c) => (path) => line(`${c.column} ${comparisonText(c)}`, `column:${c.column}`, path),
};

/** The condition as a tree of lines; `path` names its root (default `condition`). */
export function conditionLines(c: Condition, path = 'condition'): ConditionLine {
  return foldCondition<Pending, null>(c, null, LINES)(path);
}

/** An entity-level predicate as a tree of lines. */
export function predicateLines(p: EntityPredicate, path: string): ConditionLine {
  return foldPredicate<Pending, null>(p, null, LINES)(path);
}

/** The condition as indented text, one line per condition (two spaces a level). */
export function renderCondition(c: Condition, indent = ''): string[] {
  const out: string[] = [];
  const walk = (l: ConditionLine, pad: string) => {
    out.push(pad + l.text);
    for (const child of l.children) walk(child, `${pad}  `);
  };
  walk(conditionLines(c), indent);
  return out;
}

/** A line with what it holds written on it: `accounts: at least 1 where cards: at least 1 where balance > 1000`. */
function inlineText(l: ConditionLine): string {
  if (l.children.length === 0) return l.text;
  const held = l.children.map(inlineText);
  if (/(all of|any of)$/.test(l.text)) return `${l.text} (${held.join(', ')})`;
  if (l.subject === 'not') return `not (${held.join(', ')})`;
  return `${l.text} ${held.join(', ')}`;
}

/** One node of a condition as one line: a group by its word alone, any other node with its filters. */
export function nodeText(c: Condition | EntityPredicate): string {
  switch (c.kind) {
    case 'and':
      return 'all of';
    case 'or':
      return 'any of';
    case 'not':
      return 'not';
    case 'column':
      return inlineText(predicateLines(c, ''));
    default:
      return inlineText(conditionLines(c));
  }
}
