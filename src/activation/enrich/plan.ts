import { relationshipsUsed } from '../../model/condition-walk.js';
import { GraphIndex } from '../../model/graph-index.js';
import type { Audience } from '../../model/audience.js';
import { ENTITY_TRIGGERS, type EventEmitter } from '../../model/emitter.js';
import { LinkedError } from '../../model/errors.js';
import { junctionColumnsExposed, keyColumns, type DataGraph, type Entity } from '../../model/graph.js';
import { didYouMean } from '../../model/suggest.js';

/** One entity level of an event: the relationship, its entity and the columns fetched. */
export interface EntityColumns {
  relationship: string;
  entity: Entity;
  /** The primary key first, then the emitter's selected columns. */
  columns: string[];
  /** A many-to-many relationship enriched with columns of its junction rows: the links' columns. */
  junction?: LinkColumns;
}

/** The columns of the junction row (the link) that joins an entity row to its parent. */
export interface LinkColumns {
  /** The junction's primary key columns (a link's identity: links are sorted and told apart by it). */
  key: string[];
  /** The key first, then the emitter's selected junction columns. */
  columns: string[];
}

/** Another enriched relationship, sent as an array of its rows. */
export interface OtherEntity extends EntityColumns {
  /**
   * Whose rows: `trigger` = below the trigger entity (its cards when an account triggered),
   * `chain` = an ancestor of the trigger (the one row on its chain), `profile` = all of the profile's.
   */
  anchor: 'profile' | 'trigger' | 'chain';
  /** Relationship slugs from the anchor down to this relationship. */
  path: string[];
}

/** What to fetch for one emitter's events; derived once per delivery from the graph. */
export interface EnrichmentPlan {
  profile: DataGraph['profile'];
  traits: string[];
  /** Entity triggers: the chain from the profile down to the trigger entity (last = trigger). */
  chain: EntityColumns[] | undefined;
  others: OtherEntity[];
  /** Relationships joined on a cast to text (their key types differ). */
  castJoins: readonly string[];
  /** Id columns (`table.column`) that are text already: compared without a cast. */
  textKeys: readonly string[];
}

type Fail = (code: string, message: string) => LinkedError;

/**
 * Checks the emitter against the graph and the audience and derives what to fetch. Errors name the
 * emitter and the offending trait, relationship or column.
 */
export function planEnrichment(
  graph: DataGraph,
  audience: Audience,
  emitter: EventEmitter,
  { castJoins = [], textKeys = [] }: { castJoins?: readonly string[]; textKeys?: readonly string[] } = {},
): EnrichmentPlan {
  const index = new GraphIndex(graph);
  const fail: Fail = (code, msg) => new LinkedError(code, `Event emitter "${emitter.key}": ${msg}`);
  const knownTraits = new Set([graph.profile.id, ...graph.profile.traits, ...graph.profile.identifiers]);
  for (const t of emitter.enrich.traits) {
    if (!knownTraits.has(t)) throw fail('ENRICH_UNKNOWN_TRAIT', `the trait "${t}" is not a trait of the Data Graph's profile.`);
  }
  const { selected, links } = selectedColumns(index, emitter, fail);
  const columnsOf = (slug: string): EntityColumns => {
    const entity = index.entityOf(slug)!;
    const cols = [entity.primaryKey, ...(selected.get(slug) ?? []).filter((c) => c !== entity.primaryKey)];
    const join = index.relationship(slug)!.join;
    const linkColumns = links.get(slug);
    if (!linkColumns || join.type !== 'junction') return { relationship: slug, entity, columns: [...new Set(cols)] };
    const key = keyColumns(join.primaryKey);
    return { relationship: slug, entity, columns: [...new Set(cols)], junction: { key, columns: [...new Set([...key, ...linkColumns])] } };
  };
  const chain = ENTITY_TRIGGERS.includes(emitter.trigger) ? triggerPath(index, emitter, fail).map(columnsOf) : undefined;
  const inConditions = relationshipsUsed(audience.condition);
  const others = [...selected.keys()]
    .filter((slug) => slug !== chain?.[chain.length - 1].relationship)
    .map((slug) => {
      if (!inConditions.has(slug)) {
        throw fail(
          'ENRICH_NOT_IN_CONDITIONS',
          `the relationship "${slug}" is not used by the conditions of the audience "${audience.key}"; only entities of its conditions can enrich its events.`,
        );
      }
      return { ...columnsOf(slug), ...anchorOf(index, chain, slug) };
    });
  return { profile: graph.profile, traits: [...new Set(emitter.enrich.traits)], chain, others, castJoins, textKeys };
}

/** The entity columns and the junction columns the emitter selects per relationship, checked against the graph. */
function selectedColumns(index: GraphIndex, emitter: EventEmitter, fail: Fail): { selected: Map<string, string[]>; links: Map<string, string[]> } {
  const selected = new Map<string, string[]>();
  const links = new Map<string, string[]>();
  for (const e of emitter.enrich.entities) {
    const entity = index.entityOf(e.relationship);
    if (!entity) throw fail('ENRICH_UNKNOWN_RELATIONSHIP', `the relationship "${e.relationship}" is not in the Data Graph.`);
    for (const c of e.columns) {
      if (entity.columns && !entity.columns.includes(c) && c !== entity.primaryKey) {
        throw fail('ENRICH_UNKNOWN_COLUMN', `the column "${c}" is not a column of the entity "${entity.slug}".`);
      }
    }
    selected.set(e.relationship, [...(selected.get(e.relationship) ?? []), ...e.columns]);
    if (e.junctionColumns) links.set(e.relationship, [...(links.get(e.relationship) ?? []), ...checkedLinkColumns(index, e.relationship, e.junctionColumns, fail)]);
  }
  return { selected, links };
}

/** Junction columns to enrich with: the relationship must go through a junction that exposes them. */
function checkedLinkColumns(index: GraphIndex, slug: string, columns: string[], fail: Fail): string[] {
  const join = index.relationship(slug)!.join;
  if (join.type !== 'junction') {
    throw fail('ENRICH_NOT_JUNCTION', `the relationship "${slug}" has no junction table, so it has no junction columns to enrich with (${columns.join(', ')}).`);
  }
  const exposed = junctionColumnsExposed(join);
  for (const c of columns) {
    if (exposed && !exposed.includes(c)) {
      throw fail('ENRICH_UNKNOWN_JUNCTION_COLUMN', `the column "${c}" is not a column of the junction ${join.table} of the relationship "${slug}".${didYouMean(c, exposed)}`);
    }
  }
  return columns;
}

/** An entity trigger's path, checked to lead from the profile to its trigger entity. */
function triggerPath(index: GraphIndex, emitter: EventEmitter, fail: Fail): string[] {
  const path = emitter.entityPath ?? [];
  const trigger = path[path.length - 1];
  const expected = trigger ? index.path(trigger) : undefined;
  if (!trigger || !expected || expected.join('.') !== path.join('.')) {
    throw fail('EMITTER_INVALID_ENTITY_PATH', `the entity path "${path.join('.')}" does not lead from the profile to its trigger entity in the Data Graph.`);
  }
  return path;
}

/** Whose rows of another relationship an event carries, and the path to them from there. */
function anchorOf(index: GraphIndex, chain: EntityColumns[] | undefined, slug: string): Pick<OtherEntity, 'anchor' | 'path'> {
  const full = index.path(slug)!;
  const triggerSlug = chain?.[chain.length - 1].relationship;
  if (triggerSlug && full.includes(triggerSlug)) return { anchor: 'trigger', path: full.slice(full.indexOf(triggerSlug) + 1) };
  if (chain?.some((c) => c.relationship === slug)) return { anchor: 'chain', path: [] };
  return { anchor: 'profile', path: full };
}
