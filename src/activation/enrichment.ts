import { GraphIndex } from '../model/graph-index.js';
import type { Audience } from '../model/audience.js';
import type { Condition, EntityPredicate } from '../model/condition.js';
import { ENTITY_TRIGGERS, type EventEmitter } from '../model/emitter.js';
import { LinkedError } from '../model/errors.js';
import type { DataGraph, Entity } from '../model/graph.js';
import { quoteIdent, quoteTable } from '../dialect/identifiers.js';
import type { Warehouse } from '../warehouse/types.js';
import { asText, joinChain } from './join-path.js';
import type { SourceRow } from './source.js';

/** One entity level of an event: the relationship, its entity and the columns fetched. */
export interface EntityColumns {
  relationship: string;
  entity: Entity;
  /** The primary key first, then the emitter's selected columns. */
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
}

/** Enrichment of one page of rows, keyed for lookup while building events. */
export interface EnrichmentData {
  traits: Map<string, Record<string, unknown>>;
  /** Key `profileId \0 entityId`: one record per chain level, profile side first. */
  chains: Map<string, Record<string, unknown>[]>;
  /** Per relationship: anchor id (profile id or trigger entity id) -> rows. */
  others: Map<string, Map<string, Record<string, unknown>[]>>;
}

export const chainKey = (profileId: string, entityId: string) => `${profileId}\u0000${entityId}`;

/** Relationship slugs an audience's conditions use (where enrichment may look, as on Segment). */
export function relationshipsInConditions(condition: Condition): Set<string> {
  const out = new Set<string>();
  const walkEntity = (p: EntityPredicate): void => {
    if (p.kind === 'and' || p.kind === 'or') p.conditions.forEach(walkEntity);
    else if (p.kind === 'not') walkEntity(p.condition);
    else if (p.kind === 'entity') {
      out.add(p.relationship);
      if (p.where) walkEntity(p.where);
    }
  };
  const walk = (c: Condition): void => {
    if (c.kind === 'and' || c.kind === 'or') c.conditions.forEach(walk);
    else if (c.kind === 'not') walk(c.condition);
    else if (c.kind === 'entity') {
      out.add(c.relationship);
      if (c.where) walkEntity(c.where);
    }
  };
  walk(condition);
  return out;
}

/**
 * Checks the emitter against the graph and the audience and derives what to fetch. Errors name the
 * emitter and the offending trait, relationship or column.
 */
export function planEnrichment(graph: DataGraph, audience: Audience, emitter: EventEmitter): EnrichmentPlan {
  const index = new GraphIndex(graph);
  const fail = (code: string, msg: string) => new LinkedError(code, `Event emitter "${emitter.key}": ${msg}`);
  const knownTraits = new Set([graph.profile.id, ...graph.profile.traits, ...graph.profile.identifiers]);
  for (const t of emitter.enrich.traits) {
    if (!knownTraits.has(t)) throw fail('ENRICH_UNKNOWN_TRAIT', `the trait "${t}" is not a trait of the Data Graph's profile.`);
  }
  const selected = new Map<string, string[]>();
  for (const e of emitter.enrich.entities) {
    const entity = index.entityOf(e.relationship);
    if (!entity) throw fail('ENRICH_UNKNOWN_RELATIONSHIP', `the relationship "${e.relationship}" is not in the Data Graph.`);
    for (const c of e.columns) {
      if (entity.columns && !entity.columns.includes(c) && c !== entity.primaryKey) {
        throw fail('ENRICH_UNKNOWN_COLUMN', `the column "${c}" is not a column of the entity "${entity.slug}".`);
      }
    }
    selected.set(e.relationship, [...(selected.get(e.relationship) ?? []), ...e.columns]);
  }
  const columnsOf = (slug: string): EntityColumns => {
    const entity = index.entityOf(slug)!;
    const cols = [entity.primaryKey, ...(selected.get(slug) ?? []).filter((c) => c !== entity.primaryKey)];
    return { relationship: slug, entity, columns: [...new Set(cols)] };
  };

  let chain: EntityColumns[] | undefined;
  if (ENTITY_TRIGGERS.includes(emitter.trigger)) {
    const path = emitter.entityPath ?? [];
    const trigger = path[path.length - 1];
    const expected = trigger ? index.path(trigger) : undefined;
    if (!trigger || !expected || expected.join('.') !== path.join('.')) {
      throw fail(
        'EMITTER_INVALID_ENTITY_PATH',
        `the entity path "${path.join('.')}" does not lead from the profile to its trigger entity in the Data Graph.`,
      );
    }
    chain = path.map(columnsOf);
  }

  const inConditions = relationshipsInConditions(audience.condition);
  const others: OtherEntity[] = [];
  const triggerSlug = chain?.[chain.length - 1].relationship;
  for (const slug of selected.keys()) {
    if (slug === triggerSlug) continue;
    if (!inConditions.has(slug)) {
      throw fail(
        'ENRICH_NOT_IN_CONDITIONS',
        `the relationship "${slug}" is not used by the conditions of the audience "${audience.key}"; only entities of its conditions can enrich its events.`,
      );
    }
    const full = index.path(slug)!;
    if (chain && triggerSlug && full.includes(triggerSlug)) {
      others.push({ ...columnsOf(slug), anchor: 'trigger', path: full.slice(full.indexOf(triggerSlug) + 1) });
    } else if (chain && chain.some((c) => c.relationship === slug)) {
      others.push({ ...columnsOf(slug), anchor: 'chain', path: [] });
    } else {
      others.push({ ...columnsOf(slug), anchor: 'profile', path: full });
    }
  }
  return { profile: graph.profile, traits: [...new Set(emitter.enrich.traits)], chain, others };
}

/**
 * The page's keys as a subquery with columns `profile_id` and `entity_id` (text): the page's rows
 * where they live in the warehouse (outbox range), so enrichment joins to them instead of
 * shipping long IN lists; or, for rows built in memory (test events, replays), bound VALUES.
 */
export interface PageKeys {
  sql: string;
  params: unknown[];
}

export function valuesKeys(rows: readonly SourceRow[]): PageKeys {
  const pairs = [...new Map(rows.map((r) => [`${r.profileId}\u0000${r.entityId ?? ''}`, r])).values()];
  return {
    sql: `SELECT CAST(v.profile_id AS VARCHAR) AS profile_id, CAST(v.entity_id AS VARCHAR) AS entity_id FROM (VALUES ${pairs.map(() => '(?, ?)').join(', ')}) v(profile_id, entity_id)`,
    params: pairs.flatMap((r) => [r.profileId, r.entityId]),
  };
}

/**
 * Fetches the enrichment of one page of rows, set-based: one query for the profile traits, one for
 * the trigger chains, one per other relationship, whatever the number of rows (never one query
 * per event).
 */
export async function fetchEnrichment(
  wh: Warehouse,
  graph: DataGraph,
  plan: EnrichmentPlan,
  rows: readonly SourceRow[],
  keys: PageKeys = valuesKeys(rows),
): Promise<EnrichmentData> {
  const d = wh.dialect;
  const q = (n: string) => quoteIdent(d, n);
  const index = new GraphIndex(graph);
  const out: EnrichmentData = { traits: new Map(), chains: new Map(), others: new Map() };
  if (rows.length === 0) return out;
  const profileFrom = `${quoteTable(d, plan.profile.table)} ${q('p')}`;
  const profileIdText = asText(d, 'p', plan.profile.id);
  const profileKeys = `(SELECT DISTINCT profile_id FROM (${keys.sql}) k0) ${q('k')}`;
  const entityKeys = `(SELECT DISTINCT profile_id, entity_id FROM (${keys.sql}) k0 WHERE entity_id IS NOT NULL) ${q('k')}`;
  const triggerKeys = `(SELECT DISTINCT entity_id FROM (${keys.sql}) k0 WHERE entity_id IS NOT NULL) ${q('k')}`;
  const hasEntities = rows.some((r) => r.entityId !== null);

  if (plan.traits.length > 0) {
    const cols = plan.traits.map((t, i) => `${q('p')}.${q(t)} AS ${q(`t${i}`)}`).join(', ');
    const { rows: found } = await wh.query<Record<string, unknown>>(
      `SELECT ${profileIdText} AS ${q('__id')}, ${cols} FROM ${profileFrom} JOIN ${profileKeys} ON ${profileIdText} = ${q('k')}.profile_id`,
      keys.params,
    );
    const aliases = plan.traits.map((_, i) => `t${i}`);
    for (const r of found) {
      // One record per profile, built directly: no entry arrays per profile as Object.fromEntries needs.
      const record: Record<string, unknown> = {};
      for (let i = 0; i < aliases.length; i++) record[plan.traits[i]] = r[aliases[i]] ?? null;
      out.traits.set(String(r.__id), record);
    }
  }

  if (plan.chain && hasEntities) {
    const { sql, steps } = joinChain(d, index, plan.chain.map((c) => c.relationship), 'p', 'e');
    const last = steps[steps.length - 1];
    const select = plan.chain.flatMap((level, i) => level.columns.map((c, j) => `${q(steps[i].alias)}.${q(c)} AS ${q(`c${i}_${j}`)}`));
    const entityIdText = asText(d, last.alias, last.entity.primaryKey);
    const { rows: found } = await wh.query<Record<string, unknown>>(
      `SELECT ${profileIdText} AS ${q('__id')}, ${entityIdText} AS ${q('__eid')}, ${select.join(', ')}
         FROM ${profileFrom}
         ${sql}
         JOIN ${entityKeys} ON ${profileIdText} = ${q('k')}.profile_id AND ${entityIdText} = ${q('k')}.entity_id`,
      keys.params,
    );
    for (const r of found) {
      const key = chainKey(String(r.__id), String(r.__eid));
      // Many-to-many paths may reach one entity along several chains: the first one is kept.
      if (out.chains.has(key)) continue;
      out.chains.set(
        key,
        plan.chain.map((level, i) => Object.fromEntries(level.columns.map((c, j) => [c, r[`c${i}_${j}`] ?? null]))),
      );
    }
  }

  for (const other of plan.others) {
    if (other.anchor === 'chain') continue;
    const cols = (alias: string) => other.columns.map((c, j) => `${q(alias)}.${q(c)} AS ${q(`c${j}`)}`).join(', ');
    let sql: string;
    if (other.anchor === 'profile') {
      const chain = joinChain(d, index, other.path, 'p', 'o');
      const lastAlias = chain.steps[chain.steps.length - 1].alias;
      sql = `SELECT ${profileIdText} AS ${q('__id')}, ${cols(lastAlias)}
               FROM ${profileFrom}
               JOIN ${profileKeys} ON ${profileIdText} = ${q('k')}.profile_id
               ${chain.sql}`;
    } else {
      if (!hasEntities) continue;
      const trigger = plan.chain![plan.chain!.length - 1];
      const chain = joinChain(d, index, other.path, 'a', 'o');
      const lastAlias = chain.steps[chain.steps.length - 1].alias;
      const anchorText = asText(d, 'a', trigger.entity.primaryKey);
      sql = `SELECT ${anchorText} AS ${q('__id')}, ${cols(lastAlias)}
               FROM ${quoteTable(d, trigger.entity.table)} ${q('a')}
               JOIN ${triggerKeys} ON ${anchorText} = ${q('k')}.entity_id
               ${chain.sql}`;
    }
    const byAnchor = new Map<string, Record<string, unknown>[]>();
    const { rows: found } = await wh.query<Record<string, unknown>>(sql, keys.params);
    for (const r of found) {
      const id = String(r.__id);
      const item = Object.fromEntries(other.columns.map((c, j) => [c, r[`c${j}`] ?? null]));
      const list = byAnchor.get(id);
      if (list) list.push(item);
      else byAnchor.set(id, [item]);
    }
    out.others.set(other.relationship, byAnchor);
  }
  return out;
}
