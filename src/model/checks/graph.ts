import { resourceAddress } from '../address.js';
import type { Diagnostic } from '../diagnostics.js';
import type { DataGraph } from '../graph.js';
import type { GraphIndex } from '../../model/graph-index.js';
import { error } from './context.js';
import { didYouMean } from '../suggest.js';
import { GRAPH_ERRORS } from '../seed-messages.js';

/** The Data Graph on its own: unique slugs, known entities and parents, joins, depth. */
export function checkGraph(graph: DataGraph, index: GraphIndex, out: Diagnostic[]): void {
  const at = resourceAddress('data_graph', graph.key);
  const firstIndex = new Map<string, number>();
  graph.entities.forEach((e, i) => {
    if (firstIndex.has(`e:${e.slug}`)) {
      out.push(error('DUPLICATE_SLUG', `Duplicate entity slug "${e.slug}" in the Data Graph`, at, `entities[${i}].slug`));
    }
    firstIndex.set(`e:${e.slug}`, i);
    if (e.columns !== undefined && e.columns.length === 0) {
      out.push(error('NO_COLUMNS', GRAPH_ERRORS.noColumns(e.slug), at, `entities[${i}].columns`));
    }
  });
  graph.relationships.forEach((r, i) => {
    const attr = `relationships[${i}]`;
    if (firstIndex.has(`r:${r.slug}`)) {
      out.push(error('DUPLICATE_SLUG', `Duplicate relationship slug "${r.slug}" in the Data Graph`, at, `${attr}.slug`));
    }
    firstIndex.set(`r:${r.slug}`, i);
    if (!index.entities.has(r.entity)) {
      out.push(error('ENTITY_MISSING', GRAPH_ERRORS.entityMissing(r.entity), at, `${attr}.entity`, `Declare it among the graph's entities (graph.entity('${r.entity}', { table, primaryKey })).`));
    }
    if (r.parent !== null && !index.relationships.has(r.parent)) {
      out.push(error('RELATIONSHIP_MISSING', GRAPH_ERRORS.relationshipMissing(r.parent), at, `${attr}.parent`));
    } else if (r.parent !== null && index.path(r.slug) === undefined) {
      out.push(error('RELATIONSHIP_CYCLE', `Relationship ${r.slug} is its own ancestor: relationships form a tree under the profile`, at, `${attr}.parent`));
    }
    if (r.join.type === 'profile' && r.parent !== null) {
      out.push(error('JOIN_INVALID', `Relationship ${r.slug} joins on a profile ${r.join.via} but its parent is ${r.parent}: only the profile's own relationships join on the profile`, at, `${attr}.join`));
    }
    if (r.join.type !== 'profile' && r.parent === null) {
      out.push(error('JOIN_INVALID', `Relationship ${r.slug} hangs from the profile, so it joins on a profile trait or identifier`, at, `${attr}.join`));
    }
    if (r.join.type === 'profile') {
      const declared = r.join.via === 'trait' ? graph.profile.traits : graph.profile.identifiers;
      if (!declared.includes(r.join.profileColumn)) {
        const list = r.join.via === 'trait' ? 'traits' : 'identifiers';
        const hint = `The profile declares no ${r.join.via} ${r.join.profileColumn}: add it to profile.${list}.${didYouMean(r.join.profileColumn, declared)}`;
        out.push(error('JOIN_KEY_MISSING', GRAPH_ERRORS.joinKeyMissing(r.slug), at, `${attr}.join.profileColumn`, hint));
      }
    }
    const depth = index.depth(r.slug);
    if (depth !== undefined && depth > graph.maxDepth) {
      out.push(error('DEPTH_EXCEEDED', depthMessage(r.slug, depth, graph.maxDepth), at, attr));
    }
  });
  // Nothing names an entity but its relationships: one that none reaches cannot be used, and is
  // most often one that was meant to be related (or whose relationship went) and was not.
  const related = new Set(graph.relationships.map((r) => r.entity));
  graph.entities.forEach((e, i) => {
    if (!related.has(e.slug)) out.push(error('ENTITY_UNRELATED', GRAPH_ERRORS.entityUnrelated(e.slug), at, `entities[${i}].slug`, unrelatedHint(e.slug)));
  });
}

const unrelatedHint = (entity: string) =>
  `Conditions, entity triggers and enrichment reach an entity through a relationship only: relate it to the profile or to another entity ` +
  `(a relationship whose entity is ${entity}: graph.profile.relate(...), rel.relate(...), rel.relateThrough(...)), or remove it from the graph.`;

const depthMessage = (slug: string, depth: number, max: number) =>
  `Relationship ${slug} is at depth ${depth} (the profile is level 1), over the Data Graph's limit of ${max} levels`;
