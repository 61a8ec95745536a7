import type {
  AudienceMembershipCondition,
  ColumnFilter,
  Condition,
  Count,
  EntityCondition,
  EntityPredicate,
  EventCondition,
  TraitCondition,
} from './condition.js';

/*
 * The one place that knows the shape of the condition tree. Everything that reads a condition
 * either folds it into a value (`foldCondition` / `foldPredicate`: the SQL compiler, "does this
 * predicate reach outside?") or visits its nodes top-down with where they sit (`visitCondition`:
 * the static and catalog checks, entity matches, enrichment). A new condition kind is added to
 * src/model/condition.ts, to the fold's switch and the visitor's, and then wherever the compiler asks for it.
 */

// ---- fold ------------------------------------------------------------------------------------

/**
 * How to turn each kind of node into a `T`, given a scope `S` passed down unchanged (an entity
 * condition decides its own children's scope: it folds its `where` itself with foldPredicate).
 */
export interface ConditionFold<T, S> {
  and(items: T[], scope: S): T;
  or(items: T[], scope: S): T;
  not(item: T, scope: S): T;
  trait(c: TraitCondition, scope: S): T;
  event(c: EventCondition, scope: S): T;
  audience(c: AudienceMembershipCondition, scope: S): T;
  entity(c: EntityCondition, scope: S): T;
  column(c: ColumnFilter, scope: S): T;
}

/** A profile-level condition folded bottom-up through `f`. */
export function foldCondition<T, S>(c: Condition, scope: S, f: ConditionFold<T, S>): T {
  return foldNode(c, scope, f);
}

/** An entity-level predicate folded bottom-up through `f` (only its entity-level methods are called). */
export function foldPredicate<T, S>(p: EntityPredicate, scope: S, f: Pick<ConditionFold<T, S>, 'and' | 'or' | 'not' | 'entity' | 'column'>): T {
  // A predicate holds only entity-level kinds, so the profile-level methods `f` lacks are never reached.
  return foldNode(p, scope, f as ConditionFold<T, S>);
}

/** Both levels share their groups (and, or, not): one switch folds either. */
function foldNode<T, S>(n: Condition | EntityPredicate, scope: S, f: ConditionFold<T, S>): T {
  switch (n.kind) {
    case 'and':
      return f.and(n.conditions.map((x: Condition | EntityPredicate) => foldNode(x, scope, f)), scope);
    case 'or':
      return f.or(n.conditions.map((x: Condition | EntityPredicate) => foldNode(x, scope, f)), scope);
    case 'not':
      return f.not(foldNode(n.condition, scope, f), scope);
    case 'trait':
      return f.trait(n, scope);
    case 'entity':
      return f.entity(n, scope);
    case 'event':
      return f.event(n, scope);
    case 'audience':
      return f.audience(n, scope);
    case 'column':
      return f.column(n, scope);
  }
}

// ---- visit -----------------------------------------------------------------------------------

/** Where a node sits in the tree. */
export interface ConditionSite {
  /** Attribute path from the root, e.g. `condition.conditions[1].where.conditions[0]`. */
  attribute: string;
  /** The entity conditions enclosing the node, outermost first: its relationship scope. */
  entities: readonly EntityCondition[];
  /**
   * True when the node can be what makes a profile a member: no `not` above it and no enclosing
   * entity condition that counts "without" rows.
   */
  positive: boolean;
}

/** Called for each node of its kind, top-down, children after their parent. */
export interface ConditionVisitor {
  trait?(c: TraitCondition, site: ConditionSite): void;
  event?(c: EventCondition, site: ConditionSite): void;
  audience?(c: AudienceMembershipCondition, site: ConditionSite): void;
  /** Return false to skip the condition's `where` (e.g. its relationship is unknown). */
  entity?(c: EntityCondition, site: ConditionSite): boolean | void;
  column?(c: ColumnFilter, site: ConditionSite): void;
}

/** A count that "without" rows satisfies (at most 0, exactly 0): its rows never make a member. */
export const countsWithout = (c: Count): boolean => c.op !== 'at_least' && c.value === 0;

/** Visits every node of `condition`; `attribute` names the root in the sites (default `condition`). */
export function visitCondition(condition: Condition, visitor: ConditionVisitor, attribute = 'condition'): void {
  // Both levels share their groups (and, or, not): one switch walks either.
  const node = (n: Condition | EntityPredicate, site: ConditionSite): void => {
    switch (n.kind) {
      case 'and':
      case 'or':
        return n.conditions.forEach((x: Condition | EntityPredicate, i: number) => node(x, { ...site, attribute: `${site.attribute}.conditions[${i}]` }));
      case 'not':
        return node(n.condition, { ...site, attribute: `${site.attribute}.condition`, positive: false });
      case 'trait':
        return visitor.trait?.(n, site);
      case 'event':
        return visitor.event?.(n, site);
      case 'audience':
        return visitor.audience?.(n, site);
      case 'column':
        return visitor.column?.(n, site);
      case 'entity': {
        if (visitor.entity?.(n, site) === false || !n.where) return;
        const inner = { attribute: `${site.attribute}.where`, entities: [...site.entities, n], positive: site.positive && !countsWithout(n.count) };
        return node(n.where, inner);
      }
    }
  };
  node(condition, { attribute, entities: [], positive: true });
}

// ---- what a condition uses -------------------------------------------------------------------

/** Every "part of" / "not part of" condition of a tree, in tree order: the audience key and its source. */
export function membershipReferences(condition: Condition): { audience: string; source: 'linked' | 'classic' }[] {
  const out: { audience: string; source: 'linked' | 'classic' }[] = [];
  visitCondition(condition, { audience: (c) => out.push({ audience: c.audience, source: c.source }) });
  return out;
}

/** Keys of the linked audiences a condition reads ("part of" or "not part of"), sorted, once each. */
export function linkedAudiencesUsed(condition: Condition): string[] {
  return [...new Set(membershipReferences(condition).filter((r) => r.source === 'linked').map((r) => r.audience))].sort();
}

/** Slugs of every relationship an entity condition of the tree traverses, at any depth, negated or not. */
export function relationshipsUsed(condition: Condition): Set<string> {
  const out = new Set<string>();
  visitCondition(condition, { entity: (c) => void out.add(c.relationship) });
  return out;
}

/**
 * The chains of entity conditions (outermost first) that can make a profile a member: every entity
 * condition not under a `not`, not counting "without" rows and not inside one that does, with its
 * enclosing entity conditions.
 */
export function positiveEntityChains(condition: Condition): EntityCondition[][] {
  const out: EntityCondition[][] = [];
  visitCondition(condition, {
    entity: (c, site) => {
      if (!site.positive || countsWithout(c.count)) return false;
      out.push([...site.entities, c]);
    },
  });
  return out;
}

/** Relationship paths (slugs joined with ".") that the condition matches positively: what an entity trigger can report. */
export function positiveEntityPaths(condition: Condition): Set<string> {
  return new Set(positiveEntityChains(condition).map((chain) => chain.map((c) => c.relationship).join('.')));
}
