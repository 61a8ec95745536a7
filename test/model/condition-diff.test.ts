import { describe, expect, it } from 'vitest';
import { Condition } from '../../src/model/condition.js';
import { conditionChangeCounts, diffConditions, type ConditionDiff } from '../../src/model/condition-diff.js';
import { renderCondition } from '../../src/model/condition-text.js';
import { conditionDiffLines, inlineChange } from '../../src/plan/render-condition.js';

const trait = (name: string, value: number) => ({ kind: 'trait', trait: name, operator: 'gte', value: { literal: value } });
const col = (column: string, value: string | number) => ({ kind: 'column', column, operator: 'equals', value: { literal: value } });
const parse = (c: unknown) => Condition.parse(c);

/** A nested condition: traits, an entity condition holding another, an event, a membership. */
function base(): any {
  return {
    kind: 'and',
    conditions: [
      trait('lifetime_value', 30),
      trait('credit_score', 600),
      {
        kind: 'entity',
        relationship: 'accounts',
        count: { op: 'at_least', value: 1 },
        where: { kind: 'and', conditions: [col('type', 'credit'), { kind: 'entity', relationship: 'invoices', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'amount', operator: 'gte', value: { literal: 30 } } }, col('status', 'open')] },
      },
      { kind: 'event', name: 'Order Completed', where: [{ property: 'amount', operator: 'gte', value: { literal: 5 } }], count: { op: 'at_least', value: 3 }, window: { type: 'within', amount: 30, unit: 'days' } },
      { kind: 'audience', audience: 'vip', source: 'linked', negate: false },
    ],
  };
}

/** The diff as "action text" lines, depth-indented: easy to read in a failure. */
function outline(d: ConditionDiff, depth = 0): string[] {
  const text = d.action === 'remove' ? d.before : d.after;
  const head = `${'  '.repeat(depth)}${d.action}${d.action === 'change' && d.before !== d.after ? ` ${d.before} => ${d.after}` : ` ${text}`}${d.folded ? ` [${d.folded}]` : ''}`;
  return [head, ...d.children.flatMap((c) => outline(c, depth + 1))];
}

describe('condition text', () => {
  it('reads one line per condition, in the constructs’ words, nested conditions indented', () => {
    const c = parse({ ...base(), conditions: [...base().conditions, { kind: 'not', condition: { kind: 'audience', audience: 'legacy', source: 'classic', negate: false } }, { kind: 'trait', trait: 'plan', operator: 'one_of', value: ['gold', 'private'] }, { kind: 'trait', trait: 'opened', operator: 'within_last', value: { amount: 1, unit: 'days' } }] });
    expect(renderCondition(c)).toEqual([
      'all of',
      '  trait lifetime_value >= 30',
      '  trait credit_score >= 600',
      '  accounts: at least 1 where all of',
      '    type = "credit"',
      '    invoices: at least 1 where amount >= 30',
      '    status = "open"',
      '  performed "Order Completed" at least 3 times within last 30 days where amount >= 5',
      '  part of audience "vip"',
      '  not',
      '    part of classic audience "legacy"',
      '  trait plan is one of ["gold", "private"]',
      '  trait opened within last 1 day',
    ]);
  });

  it('reads operands, windows and counts the way they were written', () => {
    const c = parse({
      kind: 'entity',
      relationship: 'cards',
      count: { op: 'exactly', value: 0 },
      where: { kind: 'or', conditions: [{ kind: 'column', column: 'balance', operator: 'gt', value: { relationship: 'accounts', column: 'limit' } }, { kind: 'column', column: 'tier', operator: 'not_exists' }] },
    });
    expect(renderCondition(c)).toEqual(['cards: exactly 0 where any of', '  balance > accounts.limit', '  tier does not exist']);
    const e = parse({ kind: 'event', name: 'Login', where: [], count: { op: 'at_most', value: 1 }, window: { type: 'between', from: '2026-01-01', to: '2026-02-01' } });
    expect(renderCondition(e)).toEqual(['performed "Login" at most 1 time between 2026-01-01 and 2026-02-01']);
  });
});

describe('condition diff', () => {
  it('is undefined when both conditions read the same', () => {
    expect(diffConditions(parse(base()), parse(base()))).toBeUndefined();
  });

  it('marks a nested change with its ancestors and folds unchanged siblings with their size', () => {
    const after = base();
    after.conditions[2].where.conditions[1].where.value.literal = 1000;
    const d = diffConditions(parse(base()), parse(after))!;
    expect(outline(d)).toEqual([
      'change all of',
      '  unchanged trait lifetime_value >= 30 [1]',
      '  unchanged trait credit_score >= 600 [1]',
      '  change accounts: at least 1 where all of',
      '    unchanged type = "credit" [1]',
      '    change invoices: at least 1 where amount >= 30 => invoices: at least 1 where amount >= 1000',
      '    unchanged status = "open" [1]',
      '  unchanged performed "Order Completed" at least 3 times within last 30 days where amount >= 5 [1]',
      '  unchanged part of audience "vip" [1]',
    ]);
    expect(d.children[2].children[1].path).toBe('condition.conditions[2].where.conditions[1]');
    expect(conditionChangeCounts(d)).toEqual({ add: 0, remove: 0, change: 1 });
  });

  it('an added and a removed condition are not a change of every later sibling', () => {
    const after = base();
    after.conditions.splice(1, 1); // remove credit_score
    after.conditions.splice(2, 0, trait('tenure_days', 90)); // insert before the event
    const d = diffConditions(parse(base()), parse(after))!;
    expect(outline(d)).toEqual([
      'change all of',
      '  unchanged trait lifetime_value >= 30 [1]',
      '  remove trait credit_score >= 600',
      '  unchanged accounts: at least 1 where all of [4]',
      '  add trait tenure_days >= 90',
      '  unchanged performed "Order Completed" at least 3 times within last 30 days where amount >= 5 [1]',
      '  unchanged part of audience "vip" [1]',
    ]);
    expect(d.children[2].folded).toBe(4);
    expect(conditionChangeCounts(d)).toEqual({ add: 1, remove: 1, change: 0 });
  });

  it('an added subtree lists every condition it holds; a new or deleted audience is all add or all remove', () => {
    const after = base();
    after.conditions.push({ kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 2 }, where: { kind: 'and', conditions: [col('tier', 'gold'), col('status', 'active')] } });
    const d = diffConditions(parse(base()), parse(after))!;
    expect(outline(d).slice(-3)).toEqual(['  add cards: at least 2 where all of', '    add tier = "gold"', '    add status = "active"']);
    const created = diffConditions(undefined, parse(base()))!;
    expect(created.action).toBe('add');
    expect(outline(created).every((l) => l.trim().startsWith('add '))).toBe(true);
    expect(outline(diffConditions(parse(base()), undefined)!).every((l) => l.trim().startsWith('remove '))).toBe(true);
  });

  it('all of -> any of is one group changed, its children kept', () => {
    const after = base();
    after.kind = 'or';
    const d = diffConditions(parse(base()), parse(after))!;
    expect(d).toMatchObject({ action: 'change', before: 'all of', after: 'any of' });
    expect(d.children.every((c) => c.action === 'unchanged')).toBe(true);
  });

  it('renders like Terraform: ~ + -, indented, runs of unchanged siblings folded with a count', () => {
    const after = base();
    after.conditions[2].where.conditions[1].where.value.literal = 1000;
    after.conditions[3].count.value = 5;
    after.conditions.splice(4, 1);
    expect(conditionDiffLines(diffConditions(parse(base()), parse(after))!, 0)).toEqual([
      '~ all of',
      '      # (2 unchanged conditions hidden)',
      '    ~ accounts: at least 1 where all of',
      '          # (1 unchanged condition hidden)',
      '        ~ invoices: at least 1 where amount >= 30 -> 1000',
      '          # (1 unchanged condition hidden)',
      '    ~ performed "Order Completed" at least 3 -> 5 times within last 30 days where amount >= 5',
      '    - part of audience "vip"',
    ]);
  });

  it('an edited line keeps what both sides share and shows the rest as before -> after', () => {
    expect(inlineChange('trait plan = "a b"', 'trait plan = "c"')).toBe('trait plan = "a b" -> "c"');
    expect(inlineChange('performed "X" at least 1 time', 'performed "X" at least 1 time within last 7 days')).toBe('performed "X" at least 1 time -> time within last 7 days');
    expect(inlineChange('all of', 'any of')).toBe('all -> any of');
    expect(inlineChange('trait a exists', 'cards: at least 1')).toBe('trait a exists -> cards: at least 1');
  });
});
