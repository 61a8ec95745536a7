/*
 * A seeded, reproducible generator of differential cases: a random Data Graph (depth up to its
 * limit, one-to-many and junction relationships), rows with NULLs, duplicate values, dangling keys
 * and hostile strings (quotes, semicolons, comment markers, unicode) in values and in schema,
 * table and column names, other audiences (classic tables, a linked snapshot, a linked audience
 * compiled inline) and a random condition tree using every condition kind and operator.
 */
import type { Scalar } from '../../src/model/common.js';
import type { Comparison, Condition, Count, EntityPredicate, EventCondition, Operand, PropertyFilter } from '../../src/model/condition.js';
import type { DataGraph, Relationship } from '../../src/model/graph.js';
import { quoteTable } from '../../src/dialect/identifiers.js';
import type { Cell, ColumnType, Row, TableData, World } from './world.js';

export interface Rng {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast and good enough to drive a fuzzer reproducibly. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
  };
}

/** Strings that would break naive SQL, plus plain ones so equality finds matches. */
export const HOSTILE_STRINGS = [
  'a',
  'abc',
  'A',
  "O'Brien",
  "x'; DROP TABLE t; --",
  'semi;colon',
  '-- comment',
  '/* block */',
  '"dq"',
  'é',
  'naïve café',
  '😀 emoji',
  '',
  'ab',
  '%_like',
  '\\back',
];
const NAME_SUFFIXES = ['', ' "q"', ';--', ' é', '/*x*/', ' 😀', "'s"];
const DOUBLES = [0, 1.5, 2, 2.5, 7, 10, -1, 100.25];
const EVENT_NAMES = ['Login', 'Payment Made', "it's; --x", 'é😀'];
const TIME_UNITS = ['minutes', 'hours', 'days'] as const;

type ValueKind = Exclude<ColumnType, 'JSON'>;
const VALUE_KINDS: { prefix: string; type: ValueKind }[] = [
  { prefix: 's', type: 'VARCHAR' },
  { prefix: 'i', type: 'INTEGER' },
  { prefix: 'n', type: 'DOUBLE' },
  { prefix: 'b', type: 'BOOLEAN' },
  { prefix: 'd', type: 'DATE' },
  { prefix: 't', type: 'TIMESTAMP' },
];

const pad = (n: number) => String(n).padStart(2, '0');
const dateText = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const timestampText = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const DAY = 86_400_000;

interface Column {
  name: string;
  type: ColumnType;
}

/** What the condition generator may compare with: typed columns by relationship, and traits. */
interface Schema {
  traits: Column[];
  columns: Map<string, Column[]>;
  /** Columns of the junction row of a many-to-many relationship, for `junction: true` filters. */
  junctionColumns: Map<string, Column[]>;
  children: Map<string | null, Relationship[]>;
}

export interface GeneratedCase {
  seed: number;
  world: World;
  condition: Condition;
  /** Every relationship path of the graph: entity matches are checked for each. */
  paths: string[][];
  /**
   * A second condition in the shape compute evaluates with one query (compileMembershipMatches):
   * other conditions AND a chain of "at least 1" entity conditions along one path. Undefined
   * when the graph has no relationship.
   */
  chained?: Condition;
}

export function generateCase(seed: number): GeneratedCase {
  const r = rng(seed);
  const now = new Date(Date.UTC(2026, 10, 28, 12, 0, 0) + r.int(0, 86_399) * 1000);
  const schemaName = r.chance(0.5) ? `c${seed}` : `c${seed} "sch;--é`;
  const ref = (name: string) => `${schemaName}.${name}`;
  const tables: TableData[] = [];
  const linkRng = rng(seed ^ 0x11d5);
  const value = (type: ColumnType, from: Rng = r): Cell => {
    if (from.chance(0.2)) return null;
    switch (type) {
      case 'VARCHAR':
        return from.pick(HOSTILE_STRINGS);
      case 'INTEGER':
        return from.int(-3, 12);
      case 'DOUBLE':
        return from.pick(DOUBLES);
      case 'BOOLEAN':
        return from.chance(0.5);
      case 'DATE':
        return dateText(now.getTime() + from.int(-60, 60) * DAY);
      case 'TIMESTAMP':
        return timestampText(now.getTime() + from.int(-60, 60) * DAY + from.int(0, 86_399) * 1000);
      case 'JSON':
        return '{}';
    }
  };
  const valueColumns = (): Column[] =>
    VALUE_KINDS.filter(() => r.chance(0.8)).map((k) => ({ name: k.prefix + r.pick(NAME_SUFFIXES), type: k.type }));

  // ---- profile ----
  const idType: ColumnType = r.chance(0.5) ? 'VARCHAR' : 'INTEGER';
  const profileId = 'id' + r.pick(NAME_SUFFIXES);
  const ext = 'ext' + r.pick(NAME_SUFFIXES);
  const traits: Column[] = [...valueColumns(), { name: 's2' + r.pick(NAME_SUFFIXES), type: 'VARCHAR' }];
  const profileRows: Row[] = [];
  const nProfiles = r.int(4, 12);
  for (let i = 0; i < nProfiles; i++) {
    const row: Row = { [profileId]: idType === 'INTEGER' ? i + 1 : `u${i}${r.pick(['', "'", ';--', 'é', ' '])}` };
    row[ext] = r.chance(0.2) ? null : `x${r.int(0, 4)}`;
    for (const t of traits) row[t.name] = value(t.type);
    profileRows.push(row);
  }
  if (r.chance(0.3)) profileRows.push({ ...profileRows[0], [traits[0]?.name ?? ext]: value(traits[0]?.type ?? 'VARCHAR') });
  if (r.chance(0.3)) profileRows.push({ ...profileRows[1], [profileId]: null });
  const profileTable = ref('profiles' + r.pick(NAME_SUFFIXES));
  tables.push({ ref: profileTable, columns: [{ name: profileId, type: idType }, { name: ext, type: 'VARCHAR' }, ...traits], rows: profileRows });

  // ---- relationships ----
  const maxDepth = r.int(2, 6);
  const graph: DataGraph = {
    key: 'graph',
    maxDepth,
    preventDestroy: false,
    profile: { table: profileTable, id: profileId, traits: traits.map((t) => t.name), identifiers: [ext] },
    entities: [],
    relationships: [],
  };
  // A stack time zone on its own stream (the rest of the case stays what it was for this seed):
  // east and west of UTC, a half-hour offset, and zones whose daylight saving changes within the
  // generated dates.
  const zoneRng = rng(seed ^ 0x20e5);
  if (zoneRng.chance(0.4)) graph.timeZone = zoneRng.pick(['Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Adelaide', 'UTC']);
  const schema: Schema = { traits, columns: new Map(), junctionColumns: new Map(), children: new Map() };
  const depthOf = new Map<string, number>();
  const rowsOf = new Map<string, Row[]>();
  const pkOf = new Map<string, Column>();
  const nRels = r.int(1, 6);
  for (let i = 0; i < nRels; i++) {
    const slug = r.pick(['r', 'rel-', 'r_']) + i;
    const candidates = graph.relationships.filter((x) => depthOf.get(x.slug)! < maxDepth);
    // Mostly extend the deepest branch, so deep graphs (up to the limit of 6) are common.
    const parent = candidates.length > 0 && r.chance(0.8) ? candidates[candidates.length - 1 - (r.chance(0.7) ? 0 : r.int(0, candidates.length - 1))] : null;
    const pk: Column = { name: 'pk' + r.pick(NAME_SUFFIXES), type: r.chance(0.7) ? 'VARCHAR' : 'INTEGER' };
    const cols = valueColumns();
    const entityTable = ref(`t${i}${r.pick(NAME_SUFFIXES)}`);
    const nRows = r.int(0, 3 + (parent ? rowsOf.get(parent.slug)!.length : profileRows.length) * 2);
    const rows: Row[] = [];
    for (let k = 0; k < nRows; k++) {
      const row: Row = { [pk.name]: pk.type === 'INTEGER' ? k + 1 : `k${k}${r.pick(['', "'", ' -- ', 'é'])}` };
      for (const c of cols) row[c.name] = value(c.type);
      rows.push(row);
    }
    const columns: Column[] = [pk, ...cols];
    let join: Relationship['join'];
    // Keys of the parent side that children point at: duplicates, NULLs and dangling values included.
    const fkValues = (parentRows: Row[], column: string, type: ColumnType): Cell => {
      const roll = r.next();
      if (roll < 0.07) return null;
      if (roll < 0.14 || parentRows.length === 0) return type === 'INTEGER' ? 999 : 'dangling';
      return r.pick(parentRows)[column];
    };
    if (!parent) {
      const viaId = r.chance(0.6);
      const fk: Column = { name: 'fk' + r.pick(NAME_SUFFIXES), type: viaId ? idType : 'VARCHAR' };
      columns.push(fk);
      for (const row of rows) row[fk.name] = fkValues(profileRows, viaId ? profileId : ext, fk.type);
      join = viaId
        ? { type: 'profile', via: 'identifier', profileColumn: profileId, entityColumn: fk.name }
        : { type: 'profile', via: 'trait', profileColumn: ext, entityColumn: fk.name };
    } else {
      const parentRows = rowsOf.get(parent.slug)!;
      const parentPk = pkOf.get(parent.slug)!;
      if (r.chance(0.3)) {
        const junction = ref(`j${i}${r.pick(NAME_SUFFIXES)}`);
        const jRows: Row[] = [];
        // Columns of the link itself (a quantity, a role, a date), filtered with `junction: true`.
        // Drawn from their own stream, so the rest of the case stays what it was for this seed.
        const linkColumns: Column[] = [
          { name: 'jq' + linkRng.pick(NAME_SUFFIXES), type: 'INTEGER' },
          { name: 'js' + linkRng.pick(NAME_SUFFIXES), type: 'VARCHAR' },
          { name: 'jt', type: 'TIMESTAMP' },
        ];
        for (let k = r.int(0, parentRows.length * 2); k > 0; k--) {
          const jRow: Row = { jid: `j${k}`, jp: fkValues(parentRows, parentPk.name, parentPk.type), je: rows.length > 0 && r.chance(0.9) ? r.pick(rows)[pk.name] : null };
          for (const c of linkColumns) jRow[c.name] = value(c.type, linkRng);
          jRows.push(jRow);
        }
        tables.push({ ref: junction, columns: [{ name: 'jid', type: 'VARCHAR' }, { name: 'jp', type: parentPk.type }, { name: 'je', type: pk.type }, ...linkColumns], rows: jRows });
        schema.junctionColumns.set(slug, linkColumns);
        join = { type: 'junction', table: junction, primaryKey: 'jid', parentColumn: parentPk.name, junctionParentColumn: 'jp', junctionEntityColumn: 'je', entityColumn: pk.name };
      } else {
        // Usually the parent's primary key; sometimes a non-unique string column of the parent.
        const parentString = schema.columns.get(parent.slug)!.find((c) => c.type === 'VARCHAR' && c !== parentPk);
        const parentColumn = parentString && r.chance(0.3) ? parentString : parentPk;
        const fk: Column = { name: 'fk' + r.pick(NAME_SUFFIXES), type: parentColumn.type };
        columns.push(fk);
        for (const row of rows) row[fk.name] = fkValues(parentRows, parentColumn.name, parentColumn.type);
        join = { type: 'entity', parentColumn: parentColumn.name, entityColumn: fk.name };
      }
    }
    tables.push({ ref: entityTable, columns, rows });
    graph.entities.push({ slug: `ent${i}`, name: `Entity ${i}`, table: entityTable, primaryKey: pk.name });
    const rel: Relationship = { slug, name: `Relationship ${i}`, entity: `ent${i}`, parent: parent?.slug ?? null, join };
    graph.relationships.push(rel);
    depthOf.set(slug, (parent ? depthOf.get(parent.slug)! : 1) + 1);
    rowsOf.set(slug, rows);
    pkOf.set(slug, pk);
    schema.columns.set(slug, columns.filter((c) => c.name !== pk.name || c.type === 'VARCHAR'));
    schema.children.set(rel.parent, [...(schema.children.get(rel.parent) ?? []), rel]);
  }

  // ---- events ----
  const ev = { who: 'who' + r.pick(NAME_SUFFIXES), name: 'name' + r.pick(NAME_SUFFIXES), at: 'at' + r.pick(NAME_SUFFIXES), props: 'props' + r.pick(NAME_SUFFIXES) };
  const eventsTable = ref('events' + r.pick(NAME_SUFFIXES));
  const eventRows: Row[] = [];
  for (let k = r.int(0, 40); k > 0; k--) {
    const props: Record<string, unknown> = {};
    if (r.chance(0.7)) props.amount = r.chance(0.1) ? null : r.pick(DOUBLES);
    if (r.chance(0.7)) props.method = r.pick([...HOSTILE_STRINGS, '7', '12.5']);
    if (r.chance(0.5)) props.when = timestampText(now.getTime() + r.int(-30, 30) * DAY);
    if (r.chance(0.5)) props.flag = r.chance(0.5);
    if (r.chance(0.4)) props.nested = { k: r.int(0, 5) };
    if (r.chance(0.3)) props['odd"key; é'] = r.pick(HOSTILE_STRINGS);
    eventRows.push({
      [ev.who]: r.chance(0.1) ? null : r.chance(0.9) ? r.pick(profileRows)[profileId] : idType === 'INTEGER' ? 999 : 'nobody',
      [ev.name]: r.pick(EVENT_NAMES),
      [ev.at]: r.chance(0.05) ? null : timestampText(now.getTime() + r.int(-100, 10) * DAY + r.int(0, 86_399) * 1000),
      [ev.props]: r.chance(0.05) ? null : JSON.stringify(props),
    });
  }
  tables.push({
    ref: eventsTable,
    columns: [
      { name: ev.who, type: idType },
      { name: ev.name, type: 'VARCHAR' },
      { name: ev.at, type: 'TIMESTAMP' },
      { name: ev.props, type: 'JSON' },
    ],
    rows: eventRows,
  });
  graph.events = { table: eventsTable, profileKey: ev.who, name: ev.name, timestamp: ev.at, properties: ev.props };

  // ---- other audiences ----
  const ids = profileRows.map((p) => p[profileId]).filter((x) => x !== null);
  const classicAudiences = [0, 1].map((k) => {
    const column = 'uid' + r.pick(NAME_SUFFIXES);
    const table = ref(`classic${k}${r.pick(NAME_SUFFIXES)}`);
    const rows: Row[] = ids.filter(() => r.chance(0.4)).map((id) => ({ [column]: id }));
    if (r.chance(0.3)) rows.push({ [column]: null });
    if (r.chance(0.3) && rows.length > 0) rows.push({ ...rows[0] });
    tables.push({ ref: table, columns: [{ name: column, type: idType }], rows });
    return { key: `classic-${k}`, name: '', table, profileIdColumn: column, preventDestroy: false };
  });
  const snapshotRef = ref('snapshots' + r.pick(NAME_SUFFIXES));
  const snapshotRows: Row[] = [];
  for (const id of ids) {
    if (r.chance(0.4)) snapshotRows.push({ audience_key: 'snap-aud', profile_id: String(id) });
    if (r.chance(0.4)) snapshotRows.push({ audience_key: 'other-aud', profile_id: String(id) });
  }
  tables.push({ ref: snapshotRef, columns: [{ name: 'audience_key', type: 'VARCHAR' }, { name: 'profile_id', type: 'VARCHAR' }], rows: snapshotRows });

  const world: World = {
    graph,
    tables,
    classicAudiences,
    linked: { 'snap-aud': { kind: 'snapshot', table: { schema: snapshotRef.split('.')[0], name: snapshotRef.split('.')[1] }, audienceKey: 'snap-aud' } },
    now,
  };
  const gen = new ConditionGenerator(r, schema, world, seed ^ 0x1a2b);
  world.linked['inline-aud'] = { kind: 'inline', condition: gen.condition(2, false) };
  const condition = gen.condition(r.int(1, 4), true);

  const paths = graph.relationships.map((rel) => {
    const path: string[] = [];
    for (let cur: Relationship | undefined = rel; cur; cur = graph.relationships.find((x) => x.slug === cur!.parent)) path.unshift(cur.slug);
    return path;
  });
  // Its own random stream, so the main case stays what it was for this seed.
  const chained = new ConditionGenerator(rng(seed ^ 0x5eed), schema, world, seed ^ 0x2b3c).chained(paths);
  return { seed, world, condition, paths, chained };
}

/** Random condition trees over one generated schema; literals are drawn so that they often match. */
export class ConditionGenerator {
  /** Its own stream for choosing junction columns, so the other choices stay what they were for a seed. */
  private readonly linkRng: Rng;
  constructor(
    private readonly r: Rng,
    private readonly schema: Schema,
    private readonly world: World,
    linkSeed = 0x1a2b,
  ) {
    this.linkRng = rng(linkSeed);
  }

  condition(depth: number, linked: boolean): Condition {
    const r = this.r;
    const roll = r.next();
    if (depth > 0 && roll < 0.25) {
      const conditions = Array.from({ length: r.int(1, 3) }, () => this.condition(depth - 1, linked));
      return { kind: r.chance(0.5) ? 'and' : 'or', conditions };
    }
    if (depth > 0 && roll < 0.35) return { kind: 'not', condition: this.condition(depth - 1, linked) };
    if (roll < 0.55) {
      const t = r.pick(this.schema.traits);
      return { kind: 'trait', trait: t.name, ...this.comparison(t.type, this.traitOperands(t.type)) };
    }
    const top = this.schema.children.get(null) ?? [];
    if (roll < 0.78 && top.length > 0) return this.entity(r.pick(top), [], depth + 2);
    if (roll < 0.93) return this.event();
    const source = linked && r.chance(0.5) ? 'linked' : 'classic';
    const audience = source === 'linked' ? r.pick(['snap-aud', 'inline-aud']) : r.pick(['classic-0', 'classic-1']);
    return { kind: 'audience', audience, source, negate: r.chance(0.4) };
  }

  /** Other conditions AND a chain of "at least 1" entity conditions along one of `paths`. */
  chained(paths: string[][]): Condition | undefined {
    const r = this.r;
    if (paths.length === 0) return undefined;
    const path = r.pick(paths);
    const rel = (level: number) => (this.schema.children.get(level === 0 ? null : path[level - 1]!) ?? []).find((x) => x.slug === path[level])!;
    const last = path.length - 1;
    let where: EntityPredicate | undefined = r.chance(0.8) ? this.predicate(rel(last), path, 1) : undefined;
    let chain!: Extract<EntityPredicate, { kind: 'entity' }>;
    for (let level = last; level >= 0; level--) {
      chain = { kind: 'entity', relationship: path[level]!, count: { op: 'at_least', value: 1 }, ...(where ? { where } : {}) };
      if (level === 0) break;
      // The parent level's where holds the chain alone or beside a condition of its own.
      const own = this.predicate(rel(level - 1), path.slice(0, level), 1);
      where = r.chance(0.5) ? chain : { kind: 'and', conditions: r.chance(0.5) ? [chain, own] : [own, chain] };
    }
    const others = Array.from({ length: r.int(0, 2) }, () => this.condition(2, true));
    return others.length === 0 ? chain : { kind: 'and', conditions: [...others, chain] };
  }

  count(): Count {
    const r = this.r;
    return { op: r.pick(['at_least', 'at_least', 'exactly', 'at_most'] as const), value: r.pick([0, 1, 1, 1, 2, 3]) };
  }

  private entity(rel: Relationship, ancestors: string[], depth: number): Extract<EntityPredicate, { kind: 'entity' }> {
    const branch = [...ancestors, rel.slug];
    const where = this.r.chance(0.8) ? this.predicate(rel, branch, depth) : undefined;
    return { kind: 'entity', relationship: rel.slug, count: this.count(), ...(where ? { where } : {}) };
  }

  private predicate(rel: Relationship, branch: string[], depth: number): EntityPredicate {
    const r = this.r;
    const roll = r.next();
    const children = this.schema.children.get(rel.slug) ?? [];
    // Nesting along the graph is bounded by its depth, so it does not spend the and/or budget.
    if (roll < 0.4 && children.length > 0) return this.entity(r.pick(children), branch, Math.max(depth - 1, 1));
    if (depth > 0 && roll < 0.55) {
      return { kind: r.chance(0.5) ? 'and' : 'or', conditions: Array.from({ length: r.int(1, 3) }, () => this.predicate(rel, branch, depth - 1)) };
    }
    if (depth > 0 && roll < 0.65) return { kind: 'not', condition: this.predicate(rel, branch, depth - 1) };
    const entityColumn = r.pick(this.schema.columns.get(rel.slug)!);
    const operandsFor = (type: ColumnType) => {
      const operands: { operand: Operand; type: ColumnType }[] = [...this.traitOperands(type)];
      for (const slug of branch) {
        for (const other of this.schema.columns.get(slug)!) {
          if (compatible(type, other.type)) operands.push({ operand: { relationship: slug, column: other.name }, type: other.type });
        }
      }
      return operands;
    };
    // A filter on the junction row draws from its own stream, leaving the main one as it was.
    const links = this.schema.junctionColumns.get(rel.slug);
    if (links !== undefined && this.linkRng.chance(0.35)) {
      const link = this.linkRng.pick(links);
      const onLink = new ConditionGenerator(this.linkRng, this.schema, this.world, this.linkRng.int(0, 1 << 30));
      this.comparison(entityColumn.type, operandsFor(entityColumn.type)); // spent as before, so the main stream does not shift
      return { kind: 'column', column: link.name, junction: true, ...onLink.comparison(link.type, operandsFor(link.type)) };
    }
    return { kind: 'column', column: entityColumn.name, ...this.comparison(entityColumn.type, operandsFor(entityColumn.type)) };
  }

  private traitOperands(type: ColumnType) {
    return this.schema.traits.filter((t) => compatible(type, t.type)).map((t) => ({ operand: { trait: t.name } as Operand, type: t.type }));
  }

  /** A comparison for a column of `type`: a literal of that type, or a compatible column operand. */
  comparison(type: ColumnType, operands: { operand: Operand; type: ColumnType }[]): Comparison {
    const r = this.r;
    const useOperand = operands.length > 0 && r.chance(0.3);
    const operand = (lit: () => Scalar): Operand => (useOperand ? r.pick(operands).operand : { literal: lit() });
    const presence = (): Comparison => ({ operator: r.pick(['exists', 'not_exists'] as const) });
    if (r.chance(0.1)) return presence();
    switch (type) {
      case 'VARCHAR': {
        const op = r.pick(['equals', 'not_equals', 'contains', 'not_contains', 'starts_with', 'ends_with', 'one_of', 'none_of'] as const);
        const s = () => {
          const base = r.pick(HOSTILE_STRINGS);
          // A prefix by code points: slicing UTF-16 units could split an emoji into a lone surrogate.
          const chars = [...base];
          return r.chance(0.3) ? chars.slice(0, r.int(0, chars.length)).join('') : base;
        };
        if (op === 'one_of' || op === 'none_of') return { operator: op, value: Array.from({ length: r.int(1, 3) }, s) };
        const value = operand(s) as { literal: string };
        return { operator: op, value };
      }
      case 'INTEGER':
      case 'DOUBLE': {
        const op = r.pick(['equals', 'not_equals', 'lt', 'lte', 'gt', 'gte', 'one_of', 'none_of'] as const);
        const n = () => (r.chance(0.5) ? r.int(-3, 12) : r.pick(DOUBLES));
        if (op === 'one_of' || op === 'none_of') return { operator: op, value: Array.from({ length: r.int(1, 3) }, n) };
        return { operator: op, value: operand(n) as { literal: number } };
      }
      case 'BOOLEAN': {
        const op = r.pick(['equals', 'not_equals', 'one_of', 'none_of'] as const);
        if (op === 'one_of' || op === 'none_of') return { operator: op, value: [r.chance(0.5)] };
        return { operator: op, value: { literal: r.chance(0.5) } };
      }
      default: {
        const now = this.world.now.getTime();
        const at = () => now + r.int(-60, 60) * DAY + (type === 'TIMESTAMP' ? r.int(0, 86_399) * 1000 : 0);
        const iso = () => isoLiteral(r, at());
        const op = r.pick(['equals', 'not_equals', 'lt', 'lte', 'gt', 'gte', 'before_date', 'after_date', 'within_last', 'within_next', 'one_of'] as const);
        switch (op) {
          case 'equals':
          case 'not_equals': {
            // Equality with a literal in the column's own format (see docs/conditions.md).
            const own = () => (type === 'DATE' ? dateText(at()) : timestampText(at()));
            return { operator: op, value: operand(own) };
          }
          case 'one_of':
            return { operator: op, value: [type === 'DATE' ? dateText(at()) : timestampText(at())] };
          case 'before_date':
          case 'after_date':
            return { operator: op, value: iso() };
          case 'within_last':
          case 'within_next':
            return { operator: op, value: { amount: r.int(1, 60), unit: r.pick(TIME_UNITS) } };
          default:
            return { operator: op, value: operand(iso) as { literal: string } };
        }
      }
    }
  }

  event(): EventCondition {
    const r = this.r;
    const now = this.world.now.getTime();
    const where: PropertyFilter[] = Array.from({ length: r.int(0, 3) }, () => this.propertyFilter());
    const windowRoll = r.next();
    const window =
      windowRoll < 0.3
        ? undefined
        : windowRoll < 0.75
          ? { type: 'within' as const, amount: r.int(1, 90), unit: r.pick(TIME_UNITS) }
          : { type: 'between' as const, from: isoLiteral(r, now - r.int(30, 120) * DAY), to: isoLiteral(r, now - r.int(0, 29) * DAY) };
    return { kind: 'event', name: r.pick(EVENT_NAMES), where, count: this.count(), ...(window ? { window } : {}) };
  }

  private propertyFilter(): PropertyFilter {
    const r = this.r;
    const property = r.pick(['amount', 'method', 'when', 'flag', 'nested.k', 'odd"key; é', 'missing']);
    const numeric = property === 'amount' || property === 'nested.k' || (property === 'missing' && r.chance(0.5));
    if (property === 'flag') {
      return r.chance(0.8)
        ? { property, operator: r.pick(['equals', 'not_equals'] as const), value: { literal: r.chance(0.5) } }
        : { property, operator: 'one_of', value: [true] };
    }
    if (property === 'when') return { property, ...this.comparison('TIMESTAMP', []) } as PropertyFilter;
    return { property, ...this.comparison(numeric ? 'DOUBLE' : 'VARCHAR', []) } as PropertyFilter;
  }
}

function compatible(a: ColumnType, b: ColumnType): boolean {
  const family = (t: ColumnType) => (t === 'INTEGER' || t === 'DOUBLE' ? 'n' : t === 'DATE' || t === 'TIMESTAMP' ? 't' : t);
  return family(a) === family(b);
}

/** An ISO literal in one of the accepted spellings: date, local timestamp, `Z`, or an offset. */
function isoLiteral(r: Rng, ms: number): string {
  const d = new Date(ms);
  const date = d.toISOString().slice(0, 10);
  const time = d.toISOString().slice(11, 19);
  switch (r.int(0, 4)) {
    case 0:
      return date;
    case 1:
      return `${date}T${time}`;
    case 2:
      return `${date}T${time}Z`;
    case 3: {
      const shifted = new Date(ms + 2 * 3_600_000).toISOString();
      return `${shifted.slice(0, 10)}T${shifted.slice(11, 19)}+02:00`;
    }
    default:
      return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }
}
