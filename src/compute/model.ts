import type { Audience, ClassicAudience } from '../model/audience.js';
import type { Condition } from '../model/condition.js';
import type { Desired } from '../model/desired.js';
import { ENTITY_TRIGGERS, type EventEmitter } from '../model/emitter.js';
import type { DataGraph } from '../model/graph.js';

/** What compute needs of the applied model: the graph, audiences, classic audiences, emitters. */
export type ComputeModel = Pick<Desired, 'graph' | 'audiences' | 'classicAudiences' | 'emitters'>;

export function findAudience(model: ComputeModel, key: string): Audience | undefined {
  return model.audiences.find((a) => a.key === key);
}

/** Entity paths (slugs joined by '.') the audience's entity_added / entity_removed emitters need. */
export function entityPathsOf(emitters: readonly EventEmitter[], audienceKey: string): string[][] {
  const seen = new Map<string, string[]>();
  for (const e of emitters) {
    if (e.audience !== audienceKey || !ENTITY_TRIGGERS.includes(e.trigger) || !e.entityPath?.length) continue;
    seen.set(e.entityPath.join('.'), e.entityPath);
  }
  return [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p);
}

/** Keys of the linked audiences a condition reads ("part of a linked audience"). */
export function linkedAudiencesUsed(condition: Condition): string[] {
  const out = new Set<string>();
  const walk = (c: Condition) => {
    if (c.kind === 'and' || c.kind === 'or') c.conditions.forEach(walk);
    else if (c.kind === 'not') walk(c.condition);
    else if (c.kind === 'audience' && c.source === 'linked') out.add(c.audience);
  };
  walk(condition);
  return [...out].sort();
}

export type { DataGraph, ClassicAudience };
