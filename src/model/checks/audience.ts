import { didYouMean } from '../suggest.js';
import { GRAPH_ERRORS } from '../seed-messages.js';
import cron from 'node-cron';
import { resourceAddress } from '../address.js';
import type { Audience } from '../audience.js';
import type { Condition, EntityCondition, EventCondition, Operand } from '../condition.js';
import { visitCondition, type ConditionSite } from '../condition-walk.js';
import type { Diagnostic } from '../diagnostics.js';
import { PROFILE, checkColumn, checkJunctionExposes, checkTrait, error, type CheckContext } from './context.js';

/** Where a walk of the condition tree is: the relationship whose rows are being filtered. */
interface Scope {
  /** null at the profile level. */
  relationship: string | null;
  /** Relationship slugs from the profile down to `relationship`. */
  path: string[];
}

/** An audience's schedule, and its condition tree against the Data Graph. */
export function checkAudience(audience: Audience, ctx: CheckContext, out: Diagnostic[]): void {
  const at = resourceAddress('audience', audience.key);
  if (audience.schedule.type === 'cron') {
    const problem = cronProblem(audience.schedule.expression);
    if (problem) out.push(error('INVALID_CRON', problem, at, 'schedule.expression'));
  }
  walkCondition(audience.condition, 'condition', ctx, at, out);
}

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 7 },
] as const;

/** Why a cron expression is refused, or undefined. Five fields, UTC, as src/model says; the message names the field at fault. */
export function cronProblem(expression: string): string | undefined {
  const invalid = `Invalid cron expression "${expression}"`;
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `${invalid}: expected five fields (minute hour day-of-month month day-of-week), got ${fields.length}, e.g. "0 6 * * *"`;
  }
  for (const [i, field] of fields.entries()) {
    const { name, min, max } = CRON_FIELDS[i]!;
    const outOfRange = (field.match(/\d+/g) ?? []).map(Number).find((n, k, all) => (field.includes('/') && k === all.length - 1 ? n < 1 : n < min || n > max));
    if (outOfRange !== undefined) return `${invalid}: ${name} ${outOfRange} is out of range (${min}-${max})`;
  }
  if (!cron.validate(expression)) return `${invalid}: not a five-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 6 * * *"`;
  return undefined;
}

function walkCondition(condition: Condition, attr: string, ctx: CheckContext, at: string, out: Diagnostic[]): void {
  visitCondition(
    condition,
    {
      trait: (c, site) => {
        checkTrait(c.trait, `${site.attribute}.trait`, ctx, at, out);
        if ('value' in c) checkOperand(c.value, `${site.attribute}.value`, scopeOf(site), ctx, at, out);
      },
      event: (c, site) => checkEvent(c, site.attribute, ctx, at, out),
      audience: (c, site) => {
        const known = c.source === 'linked' ? ctx.audiences : ctx.classic;
        if (!known.has(c.audience)) {
          const what = c.source === 'linked' ? 'linked audience' : 'classic audience';
          out.push(error('UNKNOWN_AUDIENCE', `Unknown ${what} "${c.audience}" in a part-of-audience condition`, at, `${site.attribute}.audience`, didYouMean(c.audience, known).trim()));
        }
      },
      entity: (c, site) => checkEntity(c, site.attribute, scopeOf(site), ctx, at, out),
      column: (c, site) => {
        const scope = scopeOf(site);
        if (c.junction) {
          checkJunctionColumn(c.column, `${site.attribute}.column`, scope, ctx, at, out);
        } else {
          const entity = scope.relationship === null ? undefined : ctx.index.entityOf(scope.relationship);
          if (entity) checkColumn(entity, c.column, `${site.attribute}.column`, at, out);
        }
        if ('value' in c) checkOperand(c.value, `${site.attribute}.value`, scope, ctx, at, out);
      },
    },
    attr,
  );
}

/** The relationship whose rows a node filters, from the entity conditions around it. */
function scopeOf(site: ConditionSite): Scope {
  const path = site.entities.map((e) => e.relationship);
  return { relationship: path[path.length - 1] ?? null, path };
}

function checkEvent(c: EventCondition, attr: string, ctx: CheckContext, at: string, out: Diagnostic[]): void {
  if (!ctx.desired.graph.events) {
    out.push(
      error(
        'EVENTS_MISSING',
        `The Data Graph declares no events source, so the event condition on "${c.name}" cannot be computed`,
        at,
        attr,
        'Declare the events table in the Data Graph: events: { table, profileKey, name, timestamp, properties }.',
      ),
    );
  }
  if (c.window?.type === 'between' && Date.parse(c.window.from) >= Date.parse(c.window.to)) {
    out.push(error('WINDOW_INVALID', `The event window's "from" (${c.window.from}) must be before its "to" (${c.window.to})`, at, `${attr}.window`));
  }
  c.where.forEach((f, i) => {
    // Event properties are untyped JSON: the literal decides how a property is read, so there must be one.
    if ('value' in f && typeof f.value === 'object' && f.value !== null && !Array.isArray(f.value) && !('literal' in f.value)) {
      out.push(
        error(
          'PROPERTY_OPERAND',
          `Event property filter on "${f.property}" must compare with a literal value, not a trait or entity column.`,
          at,
          `${attr}.where[${i}].value`,
        ),
      );
    }
  });
}

function entityLabel(scope: Scope, ctx: CheckContext): string {
  return scope.relationship === null ? PROFILE : (ctx.index.entityOf(scope.relationship)?.slug ?? scope.relationship);
}

/** A relationship used where the scope's entity has no such child. */
function notChild(relationship: string, attr: string, scope: Scope, ctx: CheckContext, at: string): Diagnostic {
  return error(
    'RELATIONSHIP_NOT_CHILD',
    GRAPH_ERRORS.relationshipNotChild(entityLabel(scope, ctx), relationship),
    at,
    `${attr}.relationship`,
  );
}

/** Checks an entity condition's relationship and depth; false when its `where` cannot be checked. */
function checkEntity(c: EntityCondition, attr: string, scope: Scope, ctx: CheckContext, at: string, out: Diagnostic[]): boolean {
  const r = ctx.index.relationship(c.relationship);
  if (!r) {
    const children = ctx.desired.graph.relationships.filter((x) => (x.parent ?? null) === scope.relationship).map((x) => x.slug);
    out.push(error('RELATIONSHIP_MISSING', GRAPH_ERRORS.relationshipMissing(c.relationship), at, `${attr}.relationship`, didYouMean(c.relationship, children).trim()));
    return false;
  }
  if (r.parent !== scope.relationship) {
    out.push(notChild(c.relationship, attr, scope, ctx, at));
    return false;
  }
  const depth = scope.path.length + 2;
  if (depth > ctx.desired.graph.maxDepth) {
    out.push(error('DEPTH_EXCEEDED', `Nested entity conditions go ${depth} levels deep (the profile is level 1) at relationship ${c.relationship}, over the limit of ${ctx.desired.graph.maxDepth}`, at, attr));
  }
  return true;
}

function checkOperand(value: unknown, attr: string, scope: Scope, ctx: CheckContext, at: string, out: Diagnostic[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const operand = value as Operand;
  if ('trait' in operand) checkTrait(operand.trait, `${attr}.trait`, ctx, at, out);
  if ('relationship' in operand) {
    if (!ctx.index.relationship(operand.relationship)) {
      // The operand may name only the relationships of its branch: the close one among them is the likely meaning.
      out.push(error('RELATIONSHIP_MISSING', GRAPH_ERRORS.relationshipMissing(operand.relationship), at, `${attr}.relationship`, didYouMean(operand.relationship, scope.path).trim()));
      return;
    }
    if (!scope.path.includes(operand.relationship)) {
      out.push(notChild(operand.relationship, attr, scope, ctx, at));
      return;
    }
    const entity = ctx.index.entityOf(operand.relationship);
    if (entity) checkColumn(entity, operand.column, `${attr}.column`, at, out);
  }
}

/** A `junction: true` filter: its relationship must go through a junction that exposes the column. */
function checkJunctionColumn(column: string, attr: string, scope: Scope, ctx: CheckContext, at: string, out: Diagnostic[]): void {
  const rel = scope.relationship === null ? undefined : ctx.index.relationship(scope.relationship);
  if (!rel) return;
  const join = rel.join;
  if (join.type !== 'junction') {
    out.push(
      error(
        'JUNCTION_MISSING',
        `Junction column ${column} filters relationship ${rel.slug}, which has no junction table: declare it with relateThrough, or filter the entity's own column with col('${column}')`,
        at,
        attr.replace(/\.column$/, '.junction'),
      ),
    );
    return;
  }
  checkJunctionExposes(rel.slug, join, column, attr, at, out);
}
