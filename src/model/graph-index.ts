import type { DataGraph, Entity, Relationship } from './graph.js';

/**
 * The Data Graph as a tree of relationships rooted at the profile. Slugs are unique, so one
 * slug names one path. Depth counts the profile: profile → accounts → cards is 3 (the seed's
 * "Profiles, Accounts, Credit Cards, and Transactions has four levels of depth").
 */
export class GraphIndex {
  readonly entities = new Map<string, Entity>();
  readonly relationships = new Map<string, Relationship>();

  constructor(readonly graph: DataGraph) {
    for (const e of graph.entities) this.entities.set(e.slug, e);
    for (const r of graph.relationships) this.relationships.set(r.slug, r);
  }

  relationship(slug: string): Relationship | undefined {
    return this.relationships.get(slug);
  }

  /** The entity a relationship leads to; undefined when the graph lacks it. */
  entityOf(slug: string): Entity | undefined {
    const r = this.relationships.get(slug);
    return r ? this.entities.get(r.entity) : undefined;
  }

  /**
   * Relationship slugs from the profile down to `slug`, inclusive. Undefined when a slug on the
   * way is unknown or the parents form a cycle.
   */
  path(slug: string): string[] | undefined {
    const out: string[] = [];
    const seen = new Set<string>();
    let current: string | null = slug;
    while (current !== null) {
      if (seen.has(current)) return undefined;
      seen.add(current);
      const r = this.relationships.get(current);
      if (!r) return undefined;
      out.unshift(current);
      current = r.parent;
    }
    return out;
  }

  /** Depth of the relationship's entity, counting the profile as level 1. */
  depth(slug: string): number | undefined {
    const p = this.path(slug);
    return p ? p.length + 1 : undefined;
  }

  /** Relationships whose parent is `parent` (null: the profile's own). */
  children(parent: string | null): Relationship[] {
    return this.graph.relationships.filter((r) => r.parent === parent);
  }

  /** True when `ancestor` is `slug` itself or lies above it on its path. */
  isOnPath(ancestor: string, slug: string): boolean {
    return this.path(slug)?.includes(ancestor) ?? false;
  }
}
