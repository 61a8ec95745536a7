import cron from 'node-cron';
import { resourceAddress } from '../address.js';
import type { Audience } from '../audience.js';
import type { Condition, EntityPredicate, Operand } from '../condition.js';
import type { Diagnostic } from '../diagnostics.js';
import { PROFILE, checkColumn, error, type CheckContext } from './context.js';

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

/** Why a cron expression is refused, or undefined. Five fields, UTC, as src/model says. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 || !cron.validate(expression)) {
    return `Invalid cron expression "${expression}": expected five fields (minute hour day-of-month month day-of-week), e.g. "0 6 * * *"`;
  }
  return undefined;
}

function walkCondition(c: Condition, attr: string, ctx: CheckContext, at: string, out: Diagnostic[]): void {
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

function entityLabel(scope: Scope, ctx: CheckContext): string {
  return scope.relationship === null ? PROFILE : (ctx.index.entityOf(scope.relationship)?.slug ?? scope.relationship);
}

function walkEntity(
  c: Extract<EntityPredicate, { kind: 'entity' }>,
  attr: string,
  scope: Scope,
  ctx: CheckContext,
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

function walkPredicate(p: EntityPredicate, attr: string, scope: Scope, ctx: CheckContext, at: string, out: Diagnostic[]): void {
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

function checkOperand(value: unknown, attr: string, scope: Scope, ctx: CheckContext, at: string, out: Diagnostic[]): void {
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
