import type { z } from 'zod';
import type { Construct } from './cdktn.js';
import { ColumnRef, EntityCondition, JunctionField, TraitField, type Condition, type ProfileScope } from './conditions.js';
import { l1 } from './l1.js';
import { LinkedResource } from './resource.js';
import type { EnrichedEntity } from './emitter.js';
import type { EventsSource, RelationshipJoin } from '../src/model/graph.js';

/** Default display name from a slug: `credit_card` -> `Credit Card`. */
const titleOf = (slug: string) => slug.replace(/[-_]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());

/**
 * The profile table. Its type parameters are the column names as written in the props (inferred:
 * never spelt out), so that `graph.trait(...)` and profile relationships are checked by the compiler.
 */
export interface ProfileProps<Trait extends string = string, Identifier extends string = string, Id extends string = string> {
  /** `table`, `schema.table` or `database.schema.table`. */
  readonly table: string;
  /** The profile id column: the userId of every event sent. */
  readonly id: Id;
  /**
   * Columns usable in trait conditions and enrichment.
   * @default []
   */
  readonly traits?: Trait[];
  /**
   * External identifier columns (email, user_id, phone...) that relationships may join on.
   * @default []
   */
  readonly identifiers?: Identifier[];
}

export interface DataGraphProps<Trait extends string = string, Identifier extends string = string, Id extends string = string> {
  /**
   * The resource key.
   * @default 'graph'
   */
  readonly key?: string;
  /** The profile table: its id column, the traits conditions may use, the identifiers relationships may join on. */
  readonly profile: ProfileProps<Trait, Identifier, Id>;
  /**
   * The events table, for "performed event" conditions.
   * @default - no events: event conditions are refused
   */
  readonly events?: z.input<typeof EventsSource>;
  /**
   * Nesting limit of entity conditions, counting the profile (at most 6).
   * @default 4
   */
  readonly maxDepth?: number;
  /**
   * Which column types may key a relationship. `string-or-integer` joins integer keys as they
   * are, and an integer to a string key on a cast to text (`linked validate` warns: the cast
   * costs the warehouse its pruning on the key); `string-only` refuses any non-string key, as
   * Segment does (`Relationship key should be a string`).
   * @default 'string-or-integer'
   */
  readonly joinKeys?: 'string-or-integer' | 'string-only';
  /**
   * The IANA time zone (`'Europe/Paris'`) in which date literals without an offset, date-only
   * bounds (`lte('2026-12-31')` takes in that day until midnight there) and the days of relative
   * windows (`withinLast(days(7))`) are read. Warehouse timestamps stay UTC.
   * @default 'UTC'
   */
  readonly timeZone?: string;
  /**
   * Refuse a plan that deletes or replaces the graph.
   * @default false
   */
  readonly preventDestroy?: boolean;
}

export interface EntityProps<Column extends string = string, Key extends string = string> {
  /** `table`, `schema.table` or `database.schema.table`. */
  readonly table: string;
  /** The column that identifies a row: the entity id of entity triggers and matches. */
  readonly primaryKey: Key;
  /**
   * Display name.
   * @default - from the slug: `credit_card` -> `Credit Card`
   */
  readonly name?: string;
  /**
   * Columns exposed to conditions and enrichment (the primary key always is).
   * @default - every column of the table
   */
  readonly columns?: Column[];
}

/** An entity of the graph, by slug; `Column` is what `rel.col(...)` and `rel.columns(...)` may name. */
export class EntityRef<Column extends string = string> {
  /** Phantom: the entity's columns as declared (any name when it declares none). */
  declare readonly __columns?: Column;

  constructor(
    readonly slug: string,
    readonly props: EntityProps,
    /**
     * The Data Graph that declares it (`graph.entity(...)`), for the stack to refuse another
     * stack's in its relationships: the model names the entity by slug only.
     * @default - unknown: not checked
     */
    readonly graph?: object,
  ) {}
}

/** How a profile relationship joins: a declared profile identifier or trait equals an entity column. */
export type ProfileJoinProps<Trait extends string = string, Identifier extends string = string> = RelationshipNameProps &
  ({ readonly identifier: Identifier; readonly column: string } | { readonly trait: Trait; readonly column: string });

export interface RelationshipNameProps {
  /**
   * Display name.
   * @default - from the slug: `credit_cards` -> `Credit Cards`
   */
  readonly name?: string;
}

export interface EntityJoinProps extends RelationshipNameProps {
  /** `[parent column, entity column]`: parent.col = entity.col. */
  readonly on: readonly [string, string];
}

export interface JunctionTableProps {
  /** `table`, `schema.table` or `database.schema.table`. */
  readonly table: string;
  /** One column, or the columns of a composite key (`['order_id', 'product_id']`). */
  readonly primaryKey: string | readonly string[];
  /**
   * Columns of the link itself that conditions may filter with `rel.junction('column')` (the
   * primary key and both join columns always can).
   * @default - every column of the table
   */
  readonly columns?: string[];
}

export interface JunctionJoinProps extends RelationshipNameProps {
  /** The junction table, its primary key and the columns of the link that conditions may filter. */
  readonly junction: JunctionTableProps;
  /** `[parent column, junction column]`. */
  readonly parent: readonly [string, string];
  /** `[junction column, entity column]`. */
  readonly entity: readonly [string, string];
}

interface RelationshipSpec {
  slug: string;
  name: string;
  entity: EntityRef;
  parent: Relationship<string, unknown> | null;
  join: z.input<typeof RelationshipJoin>;
}

/**
 * A relationship of the graph, typed by its slug and its parent's scope so that conditions and
 * trigger paths built from it are checked by the compiler: `cards.where(...)` is a condition on
 * the `accounts` level, usable only inside `accounts.where(...)`.
 */
export class Relationship<Slug extends string, Parent, Column extends string = string> {
  /** @internal */
  constructor(
    /** The Data Graph that declares this relationship. */
    readonly graph: DataGraph,
    private readonly spec: RelationshipSpec,
  ) {}

  get slug(): Slug {
    return this.spec.slug as Slug;
  }
  get entity(): EntityRef {
    return this.spec.entity;
  }
  /** Relationship slugs from the profile down to this one. */
  get path(): string[] {
    return [...(this.spec.parent?.path ?? []), this.spec.slug];
  }

  /** A child one-to-many relationship: `accounts.relate('cards', card, { on: ['account_id', 'account_id'] })`. */
  relate<const S extends string, C extends string>(slug: S, entity: EntityRef<C>, props: EntityJoinProps): Relationship<S, Slug, C> {
    return this.graph._addRelationship<S, Slug, C>({
      slug,
      name: props.name ?? titleOf(slug),
      entity,
      parent: this as unknown as Relationship<string, unknown>,
      join: { type: 'entity', parentColumn: props.on[0], entityColumn: props.on[1] },
    });
  }

  /** A child many-to-many relationship through a junction table. */
  relateThrough<const S extends string, C extends string>(slug: S, entity: EntityRef<C>, props: JunctionJoinProps): JunctionRelationship<S, Slug, C> {
    return this.graph._addJunctionRelationship<S, Slug, C>({
      slug,
      name: props.name ?? titleOf(slug),
      entity,
      parent: this as unknown as Relationship<string, unknown>,
      join: {
        type: 'junction',
        table: props.junction.table,
        primaryKey: typeof props.junction.primaryKey === 'string' ? props.junction.primaryKey : [...props.junction.primaryKey],
        parentColumn: props.parent[0],
        junctionParentColumn: props.parent[1],
        junctionEntityColumn: props.entity[0],
        entityColumn: props.entity[1],
        ...(props.junction.columns ? { columns: props.junction.columns } : {}),
      },
    });
  }

  /** Related rows matching all filters (at least 1 by default; then `.atLeast(n)`, `.none()`...). */
  where(...filters: Condition<Slug>[]): EntityCondition<Parent> {
    return new EntityCondition<Parent>(this, filters as Condition<unknown>[]);
  }
  /** At least n related rows, unfiltered. */
  atLeast(n: number): EntityCondition<Parent> {
    return this.where().atLeast(n);
  }
  exactly(n: number): EntityCondition<Parent> {
    return this.where().exactly(n);
  }
  atMost(n: number): EntityCondition<Parent> {
    return this.where().atMost(n);
  }
  /** Without any related row. */
  none(): EntityCondition<Parent> {
    return this.where().none();
  }

  /** This relationship's column as an operand, for comparisons from a descendant's filter. */
  col(column: Column): ColumnRef {
    return new ColumnRef(this.spec.slug, column, this);
  }

  /** Entity columns to add to events (an emitter's `enrich.entities`). */
  columns(...columns: Column[]): EnrichedEntity {
    return { relationship: this.spec.slug, columns, handle: this };
  }
}

/**
 * A many-to-many relationship: besides the entity's columns, its conditions may filter the
 * junction row that links each entity row to the parent: `products.where(products.junction('quantity').gte(10))`.
 */
export class JunctionRelationship<Slug extends string, Parent, Column extends string = string> extends Relationship<Slug, Parent, Column> {
  /** A column of the junction row, for conditions inside this relationship's `where(...)`. */
  junction(column: string): JunctionField<Slug> {
    return new JunctionField<Slug>(column, this);
  }

  /**
   * Columns of the junction row to add to events (an emitter's `enrich.entities`), beside or
   * without `columns(...)`: `products.junctionColumns('quantity', 'unit_price')`.
   */
  junctionColumns(...columns: [string, ...string[]]): EnrichedEntity {
    return { relationship: this.slug, columns: [], junctionColumns: columns, handle: this };
  }
}

/** The profile: the root of the graph's relationships. */
export class ProfileRef<Trait extends string = string, Identifier extends string = string> {
  /** @internal */
  constructor(private readonly graph: DataGraph) {}

  /** A relationship of the profile: a profile identifier or trait equals an entity column. */
  relate<const S extends string, C extends string>(slug: S, entity: EntityRef<C>, props: ProfileJoinProps<Trait, Identifier>): Relationship<S, ProfileScope, C> {
    const via = 'identifier' in props ? 'identifier' : 'trait';
    const profileColumn = 'identifier' in props ? props.identifier : props.trait;
    return this.graph._addRelationship<S, ProfileScope, C>({
      slug,
      name: props.name ?? titleOf(slug),
      entity,
      parent: null,
      join: { type: 'profile', via, profileColumn, entityColumn: props.column },
    });
  }
}

/**
 * The Data Graph: the profile table, the events source, entities and the relationships between
 * them. One per stack.
 */
export class DataGraph<Trait extends string = string, Identifier extends string = string, Id extends string = string> extends LinkedResource<'data_graph'> {
  readonly profile: ProfileRef<Trait, Identifier>;
  readonly resource: l1.dataGraph.DataGraph;
  private readonly entities: EntityRef[] = [];
  private readonly relationships: RelationshipSpec[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: DataGraphProps<Trait, Identifier, Id>,
  ) {
    super(scope, id, 'data_graph', props.key ?? 'graph');
    this.profile = new ProfileRef<Trait, Identifier>(this);
    this.resource = this.createL1(l1.dataGraph.DataGraph);
  }

  /**
   * A profile column for conditions, as `trait(name)` makes it, but checked by the compiler
   * against the graph's `profile.traits`, `identifiers` and `id`: `graph.trait('plan').equals('premium')`.
   */
  trait(name: Trait | Identifier | Id): TraitField {
    return new TraitField(name, this);
  }

  /** Declares an entity (a warehouse table with a primary key). */
  entity<C extends string = string, K extends string = string>(slug: string, props: EntityProps<C, K>): EntityRef<C | K> {
    const ref = new EntityRef<C | K>(slug, props, this);
    this.entities.push(ref);
    return ref;
  }

  /** @internal */
  _addRelationship<S extends string, P, C extends string>(spec: RelationshipSpec): Relationship<S, P, C> {
    this.relationships.push(spec);
    return new Relationship<S, P, C>(this, spec);
  }

  /** @internal */
  _addJunctionRelationship<S extends string, P, C extends string>(spec: RelationshipSpec): JunctionRelationship<S, P, C> {
    this.relationships.push(spec);
    return new JunctionRelationship<S, P, C>(this, spec);
  }

  /** The entities its relationships join, as declared: another graph's (another stack's) is refused. */
  override references(): readonly object[] {
    return this.relationships.flatMap(({ entity }) => (entity.graph ? [{ entity: entity.slug, graph: entity.graph }] : []));
  }

  toModel(): Record<string, unknown> {
    return {
      key: this.key,
      maxDepth: this.props.maxDepth,
      joinKeys: this.props.joinKeys,
      timeZone: this.props.timeZone,
      profile: this.props.profile,
      events: this.props.events,
      entities: this.entities.map((e) => ({
        slug: e.slug,
        name: e.props.name ?? titleOf(e.slug),
        table: e.props.table,
        primaryKey: e.props.primaryKey,
        columns: e.props.columns,
      })),
      relationships: this.relationships.map((r) => ({
        slug: r.slug,
        name: r.name,
        entity: r.entity.slug,
        parent: r.parent?.slug ?? null,
        join: r.join,
      })),
      preventDestroy: this.props.preventDestroy,
    };
  }
}
