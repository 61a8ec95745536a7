import { z } from 'zod';
import { ColumnName, Slug, TableRef } from './common.js';

export const DEFAULT_MAX_DEPTH = 4;
/** Segment's current limit; the seed's default is 4 (decision D10). */
export const MAX_DEPTH_LIMIT = 6;

export const Profile = z
  .object({
    table: TableRef,
    /** The profile id column: the userId of every event sent. */
    id: ColumnName,
    /** Columns usable in trait conditions and enrichment. */
    traits: z.array(ColumnName).default([]),
    /** External identifier columns (email, user_id, phone...) that relationships may join on. */
    identifiers: z.array(ColumnName).default([]),
  })
  .strict();
export type Profile = z.infer<typeof Profile>;

export const EventsSource = z
  .object({
    table: TableRef,
    /** Column holding the profile id the event belongs to. */
    profileKey: ColumnName,
    /** Column holding the event name, e.g. "Payment Made". */
    name: ColumnName,
    /** Column holding when the event happened: a TIMESTAMP or DATE column. */
    timestamp: ColumnName,
    /** JSON column with the event properties. */
    properties: ColumnName,
  })
  .strict();
export type EventsSource = z.infer<typeof EventsSource>;

/** The most columns a composite key may have. */
const MAX_KEY_COLUMNS = 8;

/**
 * An entity's primary key: one column. A table keyed by several columns that links two entities is
 * a junction, and a list here is answered with where such a key belongs.
 */
const EntityKey = z
  .string({
    error: (issue) =>
      Array.isArray(issue.input)
        ? "an entity's primary key is one column. A table keyed by several columns that links two entities (order lines: order_id and product_id) " +
          'is the junction of a many-to-many relationship: relateThrough(slug, entity, { junction: { table, primaryKey: [...] }, parent, entity }) (docs/constructs.md), ' +
          'or point the entity at a view with one key column'
        : undefined,
  })
  .pipe(ColumnName);

export const Entity = z
  .object({
    slug: Slug,
    name: z.string().min(1),
    table: TableRef,
    primaryKey: EntityKey,
    /** Columns exposed to conditions and enrichment. Omitted: every column of the table. */
    columns: z.array(ColumnName).optional(),
  })
  .strict();
export type Entity = z.infer<typeof Entity>;

/**
 * How a relationship reaches its entity from its parent (the profile, or the parent relationship's entity).
 * - `profile`: a profile trait or identifier column equals an entity column (first level only).
 * - `entity`: `parent.parentColumn = entity.entityColumn` (one-to-many, covers one-to-one).
 * - `junction`: many-to-many through a junction table with its own primary key.
 */
export const RelationshipJoin = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('profile'),
      via: z.enum(['trait', 'identifier']),
      profileColumn: ColumnName,
      entityColumn: ColumnName,
    })
    .strict(),
  z.object({ type: z.literal('entity'), parentColumn: ColumnName, entityColumn: ColumnName }).strict(),
  z
    .object({
      type: z.literal('junction'),
      table: TableRef,
      /** One column, or the columns of a composite key (an order line keyed by order and product). */
      primaryKey: z.union([ColumnName, z.array(ColumnName).min(1).max(MAX_KEY_COLUMNS)]),
      parentColumn: ColumnName,
      junctionParentColumn: ColumnName,
      junctionEntityColumn: ColumnName,
      entityColumn: ColumnName,
      /** Junction columns exposed to conditions (`junction: true` filters). Omitted: every column of the table. */
      columns: z.array(ColumnName).optional(),
    })
    .strict(),
]);
export type RelationshipJoin = z.infer<typeof RelationshipJoin>;

/** The columns of a primary key given as one column or as a composite. */
export function keyColumns(key: string | readonly string[]): string[] {
  return typeof key === 'string' ? [key] : [...key];
}

export type JunctionJoin = Extract<RelationshipJoin, { type: 'junction' }>;

/**
 * The junction columns conditions and enrichment may read: the link's keys always, then the
 * listed `columns`; undefined when the junction lists none (every column of the table, which only
 * the catalog check can verify).
 */
export function junctionColumnsExposed(join: JunctionJoin): string[] | undefined {
  if (join.columns === undefined || join.columns.length === 0) return undefined;
  return [...new Set([...keyColumns(join.primaryKey), join.junctionParentColumn, join.junctionEntityColumn, ...join.columns])];
}

export const Relationship = z
  .object({
    /** Unique in the graph, so a slug alone names a path from the profile. */
    slug: Slug,
    name: z.string().min(1),
    /** Slug of the related entity. */
    entity: Slug,
    /** Slug of the parent relationship; null for a relationship of the profile itself. */
    parent: Slug.nullable(),
    join: RelationshipJoin,
  })
  .strict();
export type Relationship = z.infer<typeof Relationship>;

/** Whether the runtime's time zone database knows `zone`. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const TimeZone = z.string().refine(isTimeZone, {
  error: (issue) => `Unknown time zone ${JSON.stringify(issue.input)}: give an IANA zone name such as "Europe/Paris", "America/New_York" or "UTC"`,
});

export const DataGraph = z
  .object({
    key: Slug.default('graph'),
    maxDepth: z.number().int().min(1).max(MAX_DEPTH_LIMIT).default(DEFAULT_MAX_DEPTH),
    /**
     * Which column types may key a relationship: strings and integers (joined on a cast to text
     * when one side is a string and the other an integer), or strings only, Segment's rule for
     * teams that want the same behaviour. Unset: strings and integers.
     */
    joinKeys: z.enum(['string-or-integer', 'string-only']).optional(),
    /**
     * The IANA time zone (`Europe/Paris`) in which literals without an offset, date-only bounds
     * and the calendar days of relative windows are read. Unset: UTC.
     */
    timeZone: TimeZone.optional(),
    profile: Profile,
    events: EventsSource.optional(),
    entities: z.array(Entity).default([]),
    relationships: z.array(Relationship).default([]),
    preventDestroy: z.boolean().default(false),
  })
  .strict();
export type DataGraph = z.infer<typeof DataGraph>;
