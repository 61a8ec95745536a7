import type { Audience, ClassicAudience } from './audience.js';
import { membershipReferences, positiveEntityPaths } from './condition-walk.js';
import type { Desired } from './desired.js';
import type { Destination } from './destination.js';
import { ENTITY_TRIGGERS, type EventEmitter, type Trigger } from './emitter.js';
import type { DataGraph } from './graph.js';
import { GraphIndex } from './graph-index.js';

/**
 * The resources compute, preview and activation read: the graph, the audiences, the classic
 * audiences, the emitters and (for delivery) the destinations. Plain data (it travels as JSON to a
 * compute child process).
 */
export type ModelResources = Pick<Desired, 'graph' | 'audiences' | 'classicAudiences' | 'emitters'> & {
  destinations?: Destination[];
  /** Relationships joining an integer key to a string key (from the catalog): joined on a cast to text. */
  castJoins?: string[];
  /** Id columns (`table.column`) the catalog says are text: compared as they are, without a cast to text. */
  textKeys?: string[];
};

/** An entity path an audience's emitters trigger on, with those emitters. */
export interface EntityTrigger {
  /** Relationship slugs from the profile. */
  path: string[];
  emitters: { key: string; trigger: Trigger }[];
}

/** The audience with this key, if any. */
export function findAudience(model: Pick<ModelResources, 'audiences'>, key: string): Audience | undefined {
  return model.audiences.find((a) => a.key === key);
}

/**
 * The questions every layer asks of one model (applied or synthesized), answered in one place:
 * the audience of a key, the entity paths its emitters need, the linked audiences it reaches.
 */
export class AppliedModel {
  private readonly audiences: ReadonlyMap<string, Audience>;
  private readonly emitters: ReadonlyMap<string, EventEmitter>;
  private readonly destinations: ReadonlyMap<string, Destination>;
  private graphIndex?: GraphIndex;

  constructor(readonly resources: ModelResources) {
    this.audiences = new Map(resources.audiences.map((a) => [a.key, a]));
    this.emitters = new Map(resources.emitters.map((e) => [e.key, e]));
    this.destinations = new Map((resources.destinations ?? []).map((d) => [d.key, d]));
  }

  get graph(): DataGraph {
    return this.resources.graph;
  }

  get classicAudiences(): ClassicAudience[] {
    return this.resources.classicAudiences;
  }

  /** The graph's relationships as a tree, built on first use. */
  get index(): GraphIndex {
    return (this.graphIndex ??= new GraphIndex(this.resources.graph));
  }

  audience(key: string): Audience | undefined {
    return this.audiences.get(key);
  }

  emitter(key: string): EventEmitter | undefined {
    return this.emitters.get(key);
  }

  destination(key: string): Destination | undefined {
    return this.destinations.get(key);
  }

  audienceKeys(): string[] {
    return this.resources.audiences.map((a) => a.key);
  }

  /** The entity paths the audience's entity_added / entity_removed emitters use, sorted by path, with the emitters of each. */
  entityTriggers(audienceKey: string): EntityTrigger[] {
    const byPath = new Map<string, EntityTrigger>();
    for (const e of this.resources.emitters) {
      if (e.audience !== audienceKey || !ENTITY_TRIGGERS.includes(e.trigger) || !e.entityPath?.length) continue;
      const id = e.entityPath.join('.');
      const entry = byPath.get(id) ?? { path: e.entityPath, emitters: [] };
      entry.emitters.push({ key: e.key, trigger: e.trigger });
      byPath.set(id, entry);
    }
    return [...byPath.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => t);
  }

  /** Entity paths (relationship slugs) the audience's entity emitters need, sorted. */
  entityPathsOf(audienceKey: string): string[][] {
    return this.entityTriggers(audienceKey).map((t) => t.path);
  }

  /**
   * Entity paths whose matches a run keeps: the trigger paths of its entity emitters, and the
   * paths its emitters enrich with (`enrich.entities`) when the condition selects entities along
   * them, so that delivered arrays hold the entities that matched, not every related row. A path
   * the condition does not select has no matches to keep: its arrays carry every related row.
   * Sorted by path.
   */
  matchPathsOf(audienceKey: string): string[][] {
    const audience = this.audience(audienceKey);
    const byPath = new Map(this.entityPathsOf(audienceKey).map((p) => [p.join('.'), p]));
    const selected = audience ? positiveEntityPaths(audience.condition) : new Set<string>();
    for (const e of this.resources.emitters) {
      if (e.audience !== audienceKey) continue;
      for (const enriched of e.enrich.entities) {
        const path = this.index.path(enriched.relationship);
        if (path && selected.has(path.join('.'))) byPath.set(path.join('.'), path);
      }
    }
    return [...byPath.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p);
  }

  /** The audience and every linked audience its conditions reach through "part of", transitively; the audience first. */
  withLinkedDependencies(audienceKey: string): string[] {
    const seen = new Set<string>();
    const visit = (key: string) => {
      if (seen.has(key)) return;
      seen.add(key);
      const a = this.audience(key);
      if (a) membershipReferences(a.condition).forEach((r) => r.source === 'linked' && visit(r.audience));
    };
    visit(audienceKey);
    return [...seen];
  }
}
