import type { Desired } from '../../src/model/desired.js';
import { makePlan, sealPlan } from '../../src/plan/make.js';
import type { Plan } from '../../src/plan/types.js';
import type { AppliedResource } from '../../src/state/apply/resources.js';
import { specHash } from '../../src/state/canonical.js';
import { desired, rawDesired } from './fixtures.js';

const NOW = new Date('2026-03-01T10:00:00Z');

function appliedFrom(d: Desired): AppliedResource[] {
  const rows: AppliedResource[] = [];
  const add = (kind: AppliedResource['kind'], key: string, spec: unknown) =>
    rows.push({ kind, key, spec: spec as never, specHash: specHash(spec), version: 1, appliedAt: NOW.toISOString(), appliedBy: 'a', commitSha: 'c', deletedAt: null, createdAt: NOW.toISOString(), stack: d.stack, applyId: 'x' });
  add('data_graph', d.graph.key, d.graph);
  for (const a of d.audiences) add('audience', a.key, a);
  for (const x of d.destinations) add('destination', x.key, x);
  for (const e of d.emitters) add('event_emitter', e.key, e);
  return rows;
}

/** A fixed plan with one of each action, a secret change, a warning and impact: the renderers' golden input. */
export function goldenPlan(): Plan {
  const before = rawDesired('warehouse.duckdb', 3);
  const after = rawDesired('warehouse.duckdb', 3);
  after.audiences[0].enabled = true;
  after.audiences[0].condition.value.literal = 'gold';
  after.audiences = after.audiences.filter((a: { key: string }) => a.key !== 'aud-2');
  after.audiences.push({ key: 'vip', name: 'VIP', condition: { kind: 'trait', trait: 'plan', operator: 'exists' } });
  after.destinations[0] = { key: 'hook', type: 'segment', settings: { writeKey: { secret: 'SEGMENT_WRITE_KEY' } } };
  const plan = makePlan(desired(after), appliedFrom(desired(before)), {
    now: NOW,
    // aud-2 is deleted: declared nowhere any more, its header shows no path.
    constructPaths: new Map([
      ['audience.aud-0', 'marketing/audiences/aud-0'],
      ['audience.aud-2', 'marketing/audiences/aud-2'],
      ['audience.vip', 'marketing/audiences/vip'],
      ['destination.hook', 'marketing/hook'],
    ]),
    diagnostics: [{ severity: 'warning', code: 'COLUMN_TYPE', message: 'Column plan of main.profiles is not a string', resource: 'data_graph.graph' }],
  });
  return sealPlan({
    ...plan,
    impact: [
      { key: 'aud-0', currentSize: 120, newSize: 80, entering: 5, exiting: 45 },
      { key: 'vip', currentSize: null, newSize: 300, entering: 300, exiting: 0, disabled: true },
    ],
  });
}

/** A nested condition, three levels deep: the readable-condition goldens edit it. */
export function nestedCondition(): any {
  return {
    kind: 'and',
    conditions: [
      { kind: 'trait', trait: 'plan', operator: 'one_of', value: ['premium', 'private'] },
      { kind: 'trait', trait: 'email', operator: 'exists' },
      {
        kind: 'entity',
        relationship: 'accounts',
        count: { op: 'at_least', value: 1 },
        where: {
          kind: 'and',
          conditions: [
            { kind: 'column', column: 'status', operator: 'equals', value: { literal: 'open' } },
            {
              kind: 'entity',
              relationship: 'cards',
              count: { op: 'at_least', value: 1 },
              where: {
                kind: 'and',
                conditions: [
                  { kind: 'column', column: 'tier', operator: 'equals', value: { literal: 'gold' } },
                  { kind: 'column', column: 'balance', operator: 'gte', value: { literal: 30 } },
                ],
              },
            },
          ],
        },
      },
      { kind: 'event', name: 'Payment Made', where: [{ property: 'amount', operator: 'gte', value: { literal: 5 } }], count: { op: 'at_least', value: 2 }, window: { type: 'within', amount: 30, unit: 'days' } },
    ],
  };
}

/**
 * A plan whose audience's nested condition changes: a threshold three levels down, an event count,
 * a condition removed and one added; another audience is created with a nested condition.
 */
export function conditionGoldenPlan(): Plan {
  const before = rawDesired('warehouse.duckdb', 2);
  before.audiences[0].condition = nestedCondition();
  const after = structuredClone(before);
  const c = after.audiences[0].condition;
  c.conditions[2].where.conditions[1].where.conditions[1].value.literal = 1000;
  c.conditions[3].count.value = 3;
  c.conditions.splice(1, 1);
  c.conditions.push({ kind: 'not', condition: { kind: 'audience', audience: 'aud-1', source: 'linked', negate: false } });
  after.audiences.push({ key: 'big-spenders', name: 'Big spenders', condition: { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 2 }, where: { kind: 'column', column: 'balance', operator: 'gt', value: { literal: 5000 } } } } });
  const constructPaths = new Map([
    ['audience.aud-0', 'marketing/audiences/aud-0'],
    ['audience.big-spenders', 'marketing/audiences/big-spenders'],
  ]);
  return makePlan(desired(after), appliedFrom(desired(before)), { now: NOW, constructPaths });
}
