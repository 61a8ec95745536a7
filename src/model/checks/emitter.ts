import { didYouMean } from '../suggest.js';
import { GRAPH_ERRORS } from '../seed-messages.js';
import { resourceAddress } from '../address.js';
import type { Audience } from '../audience.js';
import { positiveEntityPaths } from '../condition-walk.js';
import type { Diagnostic } from '../diagnostics.js';
import { ENTITY_TRIGGERS, SEND_FOR_CURRENT_TRIGGERS, type EventEmitter } from '../emitter.js';
import { PROFILE, checkColumn, checkJunctionExposes, checkTrait, error, type CheckContext } from './context.js';

/** An emitter's audience, destination, trigger, entity path and enrichment. */
export function checkEmitter(emitter: EventEmitter, ctx: CheckContext, out: Diagnostic[]): void {
  const at = resourceAddress('event_emitter', emitter.key);
  const audience = ctx.audienceByKey.get(emitter.audience);
  if (!audience) out.push(error('UNKNOWN_AUDIENCE', `Unknown audience "${emitter.audience}" for event emitter ${emitter.key}`, at, 'audience', didYouMean(emitter.audience, ctx.audiences).trim()));
  if (!ctx.destinations.has(emitter.destination)) {
    out.push(error('UNKNOWN_DESTINATION', `Unknown destination "${emitter.destination}" for event emitter ${emitter.key}`, at, 'destination', didYouMean(emitter.destination, ctx.destinations).trim()));
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

function checkEntityPath(emitter: EventEmitter, path: string[], audience: Audience | undefined, ctx: CheckContext, at: string, out: Diagnostic[]): void {
  for (const [i, slug] of path.entries()) {
    const r = ctx.index.relationship(slug);
    if (!r) {
      out.push(error('RELATIONSHIP_MISSING', GRAPH_ERRORS.relationshipMissing(slug), at, `entityPath[${i}]`));
      return;
    }
    const parent = i === 0 ? null : path[i - 1];
    if (r.parent !== parent) {
      const entity = parent === null ? PROFILE : (ctx.index.entityOf(parent)?.slug ?? parent);
      out.push(error('RELATIONSHIP_NOT_CHILD', GRAPH_ERRORS.relationshipNotChild(entity, slug), at, `entityPath[${i}]`));
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

function checkEnrichment(emitter: EventEmitter, ctx: CheckContext, at: string, out: Diagnostic[]): void {
  emitter.enrich.traits.forEach((t, i) => checkTrait(t, `enrich.traits[${i}]`, ctx, at, out));
  emitter.enrich.entities.forEach((e, i) => {
    const entity = ctx.index.entityOf(e.relationship);
    if (!ctx.index.relationship(e.relationship)) {
      out.push(error('RELATIONSHIP_MISSING', GRAPH_ERRORS.relationshipMissing(e.relationship), at, `enrich.entities[${i}].relationship`));
      return;
    }
    if (entity) e.columns.forEach((col, j) => checkColumn(entity, col, `enrich.entities[${i}].columns[${j}]`, at, out));
    if (e.junctionColumns) checkJunctionColumns(e.relationship, e.junctionColumns, `enrich.entities[${i}].junctionColumns`, ctx, at, out);
  });
}

/** Junction columns to enrich with: the relationship must go through a junction that exposes them. */
function checkJunctionColumns(slug: string, columns: string[], attr: string, ctx: CheckContext, at: string, out: Diagnostic[]): void {
  const join = ctx.index.relationship(slug)!.join;
  if (join.type !== 'junction') {
    out.push(
      error(
        'JUNCTION_MISSING',
        `Junction columns ${columns.join(', ')} enrich relationship ${slug}, which has no junction table: declare it with relateThrough, or add the entity's own columns with ${slug}.columns(...)`,
        at,
        attr,
      ),
    );
    return;
  }
  columns.forEach((column, j) => checkJunctionExposes(slug, join, column, `${attr}[${j}]`, at, out));
}
