import { z } from 'zod';
import type { ClassicAudience } from './audience.js';
import { IsoDate, Slug } from './common.js';
import { junctionColumnsExposed, keyColumns, type DataGraph } from './graph.js';
import { GraphIndex } from './graph-index.js';
import { closestName } from './suggest.js';

/*
 * An audience test: fixture rows for the tables of the Data Graph, a reference time, and what the
 * audience should select from them. The constructs write a stack's tests to
 * cdktf.out/stacks/<stack>/linked-tests.json; `linked test` reads them back through this schema.
 * Tests are not resources: nothing is planned or applied for them.
 */

/** A fixture value: what JSON carries. Objects and arrays become JSON columns (event properties). */
export const FixtureValue = z.union([z.string(), z.number().finite(), z.boolean(), z.null(), z.record(z.string(), z.unknown()), z.array(z.unknown())]);
export type FixtureValue = z.infer<typeof FixtureValue>;

export const FixtureRow = z.record(z.string(), FixtureValue);
export type FixtureRow = z.infer<typeof FixtureRow>;

/** Column types a test may declare where its rows do not say (a column left null, an integer stored as DOUBLE). */
export const FIXTURE_TYPES = ['VARCHAR', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP', 'JSON'] as const;
export const FixtureType = z.enum(FIXTURE_TYPES);
export type FixtureType = z.infer<typeof FixtureType>;

export const Fixtures = z
  .object({
    /** Rows of the profile table. */
    profiles: z.array(FixtureRow).default([]),
    /** Rows of the events table. */
    events: z.array(FixtureRow).default([]),
    /** Rows of each entity's table, by entity slug. */
    entities: z.record(z.string(), z.array(FixtureRow)).default({}),
    /** Rows of each many-to-many relationship's junction table, by relationship slug. */
    junctions: z.record(z.string(), z.array(FixtureRow)).default({}),
    /** Rows of each classic audience's table, by audience key. */
    classicAudiences: z.record(z.string(), z.array(FixtureRow)).default({}),
  })
  .strict();
export type Fixtures = z.infer<typeof Fixtures>;

/** The entities expected to match along one relationship path: profile id → entity ids. */
export const EntityMatchExpectation = z
  .object({
    /** Relationship slugs from the profile, e.g. ["accounts", "cards"]. */
    path: z.array(Slug).min(1),
    matches: z.record(z.string(), z.array(z.string())),
  })
  .strict();
export type EntityMatchExpectation = z.infer<typeof EntityMatchExpectation>;

export const Expectation = z
  .object({
    /** The exact set of members. */
    members: z.array(z.string()).optional(),
    /** Profiles that must be members (others may be too). */
    includes: z.array(z.string()).default([]),
    /** Profiles that must not be members. */
    excludes: z.array(z.string()).default([]),
    /** The exact entity matches along each path (the entities an entity trigger would send). */
    entityMatches: z.array(EntityMatchExpectation).default([]),
  })
  .strict()
  .refine((e) => e.members !== undefined || e.includes.length + e.excludes.length + e.entityMatches.length > 0, {
    message: 'expects nothing: give members, includes, excludes or entityMatches',
  });
export type Expectation = z.infer<typeof Expectation>;

/** Where the test was declared, for the report: relative to the project directory. */
export const SourceLocation = z.object({ file: z.string(), line: z.number().int().positive() }).strict();
export type SourceLocation = z.infer<typeof SourceLocation>;

export const AudienceTestSpec = z
  .object({
    /** Unique in the stack: the construct id unless given. */
    name: z.string().min(1),
    /** The audience under test, by key. */
    audience: Slug,
    /** Relative windows ("within the last 30 days") count from here; unset: the moment the test runs. */
    now: IsoDate.optional(),
    fixtures: Fixtures,
    /** Declared column types, by table as the graph names it; the rest are read from the rows. */
    types: z.record(z.string(), z.record(z.string(), FixtureType)).default({}),
    expect: Expectation,
    source: SourceLocation.optional(),
  })
  .strict();
export type AudienceTestSpec = z.infer<typeof AudienceTestSpec>;

export const TESTS_FILE = 'linked-tests.json';

/** The file the constructs write beside a stack's cdk.tf.json. */
export const AudienceTestsFile = z
  .object({
    version: z.literal(1),
    stack: Slug,
    tests: z.array(AudienceTestSpec),
  })
  .strict();
export type AudienceTestsFile = z.infer<typeof AudienceTestsFile>;

// ---- the tables a test's fixtures fill -------------------------------------------------------

/** One warehouse table of the graph as fixtures fill it. */
export interface FixtureTable {
  /** As the graph names it: `main.profiles`. */
  table: string;
  /** The fixture slot(s) it is filled from, for messages: `profiles`, `entities.account`. */
  slots: string[];
  /** Columns the graph names in this table, with the type the graph implies (events' timestamp and properties). */
  columns: Map<string, FixtureType | undefined>;
  /** An entity or junction declared without `columns` exposes every column: any fixture column is accepted. */
  open: boolean;
  rows: { slot: string; index: number; row: FixtureRow }[];
}

/** A fixture that does not fit the Data Graph: an unknown slot, table or column. */
export interface FixtureProblem {
  /** `entities.acount`, `profiles[2].plann` */
  at: string;
  message: string;
}

/**
 * The tables a test fills and the problems of its fixtures, checked against the graph: every
 * slot must name an entity, a junction or a classic audience of the stack, and every column a
 * column the graph declares on that table (the column it would be read from in production).
 */
export function fixtureTables(graph: DataGraph, classic: readonly ClassicAudience[], fixtures: Fixtures): { tables: FixtureTable[]; problems: FixtureProblem[] } {
  const tables = new Map<string, FixtureTable>();
  const problems: FixtureProblem[] = [];
  const tableOf = (name: string, slot: string): FixtureTable => {
    const key = name.toLowerCase();
    let t = tables.get(key);
    if (!t) tables.set(key, (t = { table: name, slots: [], columns: new Map(), open: false, rows: [] }));
    if (!t.slots.includes(slot)) t.slots.push(slot);
    return t;
  };
  const declare = (t: FixtureTable, column: string, type?: FixtureType) => {
    if (!t.columns.has(column) || type) t.columns.set(column, type ?? t.columns.get(column));
  };

  // Every table of the graph exists, empty unless a fixture fills it, as it would in the warehouse.
  const index = new GraphIndex(graph);
  const p = graph.profile;
  const profile = tableOf(p.table, 'profiles');
  [p.id, ...p.traits, ...p.identifiers].forEach((c) => declare(profile, c));
  if (graph.events) {
    const e = graph.events;
    const events = tableOf(e.table, 'events');
    declare(events, e.profileKey);
    declare(events, e.name, 'VARCHAR');
    declare(events, e.timestamp, 'TIMESTAMP');
    declare(events, e.properties, 'JSON');
  }
  const entitySlot = new Map<string, FixtureTable>();
  for (const e of graph.entities) {
    const t = tableOf(e.table, `entities.${e.slug}`);
    declare(t, e.primaryKey);
    (e.columns ?? []).forEach((c) => declare(t, c));
    if (e.columns === undefined) t.open = true;
    entitySlot.set(e.slug, t);
  }
  const junctionSlot = new Map<string, FixtureTable>();
  for (const r of graph.relationships) {
    const join = r.join;
    const entity = entitySlot.get(r.entity);
    const parent = r.parent === null ? profile : entitySlot.get(index.entityOf(r.parent)?.slug ?? '');
    if (join.type === 'profile') {
      declare(profile, join.profileColumn);
      if (entity) declare(entity, join.entityColumn);
    } else if (join.type === 'entity') {
      if (parent) declare(parent, join.parentColumn);
      if (entity) declare(entity, join.entityColumn);
    } else {
      const t = tableOf(join.table, `junctions.${r.slug}`);
      [...keyColumns(join.primaryKey), join.junctionParentColumn, join.junctionEntityColumn, ...(join.columns ?? [])].forEach((c) => declare(t, c));
      // As an entity: a junction that lists no columns exposes every column of its table.
      if (junctionColumnsExposed(join) === undefined) t.open = true;
      if (parent) declare(parent, join.parentColumn);
      if (entity) declare(entity, join.entityColumn);
      junctionSlot.set(r.slug, t);
    }
  }
  const classicSlot = new Map<string, FixtureTable>();
  for (const c of classic) {
    const t = tableOf(c.table, `classicAudiences.${c.key}`);
    declare(t, c.profileIdColumn);
    classicSlot.set(c.key, t);
  }

  const fill = (slot: string, t: FixtureTable | undefined, rows: readonly FixtureRow[], known: () => string[]) => {
    if (!t) {
      const names = known();
      problems.push({ at: slot, message: `is not in the Data Graph${hint(slot.split('.').pop() ?? '', names)}; known: ${names.join(', ') || '(none)'}` });
      return;
    }
    rows.forEach((row, i) => {
      for (const column of Object.keys(row)) {
        if (t.open || findColumn(t, column) !== undefined) continue;
        const names = [...t.columns.keys()];
        problems.push({
          at: `${slot}[${i}].${column}`,
          message: `column ${column} is not in the Data Graph for table ${t.table}${hint(column, names)}; the graph declares ${names.join(', ')}. Declare it in the graph (a trait, an entity column, a junction column) or remove it from the fixture`,
        });
      }
      t.rows.push({ slot, index: i, row });
    });
  };
  fill('profiles', profile, fixtures.profiles, () => []);
  if (fixtures.events.length > 0 && !graph.events) {
    problems.push({ at: 'events', message: 'the Data Graph declares no events table: remove the events fixture or declare `events` on the DataGraph' });
  } else if (graph.events) fill('events', tables.get(graph.events.table.toLowerCase()), fixtures.events, () => []);
  for (const [slug, rows] of Object.entries(fixtures.entities)) fill(`entities.${slug}`, entitySlot.get(slug), rows, () => [...entitySlot.keys()]);
  for (const [slug, rows] of Object.entries(fixtures.junctions)) fill(`junctions.${slug}`, junctionSlot.get(slug), rows, () => [...junctionSlot.keys()]);
  for (const [key, rows] of Object.entries(fixtures.classicAudiences)) fill(`classicAudiences.${key}`, classicSlot.get(key), rows, () => [...classicSlot.keys()]);
  return { tables: [...tables.values()], problems };
}

/** Declared types that name no table of the graph, or a column the graph does not declare there. */
export function typeProblems(tables: readonly FixtureTable[], types: Record<string, Record<string, FixtureType>>): FixtureProblem[] {
  const out: FixtureProblem[] = [];
  for (const [table, columns] of Object.entries(types)) {
    const t = tables.find((x) => x.table.toLowerCase() === table.toLowerCase());
    if (!t) {
      const names = tables.map((x) => x.table);
      out.push({ at: `types.${table}`, message: `is not a table of the Data Graph${hint(table, names)}; tables: ${names.join(', ')}` });
      continue;
    }
    for (const column of Object.keys(columns)) {
      if (t.open || findColumn(t, column) !== undefined) continue;
      const names = [...t.columns.keys()];
      out.push({ at: `types.${table}.${column}`, message: `column ${column} is not in the Data Graph for table ${t.table}${hint(column, names)}` });
    }
  }
  return out;
}

/** The graph's spelling of a fixture column (warehouses match unquoted names without regard to case). */
export function findColumn(t: FixtureTable, column: string): string | undefined {
  if (t.columns.has(column)) return column;
  return [...t.columns.keys()].find((c) => c.toLowerCase() === column.toLowerCase());
}

function hint(name: string, known: string[]): string {
  const s = closestName(name, known);
  return s ? ` (did you mean ${s}?)` : '';
}
