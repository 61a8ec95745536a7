import type { Condition, EntityPredicate } from './condition.js';

/*
 * What a condition tree refers to: the audiences it depends on ("part of") and the entity paths
 * it selects. Read by the static checks, the stack's dependency edges and the preview.
 */

/** Every "part of" / "not part of" condition of a tree: the audience key and its source. */
export function membershipReferences(c: Condition): { audience: string; source: 'linked' | 'classic' }[] {
  switch (c.kind) {
    case 'and':
    case 'or':
      return c.conditions.flatMap(membershipReferences);
    case 'not':
      return membershipReferences(c.condition);
    case 'audience':
      return [{ audience: c.audience, source: c.source }];
    default:
      return [];
  }
}

/** Linked audiences a condition refers to ("part of" or "not part of"). */
export function referencedAudiences(c: Condition): string[] {
  return membershipReferences(c)
    .filter((r) => r.source === 'linked')
    .map((r) => r.audience);
}

/**
 * Relationship paths (joined with ".") that the audience's conditions match positively: the
 * entities an entity trigger can report. A condition under `not`, or counting "at most 0" /
 * "exactly 0" (i.e. "without"), matches no entity.
 */
export function positiveEntityPaths(c: Condition): Set<string> {
  const out = new Set<string>();
  const visitEntity = (e: Extract<EntityPredicate, { kind: 'entity' }>, path: string[]) => {
    if ((e.count.op === 'at_most' || e.count.op === 'exactly') && e.count.value === 0) return;
    const here = [...path, e.relationship];
    out.add(here.join('.'));
    if (e.where) visitPredicate(e.where, here);
  };
  const visitPredicate = (p: EntityPredicate, path: string[]): void => {
    if (p.kind === 'and' || p.kind === 'or') p.conditions.forEach((x) => visitPredicate(x, path));
    else if (p.kind === 'entity') visitEntity(p, path);
  };
  const visit = (x: Condition): void => {
    if (x.kind === 'and' || x.kind === 'or') x.conditions.forEach(visit);
    else if (x.kind === 'entity') visitEntity(x, []);
  };
  visit(c);
  return out;
}
