import { z } from 'zod';
import { ColumnName, Duration, IsoDate, Scalar, Slug } from './common.js';

/*
 * The condition tree (decision D2: it travels as one JSON-encoded attribute).
 *
 * Two levels of context:
 * - profile level (`Condition`): trait, entity, event and audience conditions under and/or/not;
 * - entity level (`EntityPredicate`): column filters and nested entity conditions under and/or/not,
 *   evaluated against one row of the entity.
 *
 * NULL semantics (decided here, implemented by src/sql, documented in docs/conditions.md):
 * every leaf is two-valued. A comparison whose left or right side is NULL is false, for positive and
 * negative operators alike (`not_equals`, `not_contains`, `none_of` are false on NULL); only
 * `exists` / `not_exists` look at NULL. `not` is the two-valued complement of its child.
 */

/** The right-hand side of a comparison: a literal, a profile trait, or a column of an ancestor entity. */
export const Operand = z.union([
  z.object({ literal: Scalar }).strict(),
  z.object({ trait: ColumnName }).strict(),
  /** `relationship`: the slug of this entity's relationship or of an ancestor on the same branch. */
  z.object({ relationship: Slug, column: ColumnName }).strict(),
]);
export type Operand = z.infer<typeof Operand>;

const StringOperand = z.union([
  z.object({ literal: z.string() }).strict(),
  z.object({ trait: ColumnName }).strict(),
  z.object({ relationship: Slug, column: ColumnName }).strict(),
]);
const OrderedOperand = z.union([
  z.object({ literal: z.union([z.number().finite(), IsoDate]) }).strict(),
  z.object({ trait: ColumnName }).strict(),
  z.object({ relationship: Slug, column: ColumnName }).strict(),
]);

export const COMPARISON_OPERATORS = ['equals', 'not_equals'] as const;
export const ORDERED_OPERATORS = ['lt', 'lte', 'gt', 'gte'] as const;
export const STRING_OPERATORS = ['contains', 'not_contains', 'starts_with', 'ends_with'] as const;
export const PRESENCE_OPERATORS = ['exists', 'not_exists'] as const;
export const SET_OPERATORS = ['one_of', 'none_of'] as const;
export const DATE_OPERATORS = ['before_date', 'after_date'] as const;
export const RELATIVE_DATE_OPERATORS = ['within_last', 'within_next'] as const;

/** The operator-specific shapes of a comparison; `operator` decides the shape of `value`. */
function comparisonVariants<S extends z.ZodRawShape>(base: S) {
  return [
    z.object({ ...base, operator: z.enum(COMPARISON_OPERATORS), value: Operand }).strict(),
    z.object({ ...base, operator: z.enum(ORDERED_OPERATORS), value: OrderedOperand }).strict(),
    z.object({ ...base, operator: z.enum(STRING_OPERATORS), value: StringOperand }).strict(),
    z.object({ ...base, operator: z.enum(PRESENCE_OPERATORS) }).strict(),
    z.object({ ...base, operator: z.enum(SET_OPERATORS), value: z.array(Scalar).min(1).max(10_000) }).strict(),
    z.object({ ...base, operator: z.enum(DATE_OPERATORS), value: IsoDate }).strict(),
    z.object({ ...base, operator: z.enum(RELATIVE_DATE_OPERATORS), value: Duration }).strict(),
  ] as const;
}

export const Comparison = z.discriminatedUnion('operator', comparisonVariants({}));
export type Comparison = z.infer<typeof Comparison>;
export type Operator = Comparison['operator'];

/** How many related rows must match: at least / exactly / at most N. A count of 0 means "without". */
export const Count = z
  .object({ op: z.enum(['at_least', 'exactly', 'at_most']), value: z.number().int().min(0) })
  .strict();
export type Count = z.infer<typeof Count>;

export const AT_LEAST_ONE: Count = { op: 'at_least', value: 1 };

// ---- entity level ----------------------------------------------------------------------------

/**
 * `junction: true`: the column belongs to the junction row that links this entity row to its
 * parent (a many-to-many relationship), not to the entity: a role or a date on the link itself.
 */
export type ColumnFilter = { kind: 'column'; column: string; junction?: true } & Comparison;
export type EntityCondition = {
  kind: 'entity';
  /** Slug of the relationship to traverse (a child of the enclosing relationship, or of the profile). */
  relationship: string;
  count: Count;
  /** Filters and nested entity conditions on each related row; omitted: every row counts. */
  where?: EntityPredicate;
};
export type EntityPredicate =
  | { kind: 'and'; conditions: EntityPredicate[] }
  | { kind: 'or'; conditions: EntityPredicate[] }
  | { kind: 'not'; condition: EntityPredicate }
  | ColumnFilter
  | EntityCondition;

export const ColumnFilter = z.discriminatedUnion(
  'operator',
  comparisonVariants({ kind: z.literal('column'), column: ColumnName, junction: z.literal(true).optional() }),
);

export const EntityCondition: z.ZodType<EntityCondition> = z
  .object({
    kind: z.literal('entity'),
    relationship: Slug,
    count: Count,
    get where() {
      return EntityPredicate.optional();
    },
  })
  .strict() as unknown as z.ZodType<EntityCondition>;

export const EntityPredicate: z.ZodType<EntityPredicate> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('and'), get conditions() { return z.array(EntityPredicate).min(1); } }).strict(),
  z.object({ kind: z.literal('or'), get conditions() { return z.array(EntityPredicate).min(1); } }).strict(),
  z.object({ kind: z.literal('not'), get condition() { return EntityPredicate; } }).strict(),
  ColumnFilter,
  EntityCondition as unknown as z.ZodObject,
]) as unknown as z.ZodType<EntityPredicate>;

// ---- events ----------------------------------------------------------------------------------

/** A filter on one event property (a top-level key of the JSON properties column, or a dotted path). */
export type PropertyFilter = { property: string } & Comparison;
export const PropertyFilter = z.discriminatedUnion(
  'operator',
  comparisonVariants({ property: z.string().min(1).max(255) }),
) as z.ZodType<PropertyFilter>;

export const EventWindow = z.discriminatedUnion('type', [
  z.object({ type: z.literal('within'), amount: z.number().int().positive(), unit: z.enum(['minutes', 'hours', 'days']) }).strict(),
  z.object({ type: z.literal('between'), from: IsoDate, to: IsoDate }).strict(),
]);
export type EventWindow = z.infer<typeof EventWindow>;

export type EventCondition = {
  kind: 'event';
  name: string;
  /** All must hold for an event to count. */
  where: PropertyFilter[];
  count: Count;
  /** Omitted: all of history. */
  window?: EventWindow;
};
export const EventCondition = z
  .object({
    kind: z.literal('event'),
    name: z.string().min(1),
    where: z.array(PropertyFilter).default([]),
    count: Count,
    window: EventWindow.optional(),
  })
  .strict();

// ---- profile level ---------------------------------------------------------------------------

export type TraitCondition = { kind: 'trait'; trait: string } & Comparison;
export const TraitCondition = z.discriminatedUnion(
  'operator',
  comparisonVariants({ kind: z.literal('trait'), trait: ColumnName }),
);

export type AudienceMembershipCondition = {
  kind: 'audience';
  /** Key of a linked Audience or of a ClassicAudience. */
  audience: string;
  source: 'linked' | 'classic';
  /** true: "not part of". */
  negate: boolean;
};
export const AudienceMembershipCondition = z
  .object({
    kind: z.literal('audience'),
    audience: Slug,
    source: z.enum(['linked', 'classic']),
    negate: z.boolean().default(false),
  })
  .strict();

export type Condition =
  | { kind: 'and'; conditions: Condition[] }
  | { kind: 'or'; conditions: Condition[] }
  | { kind: 'not'; condition: Condition }
  | TraitCondition
  | EntityCondition
  | EventCondition
  | AudienceMembershipCondition;

export const Condition: z.ZodType<Condition> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('and'), get conditions() { return z.array(Condition).min(1); } }).strict(),
  z.object({ kind: z.literal('or'), get conditions() { return z.array(Condition).min(1); } }).strict(),
  z.object({ kind: z.literal('not'), get condition() { return Condition; } }).strict(),
  TraitCondition,
  EntityCondition as unknown as z.ZodObject,
  EventCondition,
  AudienceMembershipCondition,
]) as unknown as z.ZodType<Condition>;
