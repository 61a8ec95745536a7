import { describe, expect, it } from 'vitest';
import type { Condition, EntityPredicate } from '../../src/model/condition.js';
import { linkedAudiencesUsed, positiveEntityPaths, relationshipsUsed, visitCondition } from '../../src/model/condition-walk.js';

const overBalance: EntityPredicate = { kind: 'column', column: 'balance', operator: 'gt', value: { literal: 10 } };
const condition: Condition = {
  kind: 'and',
  conditions: [
    { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'and', conditions: [overBalance, { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 1 } }] } },
    { kind: 'not', condition: { kind: 'entity', relationship: 'loans', count: { op: 'at_least', value: 1 } } },
    { kind: 'entity', relationship: 'trips', count: { op: 'exactly', value: 0 }, where: { kind: 'entity', relationship: 'legs', count: { op: 'at_least', value: 1 } } },
    { kind: 'audience', audience: 'vip', source: 'linked', negate: false },
    { kind: 'or', conditions: [{ kind: 'audience', audience: 'churned', source: 'classic', negate: true }, { kind: 'audience', audience: 'b', source: 'linked', negate: true }] },
  ],
};

describe('condition walk (src/model)', () => {
  it('knows what a condition uses', () => {
    expect(linkedAudiencesUsed(condition)).toEqual(['b', 'vip']);
    expect([...relationshipsUsed(condition)].sort()).toEqual(['accounts', 'cards', 'legs', 'loans', 'trips']);
    // Not under `not`, not counting "without", not inside a "without".
    expect([...positiveEntityPaths(condition)]).toEqual(['accounts', 'accounts.cards']);
  });

  it('visits with the attribute path and the enclosing entities', () => {
    const columns: [string, string[], boolean][] = [];
    visitCondition(condition, { column: (_c, site) => columns.push([site.attribute, site.entities.map((e) => e.relationship), site.positive]) });
    expect(columns).toEqual([['condition.conditions[0].where.conditions[0]', ['accounts'], true]]);
  });

  it('skips an entity condition\'s where when the visitor says so', () => {
    const seen: string[] = [];
    visitCondition(condition, { entity: (e) => (seen.push(e.relationship), e.relationship !== 'accounts') });
    expect(seen).toEqual(['accounts', 'loans', 'trips', 'legs']);
  });
});
