import type { Duration, Scalar, TimeUnit } from '../src/model/common.js';
import type {
  Comparison,
  Condition as ConditionModel,
  Count,
  EntityPredicate,
  EventWindow,
  Operand,
  PropertyFilter as PropertyFilterModel,
} from '../src/model/condition.js';
import type { ResourceKind } from '../src/model/desired.js';

/*
 * The fluent condition builder. It produces exactly the src/model condition JSON; the types only
 * decide where a piece may go:
 * - `Condition<ProfileScope>`: a profile-level condition (trait, event, part of, an entity
 *   condition on one of the profile's relationships), usable as an Audience's `where`;
 * - `Condition<'cards'>`: a filter on the rows of relationship `cards` (a column filter, or a
 *   nested entity condition on a child of `cards`), usable in `cards.where(...)`.
 * Column filters fit any entity (`Condition<string>`), never the profile; a nested entity condition
 * fits only under its parent relationship. The scope is a phantom, checked contravariantly.
 */

/**
 * The scope of profile-level conditions. A named interface, not a string (a column filter's
 * `Condition<string>` must not fit the profile) and not a `unique symbol` (TypeScript's message
 * would read "'unique symbol' is not assignable to '"accounts"'"): a condition put at the wrong
 * level reads "Type 'ProfileScope' is not assignable to type '"accounts"'", naming both levels.
 */
export interface ProfileScope {
  readonly __level: 'the profile: an Audience where, or where() of a relationship of the profile';
}

/** Where a condition is built: the relationship whose rows it filters (null: the profile). */
export interface BuildContext {
  readonly relationship: string | null;
  /**
   * Told of each audience, relationship and graph trait the condition names by key, slug or
   * column, so that its stack can refuse one declared in another stack.
   */
  readonly refer?: (target: AudienceLike | RelationshipLike | TraitLike) => void;
}

type Node = ConditionModel | EntityPredicate;

/** A condition of scope `S`: build it with `trait()`, `col()`, `event()`, `rel.where()`, `partOf()`, `all()`... */
export class Condition<S> {
  /** Phantom: makes `Condition<A>` assignable to `Condition<B>` only when B fits A. */
  declare readonly __scope: (scope: S) => void;

  /** @internal */
  constructor(private readonly builder: (ctx: BuildContext) => Node) {}

  /** The model JSON of this condition, built in `ctx` (the profile by default). */
  toModel(ctx: BuildContext = { relationship: null }): Node {
    return this.builder(ctx);
  }
}

// ---- and / or / not --------------------------------------------------------------------------

/** All of the conditions hold (`and`). */
export function all<S>(...conditions: [Condition<S>, ...Condition<S>[]]): Condition<S> {
  return new Condition<S>((ctx) => ({ kind: 'and', conditions: conditions.map((c) => c.toModel(ctx)) }) as Node);
}

/** At least one of the conditions holds (`or`). */
export function any<S>(...conditions: [Condition<S>, ...Condition<S>[]]): Condition<S> {
  return new Condition<S>((ctx) => ({ kind: 'or', conditions: conditions.map((c) => c.toModel(ctx)) }) as Node);
}

/** The condition does not hold (two-valued: see docs/conditions.md for NULLs). */
export function not<S>(condition: Condition<S>): Condition<S> {
  return new Condition<S>((ctx) => ({ kind: 'not', condition: condition.toModel(ctx) }) as Node);
}

// ---- durations and dates ---------------------------------------------------------------------

const duration = (amount: number, unit: TimeUnit): Duration => ({ amount, unit });
export const minutes = (n: number): Duration => duration(n, 'minutes');
export const hours = (n: number): Duration => duration(n, 'hours');
export const days = (n: number): Duration => duration(n, 'days');

/** A date as the model stores it: ISO-8601 (a Date is written in UTC). */
export type DateInput = string | Date;
const isoDate = (d: DateInput): string => (d instanceof Date ? d.toISOString() : d);

// ---- operands --------------------------------------------------------------------------------

/** Something that can stand on the right-hand side of a comparison besides a literal. */
export interface OperandSource {
  /** @internal */
  operand(ctx: BuildContext): Operand;
}

function isOperandSource(v: unknown): v is OperandSource {
  return typeof v === 'object' && v !== null && typeof (v as OperandSource).operand === 'function';
}

/**
 * The right-hand side of a comparison: a literal or a reference `R`. Entity filters take
 * `trait('x')`, `col('x')` (same row) and `rel.col('x')` (an ancestor); profile-level
 * comparisons take `trait('x')` only.
 */
export type OperandInput<R extends OperandSource = OperandSource> = Scalar | Date | R;
export type OrderedInput<R extends OperandSource = OperandSource> = number | DateInput | R;
export type TextInput<R extends OperandSource = OperandSource> = string | R;

function operand(v: OperandInput, ctx: BuildContext): Operand {
  if (isOperandSource(v)) return v.operand(ctx);
  return { literal: v instanceof Date ? v.toISOString() : v };
}

/** A column of an ancestor relationship (or of this one), for comparisons across the branch. */
export class ColumnRef implements OperandSource {
  constructor(
    readonly relationship: string,
    readonly column: string,
    /** The relationship handle that made it (`rel.col(...)`), for the stack to refuse another stack's. */
    readonly handle?: RelationshipLike,
  ) {}
  /** @internal */
  operand(ctx: BuildContext): Operand {
    if (this.handle) ctx.refer?.(this.handle);
    return { relationship: this.relationship, column: this.column };
  }
}

// ---- comparisons -----------------------------------------------------------------------------

type ComparisonBuilder = (ctx: BuildContext) => Comparison;

/**
 * The operators of the seed, by value type. Each returns what the field's kind makes of it;
 * `R` is what may stand on the right besides a literal.
 */
export class Field<Out, R extends OperandSource = OperandSource> {
  /** @internal */
  constructor(protected readonly make: (comparison: ComparisonBuilder) => Out) {}

  private cmp(operator: string, value?: (ctx: BuildContext) => unknown): Out {
    return this.make((ctx) => (value === undefined ? { operator } : { operator, value: value(ctx) }) as Comparison);
  }

  /** = (any type). */
  equals(value: OperandInput<R>): Out {
    return this.cmp('equals', (ctx) => operand(value, ctx));
  }
  /** ≠ (any type; false on NULL). */
  notEquals(value: OperandInput<R>): Out {
    return this.cmp('not_equals', (ctx) => operand(value, ctx));
  }
  /** < (numbers and dates). */
  lt(value: OrderedInput<R>): Out {
    return this.cmp('lt', (ctx) => operand(value, ctx));
  }
  /** ≤ (numbers and dates). */
  lte(value: OrderedInput<R>): Out {
    return this.cmp('lte', (ctx) => operand(value, ctx));
  }
  /** > (numbers and dates). */
  gt(value: OrderedInput<R>): Out {
    return this.cmp('gt', (ctx) => operand(value, ctx));
  }
  /** ≥ (numbers and dates). */
  gte(value: OrderedInput<R>): Out {
    return this.cmp('gte', (ctx) => operand(value, ctx));
  }
  contains(value: TextInput<R>): Out {
    return this.cmp('contains', (ctx) => operand(value, ctx));
  }
  notContains(value: TextInput<R>): Out {
    return this.cmp('not_contains', (ctx) => operand(value, ctx));
  }
  startsWith(value: TextInput<R>): Out {
    return this.cmp('starts_with', (ctx) => operand(value, ctx));
  }
  endsWith(value: TextInput<R>): Out {
    return this.cmp('ends_with', (ctx) => operand(value, ctx));
  }
  /** Not NULL. */
  exists(): Out {
    return this.cmp('exists');
  }
  /** NULL. */
  notExists(): Out {
    return this.cmp('not_exists');
  }
  /** One of the values: `oneOf('a', 'b')` or `oneOf(['a', 'b'])`. */
  oneOf(...values: Scalar[] | [Scalar[]]): Out {
    const list = flatten(values);
    return this.cmp('one_of', () => list);
  }
  /** None of the values (false on NULL). */
  noneOf(...values: Scalar[] | [Scalar[]]): Out {
    const list = flatten(values);
    return this.cmp('none_of', () => list);
  }
  /** Before a date (ISO-8601 or a Date). */
  before(date: DateInput): Out {
    return this.cmp('before_date', () => isoDate(date));
  }
  /** After a date (ISO-8601 or a Date). */
  after(date: DateInput): Out {
    return this.cmp('after_date', () => isoDate(date));
  }
  /** Within the last duration, up to now: `withinLast(days(30))`. */
  withinLast(d: Duration): Out {
    return this.cmp('within_last', () => d);
  }
  /** Within the next duration, from now. */
  withinNext(d: Duration): Out {
    return this.cmp('within_next', () => d);
  }
}

function flatten(values: Scalar[] | [Scalar[]]): Scalar[] {
  return values.length === 1 && Array.isArray(values[0]) ? values[0] : (values as Scalar[]);
}

/** A profile trait as `graph.trait(...)` makes it: its column and the Data Graph that declares it. */
export interface TraitLike {
  readonly trait: string;
  /** The Data Graph construct that declares it, for the stack to refuse another stack's. */
  readonly graph: object;
}

/** A profile trait: a condition (`trait('plan').equals('premium')`) or an operand (`col('x').lt(trait('y'))`). */
export class TraitField extends Field<Condition<ProfileScope>, TraitField> implements OperandSource {
  constructor(
    readonly name: string,
    /**
     * The Data Graph that made it (`graph.trait(...)`), for the stack to refuse another stack's:
     * the model names the trait by column only, which this stack's profile would answer for.
     * @default - unknown (`trait(...)`): not checked
     */
    readonly graph?: object,
  ) {
    super(
      (comparison) =>
        new Condition<ProfileScope>((ctx) => {
          this.referTo(ctx);
          return { kind: 'trait', trait: name, ...comparison(ctx) } as Node;
        }),
    );
  }
  /** @internal */
  operand(ctx: BuildContext): Operand {
    this.referTo(ctx);
    return { trait: this.name };
  }
  private referTo(ctx: BuildContext): void {
    if (this.graph) ctx.refer?.({ trait: this.name, graph: this.graph });
  }
}

/** A column of the entity being filtered: `col('balance').gt(1000)`; as an operand, the same row's column. */
export class ColumnField extends Field<Condition<string>> implements OperandSource {
  constructor(readonly name: string) {
    super((comparison) => new Condition<string>((ctx) => ({ kind: 'column', column: name, ...comparison(ctx) }) as Node));
  }
  /** @internal */
  operand(ctx: BuildContext): Operand {
    // Only entity filters accept a column operand (the types see to it), so there is a relationship.
    return { relationship: ctx.relationship ?? '', column: this.name };
  }
}

/**
 * A column of the junction row that links an entity row to its parent in a many-to-many
 * relationship (a quantity, a role, a date on the link): `products.junction('quantity').gte(10)`.
 * Its conditions fit only that relationship's `where(...)`.
 */
export class JunctionField<Slug extends string> extends Field<Condition<Slug>> {
  constructor(
    readonly name: string,
    /** The relationship handle that made it (`rel.junction(...)`), for the stack to refuse another stack's. */
    readonly handle?: RelationshipLike,
  ) {
    super(
      (comparison) =>
        new Condition<Slug>((ctx) => {
          // The model names no relationship here (the filter's own is implied), so the handle is
          // all that tells another stack's apart from this stack's namesake.
          if (handle) ctx.refer?.(handle);
          return { kind: 'column', column: name, junction: true, ...comparison(ctx) } as Node;
        }),
    );
  }
}

/** A filter on one property of an event (`prop('amount').gte(5)`), for `event(...).where(...)`. */
export class PropertyFilter {
  /** @internal */
  constructor(private readonly builder: (ctx: BuildContext) => PropertyFilterModel) {}
  toModel(ctx: BuildContext = { relationship: null }): PropertyFilterModel {
    return this.builder(ctx);
  }
}

export class PropertyField extends Field<PropertyFilter, TraitField> {
  constructor(readonly name: string) {
    super((comparison) => new PropertyFilter((ctx) => ({ property: name, ...comparison(ctx) }) as PropertyFilterModel));
  }
}

/** A profile trait. */
export const trait = (name: string) => new TraitField(name);
/** A column of the entity being filtered (inside `rel.where(...)`). */
export const col = (name: string) => new ColumnField(name);
/** A property of an event (top-level key of its JSON properties, or a dotted path). */
export const prop = (name: string) => new PropertyField(name);

// ---- counts ----------------------------------------------------------------------------------

/** Count helpers shared by entity and event conditions; each returns a new condition. */
abstract class Counted<S, Self> extends Condition<S> {
  protected abstract withCount(count: Count): Self;
  /** At least n related rows / events match (default: at least 1). */
  atLeast(n: number): Self {
    return this.withCount({ op: 'at_least', value: n });
  }
  /** Exactly n match. */
  exactly(n: number): Self {
    return this.withCount({ op: 'exactly', value: n });
  }
  /** At most n match. */
  atMost(n: number): Self {
    return this.withCount({ op: 'at_most', value: n });
  }
  /** None matches ("without"): exactly 0. */
  none(): Self {
    return this.withCount({ op: 'exactly', value: 0 });
  }
}

// ---- entity conditions -----------------------------------------------------------------------

/** A relationship as conditions see it: its slug and the Data Graph that declares it (the graph's handles implement this). */
export interface RelationshipLike {
  readonly slug: string;
  /**
   * The Data Graph construct that declares it, for the stack to refuse another stack's.
   * @default - unknown: not checked
   */
  readonly graph?: object;
}

/** Related rows matching filters, counted: `cards.where(col('balance').gt(1000)).atLeast(1)`. */
export class EntityCondition<Parent> extends Counted<Parent, EntityCondition<Parent>> {
  /** @internal */
  constructor(
    private readonly relationship: RelationshipLike,
    private readonly filters: readonly Condition<unknown>[],
    count: Count = { op: 'at_least', value: 1 },
  ) {
    super((ctx) => {
      ctx.refer?.(relationship);
      const inner: BuildContext = { ...ctx, relationship: relationship.slug };
      const where = filters.length === 0 ? undefined : filters.length === 1 ? filters[0].toModel(inner) : { kind: 'and', conditions: filters.map((f) => f.toModel(inner)) };
      return (where === undefined
        ? { kind: 'entity', relationship: relationship.slug, count }
        : { kind: 'entity', relationship: relationship.slug, count, where }) as Node;
    });
  }
  protected withCount(count: Count): EntityCondition<Parent> {
    return new EntityCondition<Parent>(this.relationship, this.filters, count);
  }
}

// ---- event conditions ------------------------------------------------------------------------

interface EventSpec {
  name: string;
  where: readonly PropertyFilter[];
  count: Count;
  window?: EventWindow;
}

/** Performed an event: `event('Payment Made').where(prop('amount').gte(5)).atLeast(1).within(days(30))`. */
export class EventCondition extends Counted<ProfileScope, EventCondition> {
  /** @internal */
  constructor(private readonly spec: EventSpec) {
    super((ctx) => {
      const out = { kind: 'event', name: spec.name, where: spec.where.map((w) => w.toModel(ctx)), count: spec.count };
      return (spec.window ? { ...out, window: spec.window } : out) as Node;
    });
  }
  /** Only events whose properties match all filters count. */
  where(...filters: PropertyFilter[]): EventCondition {
    return new EventCondition({ ...this.spec, where: [...this.spec.where, ...filters] });
  }
  /** Only events within the last duration count. */
  within(d: Duration): EventCondition {
    return new EventCondition({ ...this.spec, window: { type: 'within', amount: d.amount, unit: d.unit } });
  }
  /** Only events between two times count. */
  between(from: DateInput, to: DateInput): EventCondition {
    return new EventCondition({ ...this.spec, window: { type: 'between', from: isoDate(from), to: isoDate(to) } });
  }
  protected withCount(count: Count): EventCondition {
    return new EventCondition({ ...this.spec, count });
  }
}

/** Performed `name` at least once, in all of history, until narrowed. */
export const event = (name: string) => new EventCondition({ name, where: [], count: { op: 'at_least', value: 1 } });

// ---- audience membership ---------------------------------------------------------------------

/** An Audience or a ClassicAudience construct (or anything with the key and kind of one). */
export interface AudienceLike {
  readonly key: string;
  readonly kind: Extract<ResourceKind, 'audience' | 'classic_audience'>;
}

function membership(target: AudienceLike, negate: boolean): Condition<ProfileScope> {
  const source = target.kind === 'classic_audience' ? 'classic' : 'linked';
  return new Condition<ProfileScope>((ctx) => {
    ctx.refer?.(target);
    return { kind: 'audience', audience: target.key, source, negate };
  });
}

/** Member of a linked or classic audience. */
export const partOf = (audience: AudienceLike) => membership(audience, false);
/** Not a member of a linked or classic audience. */
export const notPartOf = (audience: AudienceLike) => membership(audience, true);
