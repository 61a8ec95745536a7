import type { FixtureType } from '../model/audience-test.js';
import type { Comparison } from '../model/condition.js';
import { visitCondition } from '../model/condition-walk.js';
import type { Desired } from '../model/desired.js';
import { GraphIndex } from '../model/graph-index.js';
import { AppliedModel } from '../model/applied-model.js';

/*
 * The type a column must have for the audience's comparisons to compile, read from the
 * conditions themselves: a column no fixture row gives a value (a table left empty, a trait left
 * null) still needs a type the warehouse would have, or `balance > 1000` fails to bind on text.
 */

const DATE_LIKE = /^\d{4}-\d{2}-\d{2}/;

function typeOfComparison(c: Comparison): FixtureType | undefined {
  switch (c.operator) {
    case 'within_last':
    case 'within_next':
    case 'before_date':
    case 'after_date':
      return 'TIMESTAMP';
    case 'contains':
    case 'not_contains':
    case 'starts_with':
    case 'ends_with':
      return 'VARCHAR';
    case 'exists':
    case 'not_exists':
      return undefined;
    case 'one_of':
    case 'none_of':
      return literalType(c.value[0]);
    default:
      return 'literal' in c.value ? literalType(c.value.literal) : undefined;
  }
}

function literalType(v: unknown): FixtureType | undefined {
  if (typeof v === 'number') return 'DOUBLE';
  if (typeof v === 'boolean') return 'BOOLEAN';
  if (typeof v === 'string') return DATE_LIKE.test(v) ? 'TIMESTAMP' : 'VARCHAR';
  return undefined;
}

/** Table (lower case) → column → the type the audience's conditions (and those it reaches by "part of") compare it as. */
export function impliedColumnTypes(desired: Desired, audienceKey: string): Map<string, Map<string, FixtureType>> {
  const out = new Map<string, Map<string, FixtureType>>();
  const model = new AppliedModel(desired);
  const index = new GraphIndex(desired.graph);
  const note = (table: string | undefined, column: string, type: FixtureType | undefined) => {
    if (!table || !type) return;
    const byColumn = out.get(table.toLowerCase()) ?? new Map<string, FixtureType>();
    if (!byColumn.has(column)) byColumn.set(column, type);
    out.set(table.toLowerCase(), byColumn);
  };
  for (const key of model.withLinkedDependencies(audienceKey)) {
    const audience = model.audience(key);
    if (!audience) continue;
    visitCondition(audience.condition, {
      trait: (c) => note(desired.graph.profile.table, c.trait, typeOfComparison(c)),
      column: (c, site) => note(index.entityOf(site.entities[site.entities.length - 1]?.relationship ?? '')?.table, c.column, typeOfComparison(c)),
    });
  }
  return out;
}
