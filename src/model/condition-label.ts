import type { Comparison, Condition, Count, EntityPredicate, EventWindow, Operand } from './condition.js';

/*
 * Conditions as a person reads them: one line per node, the words of the condition builder.
 * `linked why` labels each node of its tree with these; `linked trace` prints a whole definition.
 */

const OPERATOR_WORDS: Record<Comparison['operator'], string> = {
  equals: '=',
  not_equals: '≠',
  lt: '<',
  lte: '≤',
  gt: '>',
  gte: '≥',
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
  within_last: 'within the last',
  within_next: 'within the next',
};

function operand(o: Operand): string {
  if ('literal' in o) return JSON.stringify(o.literal);
  if ('trait' in o) return `trait ${o.trait}`;
  return `${o.relationship}.${o.column}`;
}

/** `subject operator value`, e.g. `tier = "gold"`, `balance ≥ 1000`, `signup within the last 30 days`. */
export function comparisonLabel(subject: string, c: Comparison): string {
  const words = OPERATOR_WORDS[c.operator];
  if (c.operator === 'exists' || c.operator === 'not_exists') return `${subject} ${words}`;
  const v = (c as { value: unknown }).value;
  let value: string;
  if (Array.isArray(v)) value = `(${v.map((x) => JSON.stringify(x)).join(', ')})`;
  else if (v && typeof v === 'object' && 'amount' in v) {
    const d = v as { amount: number; unit: string };
    value = `${d.amount} ${d.unit}`;
  }
  else if (v && typeof v === 'object') value = operand(v as Operand);
  else value = JSON.stringify(v);
  return `${subject} ${words} ${value}`;
}

export function countLabel(c: Count): string {
  if (c.op !== 'at_least' && c.value === 0) return 'none';
  return `${c.op.replace('_', ' ')} ${c.value}`;
}

export function windowLabel(w: EventWindow | undefined): string {
  if (!w) return 'ever';
  return w.type === 'within' ? `in the last ${w.amount} ${w.unit}` : `between ${w.from} and ${w.to}`;
}

/** One node, without its children. */
export function conditionLabel(c: Condition | EntityPredicate): string {
  switch (c.kind) {
    case 'and':
      return 'all of';
    case 'or':
      return 'any of';
    case 'not':
      return 'not';
    case 'trait':
      return comparisonLabel(`trait ${c.trait}`, c);
    case 'column':
      return comparisonLabel(c.column, c);
    case 'entity':
      return `${countLabel(c.count)} ${c.relationship}${c.where ? ` where ${predicateText(c.where)}` : ''}`;
    case 'event': {
      const filters = c.where.length > 0 ? ` with ${c.where.map((f) => comparisonLabel(f.property, f)).join(' and ')}` : '';
      return `${countLabel(c.count)} "${c.name}" events${filters} ${windowLabel(c.window)}`;
    }
    case 'audience':
      return `${c.negate ? 'not part of' : 'part of'} ${c.source} audience ${c.audience}`;
  }
}

function predicateText(p: EntityPredicate): string {
  switch (p.kind) {
    case 'and':
      return p.conditions.map(predicateText).join(' and ');
    case 'or':
      return `(${p.conditions.map(predicateText).join(' or ')})`;
    case 'not':
      return `not (${predicateText(p.condition)})`;
    default:
      return conditionLabel(p);
  }
}

/** A whole condition tree, indented, one node a line. */
export function conditionText(c: Condition, indent = ''): string {
  const line = `${indent}${conditionLabel(c)}`;
  if (c.kind === 'and' || c.kind === 'or') return [line, ...c.conditions.map((x) => conditionText(x, `${indent}  `))].join('\n');
  if (c.kind === 'not') return [line, conditionText(c.condition, `${indent}  `)].join('\n');
  return line;
}
