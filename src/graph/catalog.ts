import { didYouMean, knownNames } from '../model/suggest.js';
import { isIsoDate, isoDateProblem } from '../model/common.js';
import type { Audience } from '../model/audience.js';
import type { Operand } from '../model/condition.js';
import { visitCondition } from '../model/condition-walk.js';
import type { Desired } from '../model/desired.js';
import type { ModelResources } from '../model/applied-model.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { keyColumns, type DataGraph } from '../model/graph.js';
import type { Expr } from '../dialect/ast.js';
import { hasProfileKey, repeatedKeyQuery, repeatedKeyText } from '../sql/profile-id.js';
import { EVENTS_JOIN } from '../sql/context.js';
import { execute } from '../warehouse/execute.js';
import type { CatalogColumn, CatalogTable, Warehouse } from '../warehouse/types.js';
import { GraphIndex } from '../model/graph-index.js';
import { resourceAddress } from '../model/address.js';
import { GRAPH_ERRORS } from '../model/seed-messages.js';

/*
 * The Data Graph and its audiences checked against the live warehouse catalog ("introspect catalog"). The static checks (src/model/checks.ts) know the model only; these know
 * what the warehouse really holds: tables, columns, their types, and whether primary keys are
 * unique. Where the seed has a message for a failure it is used word for word (decision D10).
 */

/**
 * How a join key column can join: as text, as an integer, or not at all (floating point, boolean,
 * dates, JSON, arrays...: equal values need not compare equal, or have no sensible text form).
 * A fixed-point type is an integer with scale 0 only: `DECIMAL(18,0)`, `NUMBER(38,0)` (the Snowflake
 * adapter spells a NUMBER with its precision and scale). A bare NUMBER is what snapshots taken
 * before it did so recorded; integers are what keys hold in practice.
 */
export function keyKind(type: string): 'string' | 'integer' | undefined {
  const t = type.trim().toUpperCase();
  if (/^(VARCHAR|TEXT|STRING|CHAR|CHARACTER|BPCHAR|NCHAR|NVARCHAR|UUID)(\(\d+\))?$/.test(t)) return 'string';
  if (/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|BYTEINT|INT\d|NUMBER|FIXED)$/.test(t)) return 'integer';
  if (/^(DECIMAL|NUMERIC|NUMBER)\(\d+(,\s*0)?\)$/.test(t)) return 'integer';
  return undefined;
}

/**
 * Relationships whose key columns join an integer to a string, and EVENTS_JOIN when the events'
 * profile key and the profile id do: the compiler joins them on a cast to text. `typeOf` gives a
 * column's warehouse type, e.g. from the catalog snapshot taken at apply.
 */
export function castJoins(graph: DataGraph, typeOf: (table: string, column: string) => string | undefined): string[] {
  const kinds = new Map<string, Set<string | undefined>>();
  for (const req of [...graphRequirements(graph).columns, ...eventsKeys(graph)]) {
    if (!req.joinOf) continue;
    const type = typeOf(req.table, req.column);
    if (type === undefined) continue;
    kinds.set(req.joinOf, (kinds.get(req.joinOf) ?? new Set()).add(keyKind(type)));
  }
  return [...kinds].filter(([, k]) => k.has('string') && k.has('integer')).map(([slug]) => slug).sort();
}

/**
 * The events table's join to the profile, as castJoins reads a relationship's: its profileKey and
 * the profile id, under EVENTS_JOIN. Not a relationship, so none of the join key checks apply.
 */
function eventsKeys(graph: DataGraph): { table: string; column: string; joinOf: string }[] {
  if (!graph.events) return [];
  return [
    { table: graph.events.table, column: graph.events.profileKey, joinOf: EVENTS_JOIN },
    { table: graph.profile.table, column: graph.profile.id, joinOf: EVENTS_JOIN },
  ];
}

/** A column's type in a snapshot of column types by table (as `snapshotCatalog` takes it); names match case-insensitively. */
const snapshotType = (snapshot: CatalogSnapshot) => (table: string, column: string) =>
  snapshot[table]?.[column] ?? Object.entries(snapshot[table] ?? {}).find(([c]) => c.toLowerCase() === column.toLowerCase())?.[1];

/** castJoins over a snapshot of column types by table (as `snapshotCatalog` takes it). */
export const castJoinsFromSnapshot = (graph: DataGraph, snapshot: CatalogSnapshot): string[] => castJoins(graph, snapshotType(snapshot));

/** The id column of a table, as `textKeys` names it. */
export const tableKey = (table: string, column: string) => `${table}.${column}`;

/**
 * The profile's id and the entities' primary keys that the snapshot says are text (`table.column`,
 * as `tableKey` makes them): ids are compared as text, and these need no cast to be (a cast on a
 * join key keeps the warehouse from pruning or parallelizing the join by it).
 */
export function textKeysFromSnapshot(graph: DataGraph, snapshot: CatalogSnapshot): string[] {
  const typeOf = snapshotType(snapshot);
  const ids = [{ table: graph.profile.table, column: graph.profile.id }, ...graph.entities.map((e) => ({ table: e.table, column: e.primaryKey }))];
  return ids.filter(({ table, column }) => keyKind(typeOf(table, column) ?? '') === 'string').map(({ table, column }) => tableKey(table, column));
}
export const tableMissingMessage = (table: string, role: string) => `Table ${table} (${role}) does not exist in the warehouse`;
export const columnMissingMessage = (table: string, column: string, role: string) =>
  `Column ${column} (${role}) does not exist in warehouse table ${table}`;
/**
 * Event conditions compare the events timestamp with bound TIMESTAMP values; a column of another
 * type (ISO text, epoch numbers) passes a plan and then fails every compute with the warehouse's
 * binder error, so the catalog check refuses it with the way out.
 */
export const eventsTimestampTypeMessage = (table: string, column: string, type: string) =>
  `The events timestamp column ${column} of ${table} (Data Graph events) is ${type}, not a date or time: event conditions compare it with timestamps. ` +
  `Store it as TIMESTAMP or DATE (on Snowflake TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ or DATE), or point events.table at a view that casts it, e.g. CAST(${column} AS TIMESTAMP) AS ${column}.`;

/**
 * Ids go out as text (userId, entity ids): a floating-point or decimal id has no one spelling
 * (DuckDB writes a DOUBLE 1 as "1.0", Snowflake as "1"; a DECIMAL(10,2) as "1.00"), and a date or
 * boolean is no id at all.
 */
export const idTypeMessage = (table: string, column: string, type: string, role: string) =>
  `The ${role} ${column} of ${table} is ${type}: ids go out as text, so they must be text or integers (a ${type} id has no one spelling as text). ` +
  `Store it as text or an integer, or point the table at a view that casts it, e.g. CAST(${column} AS BIGINT) AS ${column}.`;

export interface CatalogCheckOptions {
  /** Check only these audiences (and their emitters); default every audience. The graph is always checked. */
  audiences?: readonly string[];
  /** Look for duplicate primary keys: one aggregate per table; default true. */
  duplicateKeys?: boolean;
}

/** One column the Data Graph needs from the warehouse, and why. */
interface Requirement {
  table: string;
  column: string;
  /** Shown in messages: "profile trait", "entity account primary key"... */
  role: string;
  attribute: string;
  /** Set for join keys: the relationship whose join uses the column. */
  joinOf?: string;
  /** Set where the compiled SQL compares the column with timestamps: it must be a date or time. */
  temporal?: true;
  /** Set for the profile id and entity primary keys: events carry them as text, so they must be text or integers. */
  id?: true;
}

interface TableUse {
  table: string;
  role: string;
  attribute: string;
}

/** The tables and columns a Data Graph names (and classic audiences, when given). */
function graphRequirements(graph: DataGraph, classic: Desired['classicAudiences'] = []): { tables: TableUse[]; columns: Requirement[] } {
  const tables: TableUse[] = [];
  const columns: Requirement[] = [];
  const index = new GraphIndex(graph);
  const p = graph.profile;
  tables.push({ table: p.table, role: 'Data Graph profile', attribute: 'profile.table' });
  columns.push({ table: p.table, column: p.id, role: 'profile id', attribute: 'profile.id', id: true });
  p.traits.forEach((t, i) => columns.push({ table: p.table, column: t, role: 'profile trait', attribute: `profile.traits[${i}]` }));
  p.identifiers.forEach((t, i) => columns.push({ table: p.table, column: t, role: 'profile identifier', attribute: `profile.identifiers[${i}]` }));
  if (graph.events) {
    const e = graph.events;
    tables.push({ table: e.table, role: 'Data Graph events', attribute: 'events.table' });
    for (const key of ['profileKey', 'name', 'timestamp', 'properties'] as const) {
      columns.push({ table: e.table, column: e[key], role: `events ${key}`, attribute: `events.${key}`, ...(key === 'timestamp' ? { temporal: true as const } : {}) });
    }
  }
  graph.entities.forEach((e, i) => {
    tables.push({ table: e.table, role: `entity ${e.slug}`, attribute: `entities[${i}].table` });
    columns.push({ table: e.table, column: e.primaryKey, role: `entity ${e.slug} primary key`, attribute: `entities[${i}].primaryKey`, id: true });
    (e.columns ?? []).forEach((c, j) => columns.push({ table: e.table, column: c, role: `entity ${e.slug} column`, attribute: `entities[${i}].columns[${j}]` }));
  });
  graph.relationships.forEach((r, i) => {
    const at = `relationships[${i}].join`;
    const entity = index.entities.get(r.entity);
    const parentEntity = r.parent === null ? undefined : index.entityOf(r.parent);
    const join = r.join;
    const key = (table: string | undefined, column: string, attribute: string) => {
      if (table) columns.push({ table, column, role: `join key of relationship ${r.slug}`, attribute: `${at}.${attribute}`, joinOf: r.slug });
    };
    if (join.type === 'profile') {
      key(p.table, join.profileColumn, 'profileColumn');
      key(entity?.table, join.entityColumn, 'entityColumn');
    } else if (join.type === 'entity') {
      key(parentEntity?.table, join.parentColumn, 'parentColumn');
      key(entity?.table, join.entityColumn, 'entityColumn');
    } else {
      tables.push({ table: join.table, role: `junction of relationship ${r.slug}`, attribute: `${at}.table` });
      for (const column of keyColumns(join.primaryKey)) columns.push({ table: join.table, column, role: `junction ${join.table} primary key`, attribute: `${at}.primaryKey` });
      key(parentEntity?.table, join.parentColumn, 'parentColumn');
      key(join.table, join.junctionParentColumn, 'junctionParentColumn');
      key(join.table, join.junctionEntityColumn, 'junctionEntityColumn');
      key(entity?.table, join.entityColumn, 'entityColumn');
      (join.columns ?? []).forEach((c, j) => columns.push({ table: join.table, column: c, role: `junction ${join.table} column`, attribute: `${at}.columns[${j}]` }));
    }
  });
  classic.forEach((c) => {
    tables.push({ table: c.table, role: `classic audience ${c.key}`, attribute: `classic_audience.${c.key}.table` });
    columns.push({ table: c.table, column: c.profileIdColumn, role: `classic audience ${c.key} profile id`, attribute: `classic_audience.${c.key}.profileIdColumn` });
  });
  return { tables, columns };
}

/** Describes each table once per check: a catalog query per table, not per column. */
class CatalogCache {
  private readonly tables = new Map<string, Promise<CatalogTable | undefined>>();
  constructor(private readonly wh: Warehouse) {}
  table(ref: string): Promise<CatalogTable | undefined> {
    let t = this.tables.get(ref);
    if (!t) {
      t = this.wh.describeTable(ref);
      this.tables.set(ref, t);
    }
    return t;
  }
  async column(ref: string, name: string): Promise<CatalogColumn | undefined> {
    return this.find(await this.table(ref), name);
  }
  /**
   * The column as the compiled SQL will name it. Every identifier is quoted, so on Snowflake a
   * name matches only in its exact case; DuckDB matches quoted names in any case.
   */
  find(t: CatalogTable | undefined, name: string): CatalogColumn | undefined {
    return this.wh.dialect === 'snowflake' ? t?.columns.find((c) => c.name === name) : findColumn(t, name);
  }
  /** On Snowflake, a missing table found under another case (unquoted DDL stores names upper case). */
  async tableInOtherCase(ref: string): Promise<string | undefined> {
    if (this.wh.dialect !== 'snowflake') return undefined;
    for (const other of [ref.toUpperCase(), ref.toLowerCase()]) if (other !== ref && (await this.table(other))) return other;
    return undefined;
  }
  /**
   * The hint for a table that does not exist: its spelling in another case (Snowflake), else the
   * closest table the warehouse has, written as the reference was.
   */
  async missingTableHint(ref: string): Promise<string | undefined> {
    const other = await this.tableInOtherCase(ref);
    if (other) return caseHint('table', ref, other);
    // Only a hint: a catalog the role may not list (another database) leaves the finding without one.
    const names = await this.wh.tableNames(ref).catch(() => []);
    return didYouMean(ref, names).trim() || undefined;
  }
  /** On Snowflake, a missing column found under another case. */
  columnInOtherCase(t: CatalogTable | undefined, name: string): string | undefined {
    if (this.wh.dialect !== 'snowflake') return undefined;
    return findColumn(t, name)?.name;
  }
}

/** The fix for a name that exists only in another case on Snowflake. */
const caseHint = (kind: 'table' | 'column', written: string, exists: string) =>
  `The ${kind} exists as ${exists}: Snowflake keeps the case a name was created with (unquoted names are stored upper case) and linked-audiences quotes every name, so write '${exists}' instead of '${written}'.`;

/** The hint for a missing column: its spelling in another case (Snowflake), else "did you mean". */
const missingColumnHint = (cache: CatalogCache, t: CatalogTable | undefined, column: string) => {
  const other = cache.columnInOtherCase(t, column);
  return other ? caseHint('column', column, other) : columnHint(t, column);
};

/** DuckDB matches names case-insensitively; the adapter reports the catalog's spelling. */
function findColumn(t: CatalogTable | undefined, name: string): CatalogColumn | undefined {
  if (!t) return undefined;
  return t.columns.find((c) => c.name === name) ?? t.columns.find((c) => c.name.toLowerCase() === name.toLowerCase() && t.columns.filter((x) => x.name.toLowerCase() === name.toLowerCase()).length === 1);
}

const err = (code: string, message: string, resource: string, attribute?: string, hint?: string): Diagnostic => ({
  severity: 'error',
  code,
  message,
  resource,
  ...(attribute === undefined ? {} : { attribute }),
  ...(hint ? { hint } : {}),
});

/** "Did you mean" over the columns the warehouse has in that table; without a close one, the columns it has. */
const columnHint = (t: CatalogTable | undefined, column: string) => {
  const names = t?.columns.map((c) => c.name) ?? [];
  return (didYouMean(column, names) || (names.length ? knownNames(names) : '')).trim();
};

/** Checks the graph's tables, columns and join keys; reports per resource with the seed's words for join keys. */
async function checkGraphCatalog(desired: ModelResources, cache: CatalogCache, out: Diagnostic[]): Promise<void> {
  const graphAt = resourceAddress('data_graph', desired.graph.key);
  const { tables, columns } = graphRequirements(desired.graph, desired.classicAudiences);
  const classicAt = (attribute: string) => {
    const m = /^classic_audience\.([^.]+)\.(.*)$/.exec(attribute);
    return m ? { resource: resourceAddress('classic_audience', m[1]), attribute: m[2] } : { resource: graphAt, attribute };
  };
  const missingTables = new Set<string>();
  for (const use of tables) {
    if (missingTables.has(use.table)) continue;
    if (!(await cache.table(use.table))) {
      missingTables.add(use.table);
      const where = classicAt(use.attribute);
      out.push(err('TABLE_MISSING', tableMissingMessage(use.table, use.role), where.resource, where.attribute, await cache.missingTableHint(use.table)));
    }
  }
  const reported = new Set<string>();
  for (const req of columns) {
    if (missingTables.has(req.table)) continue;
    const where = classicAt(req.attribute);
    const col = await cache.column(req.table, req.column);
    if (req.joinOf) {
      if (!col) {
        const hint = cache.columnInOtherCase(await cache.table(req.table), req.column);
        if (!reported.has(`missing:${req.joinOf}`)) out.push(err('JOIN_KEY_MISSING', GRAPH_ERRORS.joinKeyMissing(req.joinOf), where.resource, where.attribute, hint ? caseHint('column', req.column, hint) : undefined));
        reported.add(`missing:${req.joinOf}`);
      } else if (!keyAllowed(desired.graph, col.type)) {
        if (!reported.has(`type:${req.joinOf}`)) out.push(err('JOIN_KEY_TYPE', GRAPH_ERRORS.joinKeyType(req.joinOf), where.resource, where.attribute));
        reported.add(`type:${req.joinOf}`);
      }
      continue;
    }
    if (!col) out.push(err('WAREHOUSE_COLUMN_MISSING', columnMissingMessage(req.table, req.column, req.role), where.resource, where.attribute, missingColumnHint(cache, await cache.table(req.table), req.column)));
    else if (req.temporal && !isTemporal(col)) out.push(err('EVENTS_TIMESTAMP_TYPE', eventsTimestampTypeMessage(req.table, col.name, col.type), where.resource, where.attribute));
    else if (req.id && !keyKind(col.type)) out.push(err('ID_TYPE', idTypeMessage(req.table, col.name, col.type, req.role), where.resource, where.attribute));
  }
  await warnCastJoins(desired.graph, graphAt, cache, reported, out);
}

/** Whether a join key column of this type can key a relationship of `graph`. */
const keyAllowed = (graph: DataGraph, type: string): boolean => {
  const kind = keyKind(type);
  return graph.joinKeys === 'string-only' ? kind === 'string' : kind !== undefined;
};

/**
 * A relationship joining an integer to a string key works on a cast; say what it costs. The
 * events' profile key and the profile id are compared the same way; of any other two kinds (a
 * floating-point or date key beside text) they cannot be compared, and every event condition
 * would fail in the warehouse.
 */
async function warnCastJoins(graph: DataGraph, at: string, cache: CatalogCache, reported: ReadonlySet<string>, out: Diagnostic[]): Promise<void> {
  const types = new Map<string, string>();
  for (const req of [...graphRequirements(graph).columns, ...eventsKeys(graph)]) {
    const col = req.joinOf ? await cache.column(req.table, req.column) : undefined;
    if (col) types.set(`${req.table}\u0000${req.column}`, `${col.type}`);
  }
  const typeOf = (table: string, column: string) => types.get(`${table}\u0000${column}`);
  const events = eventsKeyFinding(graph, typeOf, at);
  if (events) out.push(events);
  for (const slug of castJoins(graph, typeOf)) {
    if (slug === EVENTS_JOIN) continue;
    if (reported.has(`type:${slug}`) || reported.has(`missing:${slug}`)) continue;
    const i = graph.relationships.findIndex((r) => r.slug === slug);
    out.push({
      severity: 'warning',
      code: 'JOIN_KEY_CAST',
      message: `Relationship ${slug} joins an integer key to a string key: the join compares both as text, which keeps the warehouse from pruning or using an index on the key. Give both sides one type (e.g. a view that casts) to avoid it.`,
      resource: at,
      attribute: `relationships[${i}].join`,
    });
  }
}

/**
 * The events' profile key beside the profile id when their types differ: an integer and a string
 * are compared as text (a warning), text and anything else (a floating-point number, a date...)
 * not at all (an error: every event condition would fail in the warehouse).
 */
function eventsKeyFinding(graph: DataGraph, typeOf: (table: string, column: string) => string | undefined, at: string): Diagnostic | undefined {
  const events = graph.events;
  const [eventsType, idType] = [events && typeOf(events.table, events.profileKey), typeOf(graph.profile.table, graph.profile.id)];
  if (!events || eventsType === undefined || idType === undefined) return undefined;
  const kinds = new Set([keyKind(eventsType), keyKind(idType)]);
  if (kinds.size === 1 || !kinds.has('string')) return undefined;
  const both = `The events profileKey ${events.table}.${events.profileKey} is ${eventsType} and the profile id ${graph.profile.table}.${graph.profile.id} is ${idType}`;
  if (kinds.has('integer')) {
    return {
      severity: 'warning',
      code: 'EVENTS_KEY_CAST',
      message: `${both}: event conditions compare both as text ("007" is not 7), which keeps the warehouse from pruning the events by the key. Give both one type (e.g. a view that casts) to avoid it.`,
      resource: at,
      attribute: 'events.profileKey',
    };
  }
  return err(
    'EVENTS_KEY_TYPE',
    `${both}: event conditions cannot compare them. Store the events' profile key as text or an integer, as the profile id is (or point events.table at a view that casts it).`,
    at,
    'events.profileKey',
  );
}

/** Tables whose declared primary key must be unique, with the key's columns and which rows have a key. */
function keyedTables(graph: DataGraph): { table: string; key: string[]; attribute: string; hasKey?: (columns: Expr[]) => Expr }[] {
  const out: ReturnType<typeof keyedTables> = [{ table: graph.profile.table, key: [graph.profile.id], attribute: 'profile.id', hasKey: hasProfileKey }];
  graph.entities.forEach((e, i) => out.push({ table: e.table, key: [e.primaryKey], attribute: `entities[${i}].primaryKey` }));
  graph.relationships.forEach((r, i) => {
    if (r.join.type === 'junction') out.push({ table: r.join.table, key: keyColumns(r.join.primaryKey), attribute: `relationships[${i}].join.primaryKey` });
  });
  return out;
}

/** The seed's "Duplicate records" error for each table whose primary key repeats, with one repeated key as its hint. */
async function checkDuplicateKeys(desired: ModelResources, wh: Warehouse, cache: CatalogCache, out: Diagnostic[]): Promise<void> {
  const at = resourceAddress('data_graph', desired.graph.key);
  const seen = new Set<string>();
  for (const { table, key, attribute, hasKey } of keyedTables(desired.graph)) {
    const id = [table, ...key].join('\u0000');
    if (seen.has(id)) continue;
    seen.add(id);
    const columns = await Promise.all(key.map((k) => cache.column(table, k)));
    if (columns.some((c) => !c)) continue; // reported as a missing column already
    const { rows } = await execute(wh, repeatedKeyQuery(table, columns.map((c) => c!.name), hasKey), { tag: 'linked-audiences:validate:graph' });
    // The key's columns in select order: Snowflake names them in upper case.
    const repeated = rows[0] && Object.values(rows[0]);
    if (!repeated) continue;
    out.push(err('DUPLICATE_PRIMARY_KEY', GRAPH_ERRORS.duplicateRecords(key.join(', ')), at, attribute, repeatedKeyText(table, key, repeated)));
  }
}

// ---- audiences --------------------------------------------------------------------------------

type Family = CatalogColumn['family'];
const TEMPORAL: readonly Family[] = ['date', 'timestamp'];

/** Whether a column holds dates or times, which the compiler compares with bound TIMESTAMP values. */
const isTemporal = (col: CatalogColumn) => TEMPORAL.includes(col.family);

/** Does a hand-typed literal fit a column of this family? Unknown families (json, other) accept anything. */
export function literalFits(family: Family, literal: unknown): boolean {
  switch (family) {
    case 'string':
      return typeof literal === 'string';
    case 'number':
      return typeof literal === 'number' || (typeof literal === 'string' && literal.trim() !== '' && Number.isFinite(Number(literal)));
    case 'boolean':
      return typeof literal === 'boolean';
    case 'date':
    case 'timestamp':
      return typeof literal === 'string' && isIsoDate(literal);
    default:
      return true;
  }
}

/** Column families each operator applies to (the seed's "operators by type"); undefined: any. */
function operatorFamilies(operator: string): readonly Family[] | undefined {
  switch (operator) {
    case 'contains':
    case 'not_contains':
    case 'starts_with':
    case 'ends_with':
      return ['string'];
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return ['number', 'date', 'timestamp'];
    case 'before_date':
    case 'after_date':
    case 'within_last':
    case 'within_next':
      return TEMPORAL;
    default:
      return undefined;
  }
}

/** Families a value from another column may have to be compared with a column of `family`. */
const comparable = (a: Family, b: Family) => a === b || (TEMPORAL.includes(a) && TEMPORAL.includes(b)) || a === 'other' || b === 'other' || a === 'json' || b === 'json';

const showLiteral = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));

/**
 * The literal to write instead, where the column holds the same value in another type: booleans
 * or numbers kept as text (as exports from spreadsheets and CSV loaders leave them), booleans kept
 * as 1 and 0, a boolean written as text, or a date written as a number or words.
 */
function literalHint(family: Family, literal: unknown): string | undefined {
  if (family === 'string' && (typeof literal === 'boolean' || typeof literal === 'number')) {
    return `The column holds text: compare with the text it holds, e.g. "${String(literal)}" (oneOf lists several spellings), or point the table at a view that casts the column.`;
  }
  if (family === 'number' && typeof literal === 'boolean') {
    return `The column holds numbers: compare with ${literal ? 1 : 0} if it keeps booleans as 1 and 0.`;
  }
  if (family === 'boolean' && typeof literal === 'string' && /^(true|false)$/i.test(literal.trim())) {
    return `The column holds booleans: write the boolean itself, ${literal.trim().toLowerCase()}, not text.`;
  }
  if (TEMPORAL.includes(family) && (typeof literal === 'number' || typeof literal === 'string')) {
    // A date kept as a number (19980101) is the usual slip; its ISO form is the fix.
    const ymd = /^(\d{4})(\d{2})(\d{2})$/.exec(String(literal));
    const example = ymd ? `'${ymd[1]}-${ymd[2]}-${ymd[3]}'` : `'2026-12-01' or '2026-12-01T08:30:00Z'`;
    return `The column holds ${family === 'date' ? 'dates' : 'timestamps'}: compare with an ISO-8601 date or timestamp, e.g. ${example}; for a time relative to now, withinLast(days(n)).`;
  }
  return undefined;
}

interface AudienceWalk {
  desired: ModelResources;
  index: GraphIndex;
  cache: CatalogCache;
  at: string;
  out: Diagnostic[];
}

/** A column of a table as a condition refers to it; reports it missing and returns undefined. */
async function conditionColumn(w: AudienceWalk, table: string, column: string, role: string, attribute: string): Promise<CatalogColumn | undefined> {
  const t = await w.cache.table(table);
  if (!t) return undefined; // the graph check reports the table
  const col = w.cache.find(t, column);
  if (!col) w.out.push(err('WAREHOUSE_COLUMN_MISSING', columnMissingMessage(table, column, role), w.at, attribute, missingColumnHint(w.cache, t, column)));
  return col;
}

/** Operator and value of one comparison against the column's real type. */
async function checkComparison(
  w: AudienceWalk,
  subject: { table: string; column: CatalogColumn },
  c: { operator: string; value?: unknown },
  scopePath: string[],
  attribute: string,
): Promise<void> {
  const family = subject.column.family;
  const where = `${subject.table}.${subject.column.name} (${subject.column.type})`;
  const allowed = operatorFamilies(c.operator);
  if (allowed && family !== 'other' && family !== 'json' && !allowed.includes(family)) {
    w.out.push(err('OPERATOR_TYPE_MISMATCH', `Operator ${c.operator} does not apply to column ${where}: it needs a ${allowed.join(' or ')} column`, w.at, attribute));
    return;
  }
  if (c.value === undefined || c.operator === 'within_last' || c.operator === 'within_next') return;
  if (c.operator === 'before_date' || c.operator === 'after_date') return; // the model requires an ISO date
  const literals = Array.isArray(c.value) ? c.value : 'literal' in (c.value as object) ? [(c.value as { literal: unknown }).literal] : undefined;
  if (literals) {
    for (const literal of literals) {
      if (!literalFits(family, literal)) {
        // Written as a date but not in the calendar (1997-02-30): say which part is wrong.
        const problem = TEMPORAL.includes(family) && typeof literal === 'string' ? isoDateProblem(literal) : undefined;
        const message =
          typeof problem === 'object'
            ? `Value ${showLiteral(literal)} is not a valid ${problem.invalid} for column ${where}: ${problem.why}`
            : `Value ${showLiteral(literal)} does not match the type of column ${where}`;
        w.out.push(err('LITERAL_TYPE_MISMATCH', message, w.at, `${attribute}.value`, typeof problem === 'object' ? undefined : literalHint(family, literal)));
        return;
      }
    }
    return;
  }
  const operand = c.value as Exclude<Operand, { literal: unknown }>;
  let other: { table: string; column: CatalogColumn } | undefined;
  if ('trait' in operand) {
    const col = await conditionColumn(w, w.desired.graph.profile.table, operand.trait, 'profile trait', `${attribute}.value.trait`);
    if (col) other = { table: w.desired.graph.profile.table, column: col };
  } else if (scopePath.includes(operand.relationship)) {
    const entity = w.index.entityOf(operand.relationship);
    if (entity) {
      const col = await conditionColumn(w, entity.table, operand.column, `entity ${entity.slug} column`, `${attribute}.value.column`);
      if (col) other = { table: entity.table, column: col };
    }
  }
  if (other && !comparable(family, other.column.family)) {
    w.out.push(
      err(
        'OPERAND_TYPE_MISMATCH',
        `Column ${where} cannot be compared with ${other.table}.${other.column.name} (${other.column.type})`,
        w.at,
        `${attribute}.value`,
      ),
    );
  }
}

/** A column a condition compares, checked to exist, then its operator and value against its type. */
async function checkCompared(w: AudienceWalk, table: string, column: string, role: string, c: { operator: string; value?: unknown }, scope: string[], attribute: string, columnAttribute: string) {
  const col = await conditionColumn(w, table, column, role, columnAttribute);
  if (col) await checkComparison(w, { table, column: col }, c, scope, attribute);
}

async function checkAudience(desired: ModelResources, index: GraphIndex, cache: CatalogCache, audience: Audience, out: Diagnostic[]): Promise<void> {
  const w: AudienceWalk = { desired, index, cache, at: resourceAddress('audience', audience.key), out };
  const profileTable = desired.graph.profile.table;
  // The tree is walked first, the catalog read after, one check at a time: diagnostics keep the tree's order.
  const checks: (() => Promise<void>)[] = [];
  visitCondition(audience.condition, {
    trait: (c, site) => checks.push(() => checkCompared(w, profileTable, c.trait, 'profile trait', c, [], site.attribute, `${site.attribute}.trait`)),
    // An unknown relationship is a static error already; its filters have no table to check.
    entity: (c) => index.relationship(c.relationship) !== undefined,
    column: (c, site) => {
      const scope = site.entities.map((e) => e.relationship);
      const join = index.relationship(scope[scope.length - 1]!)?.join;
      if (c.junction) {
        // A relationship without a junction is a static error already (JUNCTION_MISSING).
        if (join?.type === 'junction') checks.push(() => checkCompared(w, join.table, c.column, `junction ${join.table} column`, c, scope, site.attribute, `${site.attribute}.column`));
        return;
      }
      const entity = index.entityOf(scope[scope.length - 1]);
      if (entity) checks.push(() => checkCompared(w, entity.table, c.column, `entity ${entity.slug} column`, c, scope, site.attribute, `${site.attribute}.column`));
    },
  });
  for (const check of checks) await check();
}

async function checkEnrichment(desired: ModelResources, index: GraphIndex, cache: CatalogCache, audiences: Set<string>, out: Diagnostic[]): Promise<void> {
  for (const emitter of desired.emitters) {
    if (!audiences.has(emitter.audience)) continue;
    const w: AudienceWalk = { desired, index, cache, at: resourceAddress('event_emitter', emitter.key), out };
    for (const [i, trait] of emitter.enrich.traits.entries()) {
      await conditionColumn(w, desired.graph.profile.table, trait, 'enrichment trait', `enrich.traits[${i}]`);
    }
    for (const [i, e] of emitter.enrich.entities.entries()) {
      const entity = index.entityOf(e.relationship);
      if (!entity) continue;
      for (const [j, column] of e.columns.entries()) {
        await conditionColumn(w, entity.table, column, `enrichment column of ${entity.slug}`, `enrich.entities[${i}].columns[${j}]`);
      }
      // A relationship without a junction is a static error already (JUNCTION_MISSING).
      const join = index.relationship(e.relationship)?.join;
      if (join?.type !== 'junction') continue;
      for (const [j, column] of (e.junctionColumns ?? []).entries()) {
        await conditionColumn(w, join.table, column, `enrichment junction ${join.table} column`, `enrich.entities[${i}].junctionColumns[${j}]`);
      }
    }
  }
}

/**
 * Checks the Data Graph and the audiences against the warehouse catalog: tables and columns that
 * do not exist, join keys that are missing or not strings, an events timestamp that is not a date
 * or time, literals and operators that do not fit a column's type, duplicate primary keys. Never
 * throws for a finding: each is a Diagnostic.
 */
export async function checkCatalog(desired: ModelResources, wh: Warehouse, options: CatalogCheckOptions = {}): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const cache = new CatalogCache(wh);
  const index = new GraphIndex(desired.graph);
  await checkGraphCatalog(desired, cache, out);
  if (options.duplicateKeys ?? true) await checkDuplicateKeys(desired, wh, cache, out);
  const wanted = options.audiences ? new Set(options.audiences) : undefined;
  const audiences = desired.audiences.filter((a) => !wanted || wanted.has(a.key));
  for (const audience of audiences) await checkAudience(desired, index, cache, audience, out);
  await checkEnrichment(desired, index, cache, new Set(audiences.map((a) => a.key)), out);
  return out;
}

// ---- drift ------------------------------------------------------------------------------------

/** The shape of the graph's tables as last seen: table → column → the warehouse's type. */
export type CatalogSnapshot = Record<string, Record<string, string>>;

/** Records the types of every column the graph uses, for a later `diffCatalog` (e.g. at apply). */
export async function snapshotCatalog(graph: DataGraph, wh: Warehouse, classic: Desired['classicAudiences'] = []): Promise<CatalogSnapshot> {
  const cache = new CatalogCache(wh);
  const { columns } = graphRequirements(graph, classic);
  const out: CatalogSnapshot = {};
  for (const req of columns) {
    const col = await cache.column(req.table, req.column);
    if (col) (out[req.table] ??= {})[req.column] = col.type;
  }
  return out;
}

/**
 * Whether a column's type is not the one a snapshot recorded. Snapshots taken before the Snowflake
 * adapter read a NUMBER's precision and scale say NUMBER for each: one stands for any of them, or
 * every NUMBER column of an applied graph would drift on the upgrade.
 */
function typeChanged(before: string, now: string): boolean {
  return before !== now && !(before === 'NUMBER' && /^NUMBER\(\d+,\d+\)$/.test(now));
}

/**
 * Warehouse drift under an applied Data Graph: tables and columns it uses that were dropped, join
 * keys that are no longer strings, an events timestamp that is not a date or time, and (given the
 * snapshot taken at apply) columns whose type changed. Codes start with DRIFT_ so `linked drift`
 * can tell them from plan-time findings.
 */
export async function diffCatalog(
  applied: Desired['graph'],
  wh: Warehouse,
  previous?: CatalogSnapshot,
  classic: Desired['classicAudiences'] = [],
): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const at = resourceAddress('data_graph', applied.key);
  const cache = new CatalogCache(wh);
  const { tables, columns } = graphRequirements(applied, classic);
  const dropped = new Set<string>();
  for (const use of tables) {
    if (dropped.has(use.table) || (await cache.table(use.table))) continue;
    dropped.add(use.table);
    out.push(err('DRIFT_TABLE_DROPPED', `Table ${use.table} (${use.role}) no longer exists in the warehouse`, at, use.attribute));
  }
  const seen = new Set<string>();
  for (const req of columns) {
    if (dropped.has(req.table) || seen.has(`${req.table}\u0000${req.column}`)) continue;
    seen.add(`${req.table}\u0000${req.column}`);
    const col = await cache.column(req.table, req.column);
    if (!col) {
      out.push(err('DRIFT_COLUMN_DROPPED', `Column ${req.column} (${req.role}) no longer exists in warehouse table ${req.table}`, at, req.attribute));
      continue;
    }
    const before = previous?.[req.table]?.[req.column];
    if (before !== undefined && typeChanged(before, col.type)) {
      out.push(err('DRIFT_TYPE_CHANGED', `Column ${req.table}.${req.column} (${req.role}) changed type from ${before} to ${col.type}`, at, req.attribute));
    }
    if (req.joinOf && !keyAllowed(applied, col.type)) out.push(err('DRIFT_JOIN_KEY_TYPE', GRAPH_ERRORS.joinKeyType(req.joinOf), at, req.attribute));
    if (req.temporal && !isTemporal(col)) out.push(err('DRIFT_EVENTS_TIMESTAMP_TYPE', eventsTimestampTypeMessage(req.table, col.name, col.type), at, req.attribute));
  }
  return out;
}
