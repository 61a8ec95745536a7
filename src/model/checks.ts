import cron from 'node-cron';
import type { Audience } from './audience.js';
import type { Condition, EntityPredicate, Operand } from './condition.js';
import type { Desired, ResourceKind } from './desired.js';
import type { Diagnostic } from './diagnostics.js';
import { resourceAddress } from './address.js';
import { positiveEntityPaths, referencedAudiences } from './condition-references.js';
import { ENTITY_TRIGGERS, SEND_FOR_CURRENT_TRIGGERS, type EventEmitter } from './emitter.js';
import type { DataGraph, Entity } from './graph.js';
import { GraphIndex } from '../graph/paths.js';

/*
 * Static checks of a Desired model: everything that can be known without the warehouse. One
 * implementation for the constructs (attached with node.addValidation, reported with the construct
 * path) and for the manifest loader (reported with the resource address). The seed's messages are
 * used word for word where the seed has one.
 */

/** The seed's name for the level a relationship hangs from when it is the profile itself. */
const PROFILE = 'profile';

export function checkDesired(desired: Desired): Diagnostic[] {
  const out: Diagnostic[] = [];
  const index = new GraphIndex(desired.graph);
  checkDuplicateKeys(desired, out);
  checkGraph(desired.graph, index, out);
  const ctx = new AudienceContext(desired, index);
  for (const audience of desired.audiences) checkAudience(audience, ctx, out);
  checkMembershipCycles(desired.audiences, out);
  for (const emitter of desired.emitters) checkEmitter(emitter, ctx, out);
  return out;
}

function error(code: string, message: string, resource: string, attribute?: string): Diagnostic {
  return attribute === undefined
    ? { severity: 'error', code, message, resource }
    : { severity: 'error', code, message, resource, attribute };
}

// ---- keys ------------------------------------------------------------------------------------

function checkDuplicateKeys(desired: Desired, out: Diagnostic[]): void {
  const lists: [ResourceKind, { key: string }[]][] = [
    ['classic_audience', desired.classicAudiences],
    ['audience', desired.audiences],
    ['destination', desired.destinations],
    ['event_emitter', desired.emitters],
  ];
  for (const [kind, items] of lists) {
    duplicates(items.map((i) => i.key)).forEach((key) => {
      out.push(error('DUPLICATE_KEY', `Duplicate ${kind.replace(/_/g, ' ')} key "${key}": keys must be unique in a stack`, resourceAddress(kind, key), 'key'));
    });
  }
}

/** Each value seen before, once per extra occurrence. */
function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    if (seen.has(v)) out.push(v);
    seen.add(v);
  }
  return out;
}

// ---- Data Graph ------------------------------------------------------------------------------

function checkGraph(graph: DataGraph, index: GraphIndex, out: Diagnostic[]): void {
  const at = resourceAddress('data_graph', graph.key);
  const firstIndex = new Map<string, number>();
  graph.entities.forEach((e, i) => {
    if (firstIndex.has(`e:${e.slug}`)) {
      out.push(error('DUPLICATE_SLUG', `Duplicate entity slug "${e.slug}" in the Data Graph`, at, `entities[${i}].slug`));
    }
    firstIndex.set(`e:${e.slug}`, i);
    if (e.columns !== undefined && e.columns.length === 0) {
      out.push(error('NO_COLUMNS', `No columns exist for entity in Data Graph: ${e.slug}`, at, `entities[${i}].columns`));
    }
  });
  graph.relationships.forEach((r, i) => {
    const attr = `relationships[${i}]`;
    if (firstIndex.has(`r:${r.slug}`)) {
      out.push(error('DUPLICATE_SLUG', `Duplicate relationship slug "${r.slug}" in the Data Graph`, at, `${attr}.slug`));
    }
    firstIndex.set(`r:${r.slug}`, i);
    if (!index.entities.has(r.entity)) {
      out.push(error('ENTITY_MISSING', `Entity missing from Data Graph: ${r.entity}`, at, `${attr}.entity`));
    }
    if (r.parent !== null && !index.relationships.has(r.parent)) {
      out.push(error('RELATIONSHIP_MISSING', `Entity relationship not in Data Graph for relationship: ${r.parent}`, at, `${attr}.parent`));
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
        out.push(error('JOIN_INVALID', `Join key missing from Data Graph for relation: ${r.slug} (profile ${r.join.via} ${r.join.profileColumn} is not declared)`, at, `${attr}.join.profileColumn`));
      }
    }
    const depth = index.depth(r.slug);
    if (depth !== undefined && depth > graph.maxDepth) {
      out.push(error('DEPTH_EXCEEDED', depthMessage(r.slug, depth, graph.maxDepth), at, attr));
    }
  });
}

const depthMessage = (slug: string, depth: number, max: number) =>
  `Relationship ${slug} is at depth ${depth} (the profile is level 1), over the Data Graph's limit of ${max} levels`;

// ---- audiences -------------------------------------------------------------------------------

class AudienceContext {
  readonly audiences: Set<string>;
  readonly classic: Set<string>;
  readonly destinations: Set<string>;
  readonly audienceByKey: Map<string, Audience>;
  readonly profileColumns: Set<string>;
  constructor(
    readonly desired: Desired,
    readonly index: GraphIndex,
  ) {
    this.audiences = new Set(desired.audiences.map((a) => a.key));
    this.audienceByKey = new Map(desired.audiences.map((a) => [a.key, a]));
    this.classic = new Set(desired.classicAudiences.map((a) => a.key));
    this.destinations = new Set(desired.destinations.map((d) => d.key));
    const p = desired.graph.profile;
    this.profileColumns = new Set([p.id, ...p.traits, ...p.identifiers]);
  }
}

/** Where a walk of the condition tree is: the relationship whose rows are being filtered. */
interface Scope {
  /** null at the profile level. */
  relationship: string | null;
  /** Relationship slugs from the profile down to `relationship`. */
  path: string[];
}

function checkAudience(audience: Audience, ctx: AudienceContext, out: Diagnostic[]): void {
  const at = resourceAddress('audience', audience.key);
  if (audience.schedule.type === 'cron') {
    const problem = cronProblem(audience.schedule.expression);
    if (problem) out.push(error('INVALID_CRON', problem, at, 'schedule.expression'));
  }
  walkCondition(audience.condition, 'condition', ctx, at, out);
}

/** Why a cron expression is refused, or undefined. Five fields, UTC, as src/model says. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 || !cron.validate(expression)) {
    return `Invalid cron expression "${expression}": expected five fields (minute hour day-of-month month day-of-week), e.g. "0 6 * * *"`;
  }
  return undefined;
}

function walkCondition(c: Condition, attr: string, ctx: AudienceContext, at: string, out: Diagnostic[]): void {
  switch (c.kind) {
    case 'and':
    case 'or':
      c.conditions.forEach((child, i) => walkCondition(child, `${attr}.conditions[${i}]`, ctx, at, out));
      return;
    case 'not':
      walkCondition(c.condition, `${attr}.condition`, ctx, at, out);
      return;
    case 'trait':
      if (!ctx.profileColumns.has(c.trait)) {
        out.push(error('TRAIT_MISSING', `Trait missing from Data Graph profile: ${c.trait}`, at, `${attr}.trait`));
      }
      if ('value' in c) checkOperand(c.value, `${attr}.value`, { relationship: null, path: [] }, ctx, at, out);
      return;
    case 'entity':
      walkEntity(c, attr, { relationship: null, path: [] }, ctx, at, out);
      return;
    case 'event':
      if (!ctx.desired.graph.events) {
        out.push(error('EVENTS_MISSING', `The Data Graph declares no events source, so the event condition on "${c.name}" cannot be computed`, at, attr));
      }
      if (c.window?.type === 'between' && Date.parse(c.window.from) >= Date.parse(c.window.to)) {
        out.push(error('WINDOW_INVALID', `The event window's "from" (${c.window.from}) must be before its "to" (${c.window.to})`, at, `${attr}.window`));
      }
      return;
    case 'audience': {
      const known = c.source === 'linked' ? ctx.audiences : ctx.classic;
      if (!known.has(c.audience)) {
        const what = c.source === 'linked' ? 'linked audience' : 'classic audience';
        out.push(error('UNKNOWN_AUDIENCE', `Unknown ${what} "${c.audience}" in a part-of-audience condition`, at, `${attr}.audience`));
      }
      return;
    }
  }
}

function entityLabel(scope: Scope, ctx: AudienceContext): string {
  return scope.relationship === null ? PROFILE : (ctx.index.entityOf(scope.relationship)?.slug ?? scope.relationship);
}

function walkEntity(
  c: Extract<EntityPredicate, { kind: 'entity' }>,
  attr: string,
  scope: Scope,
  ctx: AudienceContext,
  at: string,
  out: Diagnostic[],
): void {
  const r = ctx.index.relationship(c.relationship);
  if (!r) {
    out.push(error('RELATIONSHIP_MISSING', `Entity relationship not in Data Graph for relationship: ${c.relationship}`, at, `${attr}.relationship`));
    return;
  }
  if (r.parent !== scope.relationship) {
    out.push(
      error(
        'RELATIONSHIP_NOT_CHILD',
        `Entity relationship not in Data Graph for entity: ${entityLabel(scope, ctx)} and relationship: ${c.relationship}`,
        at,
        `${attr}.relationship`,
      ),
    );
    return;
  }
  const inner: Scope = { relationship: c.relationship, path: [...scope.path, c.relationship] };
  const depth = inner.path.length + 1;
  if (depth > ctx.desired.graph.maxDepth) {
    out.push(error('DEPTH_EXCEEDED', `Nested entity conditions go ${depth} levels deep (the profile is level 1) at relationship ${c.relationship}, over the limit of ${ctx.desired.graph.maxDepth}`, at, attr));
  }
  if (c.where) walkPredicate(c.where, `${attr}.where`, inner, ctx, at, out);
}

function walkPredicate(p: EntityPredicate, attr: string, scope: Scope, ctx: AudienceContext, at: string, out: Diagnostic[]): void {
  switch (p.kind) {
    case 'and':
    case 'or':
      p.conditions.forEach((child, i) => walkPredicate(child, `${attr}.conditions[${i}]`, scope, ctx, at, out));
      return;
    case 'not':
      walkPredicate(p.condition, `${attr}.condition`, scope, ctx, at, out);
      return;
    case 'entity':
      walkEntity(p, attr, scope, ctx, at, out);
      return;
    case 'column': {
      const entity = scope.relationship === null ? undefined : ctx.index.entityOf(scope.relationship);
      if (entity) checkColumn(entity, p.column, `${attr}.column`, at, out);
      if ('value' in p) checkOperand(p.value, `${attr}.value`, scope, ctx, at, out);
      return;
    }
  }
}

function checkColumn(entity: Entity, column: string, attr: string, at: string, out: Diagnostic[]): void {
  // The primary key is always addressable; `columns` lists what else is exposed.
  if (entity.columns === undefined || entity.columns.length === 0 || column === entity.primaryKey) return;
  if (!entity.columns.includes(column)) {
    out.push(error('COLUMN_MISSING', `Entity column missing from Data Graph for Entity ${entity.slug} and Column: ${column}`, at, attr));
  }
}

function checkOperand(value: unknown, attr: string, scope: Scope, ctx: AudienceContext, at: string, out: Diagnostic[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const operand = value as Operand;
  if ('trait' in operand && !ctx.profileColumns.has(operand.trait)) {
    out.push(error('TRAIT_MISSING', `Trait missing from Data Graph profile: ${operand.trait}`, at, `${attr}.trait`));
  }
  if ('relationship' in operand) {
    if (!scope.path.includes(operand.relationship)) {
      out.push(
        error(
          'RELATIONSHIP_NOT_CHILD',
          `Entity relationship not in Data Graph for entity: ${entityLabel(scope, ctx)} and relationship: ${operand.relationship}`,
          at,
          `${attr}.relationship`,
        ),
      );
      return;
    }
    const entity = ctx.index.entityOf(operand.relationship);
    if (entity) checkColumn(entity, operand.column, `${attr}.column`, at, out);
  }
}

// ---- membership cycles -----------------------------------------------------------------------

function checkMembershipCycles(audiences: Audience[], out: Diagnostic[]): void {
  const edges = new Map(audiences.map((a) => [a.key, referencedAudiences(a.condition)]));
  const reported = new Set<string>();
  for (const start of edges.keys()) {
    const cycle = findCycle(start, edges);
    if (!cycle) continue;
    const id = [...cycle].sort().join(',');
    if (reported.has(id)) continue;
    reported.add(id);
    for (const key of cycle) {
      const rotated = [...cycle.slice(cycle.indexOf(key)), ...cycle.slice(0, cycle.indexOf(key)), key];
      out.push(
        error('AUDIENCE_CYCLE', `Audience membership cycle: ${rotated.join(' -> ')} (an audience cannot depend on its own membership)`, resourceAddress('audience', key), 'condition'),
      );
    }
  }
}

/** A cycle through `start` (its members in order), or undefined. */
function findCycle(start: string, edges: Map<string, string[]>): string[] | undefined {
  const stack: string[] = [];
  const visited = new Set<string>();
  const visit = (key: string): string[] | undefined => {
    if (key === start && stack.length > 0) return [...stack];
    if (visited.has(key)) return undefined;
    visited.add(key);
    stack.push(key);
    for (const next of edges.get(key) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    return undefined;
  };
  return visit(start);
}

// ---- emitters --------------------------------------------------------------------------------

function checkEmitter(emitter: EventEmitter, ctx: AudienceContext, out: Diagnostic[]): void {
  const at = resourceAddress('event_emitter', emitter.key);
  const audience = ctx.audienceByKey.get(emitter.audience);
  if (!audience) out.push(error('UNKNOWN_AUDIENCE', `Unknown audience "${emitter.audience}" for event emitter ${emitter.key}`, at, 'audience'));
  if (!ctx.destinations.has(emitter.destination)) {
    out.push(error('UNKNOWN_DESTINATION', `Unknown destination "${emitter.destination}" for event emitter ${emitter.key}`, at, 'destination'));
  }
  if (emitter.sendForCurrent && !SEND_FOR_CURRENT_TRIGGERS.includes(emitter.trigger)) {
    out.push(
      error(
        'SEND_FOR_CURRENT_NOT_ALLOWED',
        `sendForCurrent is not available for the ${emitter.trigger} trigger: only ${SEND_FOR_CURRENT_TRIGGERS.join(', ')} send events for current profiles and entities`,
        at,
        'sendForCurrent',
      ),
    );
  }
  const isEntityTrigger = ENTITY_TRIGGERS.includes(emitter.trigger);
  if (isEntityTrigger && (!emitter.entityPath || emitter.entityPath.length === 0)) {
    out.push(error('ENTITY_PATH_MISSING', `The ${emitter.trigger} trigger needs the relationship path of its entity (entityPath)`, at, 'entityPath'));
  } else if (!isEntityTrigger && emitter.entityPath !== undefined) {
    out.push(error('ENTITY_PATH_UNEXPECTED', `The ${emitter.trigger} trigger is about profiles; entityPath applies only to entity_added and entity_removed`, at, 'entityPath'));
  } else if (isEntityTrigger && emitter.entityPath) {
    checkEntityPath(emitter, emitter.entityPath, audience, ctx, at, out);
  }
  checkEnrichment(emitter, ctx, at, out);
}

function checkEntityPath(emitter: EventEmitter, path: string[], audience: Audience | undefined, ctx: AudienceContext, at: string, out: Diagnostic[]): void {
  for (const [i, slug] of path.entries()) {
    const r = ctx.index.relationship(slug);
    if (!r) {
      out.push(error('RELATIONSHIP_MISSING', `Entity relationship not in Data Graph for relationship: ${slug}`, at, `entityPath[${i}]`));
      return;
    }
    const parent = i === 0 ? null : path[i - 1];
    if (r.parent !== parent) {
      const entity = parent === null ? PROFILE : (ctx.index.entityOf(parent)?.slug ?? parent);
      out.push(error('RELATIONSHIP_NOT_CHILD', `Entity relationship not in Data Graph for entity: ${entity} and relationship: ${slug}`, at, `entityPath[${i}]`));
      return;
    }
  }
  if (audience && !positiveEntityPaths(audience.condition).has(path.join('.'))) {
    out.push(
      error(
        'TRIGGER_PATH_UNUSED',
        `The ${emitter.trigger} trigger's entity path ${path.join(' > ')} is not matched by a positive entity condition of audience ${audience.key}: the audience's conditions must select those entities`,
        at,
        'entityPath',
      ),
    );
  }
}

function checkEnrichment(emitter: EventEmitter, ctx: AudienceContext, at: string, out: Diagnostic[]): void {
  emitter.enrich.traits.forEach((t, i) => {
    if (!ctx.profileColumns.has(t)) out.push(error('TRAIT_MISSING', `Trait missing from Data Graph profile: ${t}`, at, `enrich.traits[${i}]`));
  });
  emitter.enrich.entities.forEach((e, i) => {
    const entity = ctx.index.entityOf(e.relationship);
    if (!ctx.index.relationship(e.relationship)) {
      out.push(error('RELATIONSHIP_MISSING', `Entity relationship not in Data Graph for relationship: ${e.relationship}`, at, `enrich.entities[${i}].relationship`));
      return;
    }
    if (entity) e.columns.forEach((col, j) => checkColumn(entity, col, `enrich.entities[${i}].columns[${j}]`, at, out));
  });
}
