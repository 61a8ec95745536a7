import type { Comparison, Condition, Count, EventWindow, Operand } from '../model/condition.js';
import { foldCondition, foldPredicate, type ConditionFold } from '../model/condition-walk.js';
import { href, html, type Html } from './html.js';

/*
 * A condition as a tree a marketer reads: groups as "All of" / "Any of" / "None of the following",
 * leaves as sentences. Audience keys link to their pages.
 */

const OPERATOR_WORDS: Record<Comparison['operator'], string> = {
  equals: 'is',
  not_equals: 'is not',
  lt: 'is less than',
  lte: 'is at most',
  gt: 'is greater than',
  gte: 'is at least',
  contains: 'contains',
  not_contains: 'does not contain',
  starts_with: 'starts with',
  ends_with: 'ends with',
  exists: 'is set',
  not_exists: 'is not set',
  one_of: 'is one of',
  none_of: 'is none of',
  before_date: 'is before',
  after_date: 'is after',
  within_last: 'is within the last',
  within_next: 'is within the next',
};

function operand(v: Operand): Html {
  if ('literal' in v) return html`<code>${JSON.stringify(v.literal)}</code>`;
  if ('trait' in v) return html`trait <code>${v.trait}</code>`;
  return html`<code>${v.relationship}.${v.column}</code>`;
}

function comparison(subject: Html, c: Comparison): Html {
  const words = OPERATOR_WORDS[c.operator];
  if (!('value' in c)) return html`${subject} ${words}`;
  const v = c.value as unknown;
  if (Array.isArray(v)) return html`${subject} ${words} ${v.map((x, i) => html`${i ? ', ' : ''}<code>${JSON.stringify(x)}</code>`)}`;
  if (typeof v === 'string') return html`${subject} ${words} <code>${v}</code>`;
  if (c.operator === 'within_last' || c.operator === 'within_next') return html`${subject} ${words} ${c.value.amount} ${c.value.unit}`;
  return html`${subject} ${words} ${operand(v as Operand)}`;
}

function count(c: Count, noun: string): string {
  if (c.value === 0 && c.op !== 'at_least') return `no ${noun}`;
  const op = c.op === 'at_least' ? 'at least' : c.op === 'at_most' ? 'at most' : 'exactly';
  return `${op} ${c.value}`;
}

function windowText(w: EventWindow | undefined): string {
  if (!w) return 'ever';
  return w.type === 'within' ? `in the last ${w.amount} ${w.unit}` : `between ${w.from} and ${w.to}`;
}

const group = (label: string, items: Html[]): Html => html`<li><span class="group">${label}</span><ul>${items}</ul></li>`;

const NODES: ConditionFold<Html, null> = {
  and: (items) => group('All of', items),
  or: (items) => group('Any of', items),
  not: (item) => group('None of', [item]),
  trait: (c) => html`<li>${comparison(html`trait <code>${c.trait}</code>`, c)}</li>`,
  column: (p) => html`<li>${comparison(html`column <code>${p.column}</code>`, p)}</li>`,
  entity: (c) => {
    const head = html`has ${count(c.count, 'related')} <strong>${c.relationship}</strong>${c.where ? ' where' : ''}`;
    return html`<li>${head}${c.where ? html`<ul>${foldPredicate(c.where, null, NODES)}</ul>` : ''}</li>`;
  },
  event: (c) => {
    const times = c.count.value === 0 && c.count.op !== 'at_least' ? 'never did' : `did ${count(c.count, 'times')} time${c.count.value === 1 ? '' : 's'}:`;
    const filters = c.where.map((f) => html`<li>${comparison(html`property <code>${f.property}</code>`, f)}</li>`);
    return html`<li>${times} event <strong>${c.name}</strong> ${windowText(c.window)}${filters.length ? html`, where<ul>${filters}</ul>` : ''}</li>`;
  },
  audience: (c) => {
    const name = c.source === 'linked' ? html`<a href="${href('audiences', c.audience)}">${c.audience}</a>` : html`<code>${c.audience}</code> (classic)`;
    return html`<li>${c.negate ? 'not part of' : 'part of'} audience ${name}</li>`;
  },
};

/** The condition as nested lists (readable without styles, by screen readers too). */
export function renderCondition(c: Condition): Html {
  return html`<ul class="condition">${foldCondition(c, null, NODES)}</ul>`;
}
