/*
 * The reference evaluator: the model's semantics (src/model/condition.ts, docs/conditions.md)
 * written as plain TypeScript over in-memory rows, one profile row at a time. It shares no code
 * with src/sql on purpose: the differential test holds the two against each other.
 */
import type { Comparison, Condition, Count, EntityCondition, EntityPredicate, EventCondition, Operand } from '../../src/model/condition.js';
import type { Relationship } from '../../src/model/graph.js';
import { columnType, tableOf, type Cell, type ColumnType, type Row, type World } from './world.js';

const UNIT_MS = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;

/** An ISO date / timestamp as epoch ms; no zone means UTC. Null when it is not one. */
export function parseTimestamp(s: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (!m) return null;
  const [, date, hh = '00', mm = '00', ss = '00', frac = '', zone = 'Z'] = m;
  const ms = (frac + '000').slice(0, 3);
  const z = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const t = Date.parse(`${date}T${hh}:${mm}:${ss}.${ms}${z}`);
  return Number.isNaN(t) ? null : t;
}

type Value = string | number | boolean | null;

const isTime = (t: ColumnType) => t === 'DATE' || t === 'TIMESTAMP';

/** A stored cell as a comparable value: dates and timestamps become epoch ms. */
function read(cell: Cell, type: ColumnType): Value {
  if (cell === null) return null;
  return isTime(type) ? parseTimestamp(String(cell)) : cell;
}

/** The text the warehouse shows for a profile or entity id cast to VARCHAR. */
const idText = (cell: Cell) => String(cell);

/** Properties as JSON; text that is not JSON (empty text included) holds no properties. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A profile row without an id (NULL or empty text) is never a member. */
const hasId = (cell: Cell) => cell !== null && idText(cell) !== '';

interface Scope {
  profile: Row;
  /** Relationship slug → its row on the current branch (the current entity and its ancestors). */
  rows: Map<string, Row>;
  /** Relationship slug → the junction row linking its row to the parent (many-to-many only). */
  links: Map<string, Row>;
  current: string | null;
}

export class Reference {
  private readonly relationships = new Map<string, Relationship>();
  private readonly linkedMembers = new Map<string, Set<string>>();
  private readonly now: number;
  /** The stack's time zone: literals without an offset and calendar days are read in it. */
  private readonly zone: string | undefined;

  constructor(readonly world: World) {
    for (const r of world.graph.relationships) this.relationships.set(r.slug, r);
    this.now = world.now.getTime();
    this.zone = world.graph.timeZone;
  }

  /** now plus a duration: minutes and hours elapsed, days on the calendar of the stack's zone. */
  private nowPlus(amount: number, unit: 'minutes' | 'hours' | 'days'): number {
    if (unit !== 'days' || !this.zone) return this.now + amount * UNIT_MS[unit];
    return instantOfWall(this.now + offsetMs(this.now, this.zone) + amount * UNIT_MS.days, this.zone);
  }

  /** Profile ids (as text) of the profile rows that satisfy `condition`. */
  membership(condition: Condition): Set<string> {
    const profile = this.world.graph.profile;
    const out = new Set<string>();
    for (const row of tableOf(this.world, profile.table).rows) {
      if (!hasId(row[profile.id])) continue;
      if (this.condition(condition, { profile: row, rows: new Map(), links: new Map(), current: null })) out.add(idText(row[profile.id]));
    }
    return out;
  }

  /**
   * Whether each related row of `ec` satisfies its filter, by key as text, for the one profile row
   * with `profileId`, under the enclosing rows `path` names (relationship and key, outermost first):
   * what `linked why` says of each row it explains. A key whose rows disagree maps to undefined;
   * undefined for all when an enclosing key names several rows.
   */
  rowVerdicts(profileId: string, path: readonly { relationship: string; key: string }[], ec: EntityCondition): Map<string, boolean | undefined> | undefined {
    const profile = this.world.graph.profile;
    const rows = tableOf(this.world, profile.table).rows.filter((r) => hasId(r[profile.id]) && idText(r[profile.id]) === profileId);
    if (rows.length !== 1) return undefined;
    let scope: Scope = { profile: rows[0]!, rows: new Map(), links: new Map(), current: null };
    for (const step of path) {
      const pk = this.entityTable(step.relationship).pk;
      const found = this.related(step.relationship, scope).filter(([x]) => x[pk] !== null && idText(x[pk]) === step.key);
      if (found.length !== 1) return undefined;
      scope = this.inner(scope, step.relationship, found[0]![0], found[0]![1]);
    }
    const pk = this.entityTable(ec.relationship).pk;
    const out = new Map<string, boolean | undefined>();
    for (const [x, link] of this.related(ec.relationship, scope)) {
      // why names a row without a key NULL: it is related and counts like any other.
      const key = x[pk] === null ? 'NULL' : idText(x[pk]);
      const held = !ec.where || this.predicate(ec.where, this.inner(scope, ec.relationship, x, link));
      out.set(key, out.has(key) && out.get(key) !== held ? undefined : held);
    }
    return out;
  }

  /** `profile_id|entity_path|entity_id` of the matches of a trigger path. */
  entityMatches(condition: Condition, path: string[]): Set<string> {
    const members = this.membership(condition);
    const profile = this.world.graph.profile;
    const chains = occurrences(condition, path);
    const out = new Set<string>();
    const pk = this.entityTable(path[path.length - 1]).pk;
    for (const row of tableOf(this.world, profile.table).rows) {
      const id = row[profile.id];
      if (!hasId(id) || !members.has(idText(id))) continue;
      for (const chain of chains) {
        const walk = (level: number, scope: Scope) => {
          const ec = chain[level];
          // Only an entity condition that holds (its count included) for this profile or parent row made the member.
          if (!this.entity(ec, scope)) return;
          for (const [x, link] of this.related(ec.relationship, scope)) {
            const inner = this.inner(scope, ec.relationship, x, link);
            if (ec.where && !this.predicate(ec.where, inner)) continue;
            if (level === chain.length - 1) {
              if (x[pk] !== null) out.add(`${idText(id)}|${path.join('.')}|${idText(x[pk])}`);
            } else walk(level + 1, inner);
          }
        };
        walk(0, { profile: row, rows: new Map(), links: new Map(), current: null });
      }
    }
    return out;
  }

  private condition(c: Condition, s: Scope): boolean {
    switch (c.kind) {
      case 'and':
        return c.conditions.every((x) => this.condition(x, s));
      case 'or':
        return c.conditions.some((x) => this.condition(x, s));
      case 'not':
        return !this.condition(c.condition, s);
      case 'trait': {
        const t = columnType(this.world, this.world.graph.profile.table, c.trait);
        return this.compare(read(s.profile[c.trait], t), t, c, s);
      }
      case 'entity':
        return this.entity(c, s);
      case 'event':
        return this.event(c, s);
      case 'audience': {
        const member = this.audienceMembers(c.audience, c.source).has(idText(s.profile[this.world.graph.profile.id]));
        return c.negate ? !member : member;
      }
    }
  }

  private predicate(p: EntityPredicate, s: Scope): boolean {
    switch (p.kind) {
      case 'and':
        return p.conditions.every((x) => this.predicate(x, s));
      case 'or':
        return p.conditions.some((x) => this.predicate(x, s));
      case 'not':
        return !this.predicate(p.condition, s);
      case 'entity':
        return this.entity(p, s);
      case 'column': {
        if (p.junction) {
          const join = this.relationships.get(s.current!)!.join;
          if (join.type !== 'junction') throw new Error(`junction column on ${s.current}, which has no junction`);
          const t = columnType(this.world, join.table, p.column);
          return this.compare(read(s.links.get(s.current!)![p.column], t), t, p, s);
        }
        const table = this.entityTable(s.current!);
        const t = columnType(this.world, table.ref, p.column);
        return this.compare(read(s.rows.get(s.current!)![p.column], t), t, p, s);
      }
    }
  }

  private entity(ec: EntityCondition, s: Scope): boolean {
    let n = 0;
    for (const [x, link] of this.related(ec.relationship, s)) {
      const inner = this.inner(s, ec.relationship, x, link);
      if (!ec.where || this.predicate(ec.where, inner)) n++;
    }
    return countHolds(ec.count, n);
  }

  private entityTable(slug: string) {
    const rel = this.relationships.get(slug)!;
    const entity = this.world.graph.entities.find((e) => e.slug === rel.entity)!;
    return { ref: entity.table, pk: entity.primaryKey };
  }

  /** The scope of one related row (and the junction row that links it, for many-to-many). */
  private inner(s: Scope, slug: string, row: Row, link: Row | undefined): Scope {
    const links = new Map(s.links);
    if (link) links.set(slug, link);
    return { profile: s.profile, rows: new Map(s.rows).set(slug, row), links, current: slug };
  }

  /** The entity rows of `slug` related to the current row of `s`, each with its junction row for many-to-many (one per junction row). */
  private related(slug: string, s: Scope): [Row, Row | undefined][] {
    const rel = this.relationships.get(slug)!;
    const rows = tableOf(this.world, this.entityTable(slug).ref).rows;
    const same = (a: Cell, b: Cell) => a !== null && b !== null && a === b;
    const join = rel.join;
    const alone = (r: Row): [Row, undefined] => [r, undefined];
    if (join.type === 'profile') return rows.filter((r) => same(r[join.entityColumn], s.profile[join.profileColumn])).map(alone);
    const parent = s.rows.get(rel.parent!)!;
    if (join.type === 'entity') return rows.filter((r) => same(r[join.entityColumn], parent[join.parentColumn])).map(alone);
    const out: [Row, Row][] = [];
    for (const j of tableOf(this.world, join.table).rows) {
      if (!same(j[join.junctionParentColumn], parent[join.parentColumn])) continue;
      for (const r of rows) if (same(r[join.entityColumn], j[join.junctionEntityColumn])) out.push([r, j]);
    }
    return out;
  }

  private event(ec: EventCondition, s: Scope): boolean {
    const ev = this.world.graph.events!;
    const profileId = s.profile[this.world.graph.profile.id];
    let n = 0;
    for (const e of tableOf(this.world, ev.table).rows) {
      if (e[ev.profileKey] === null || profileId === null || e[ev.profileKey] !== profileId) continue;
      if (e[ev.name] !== ec.name) continue;
      const ts = e[ev.timestamp] === null ? null : parseTimestamp(String(e[ev.timestamp]));
      if (ec.window) {
        if (ts === null) continue;
        if (ec.window.type === 'within') {
          if (ts < this.nowPlus(-ec.window.amount, ec.window.unit) || ts > this.now) continue;
        } else if (!orderedTime('gte', ts, ec.window.from, this.zone) || !orderedTime('lte', ts, ec.window.to, this.zone)) continue;
      }
      const props = e[ev.properties] === null ? null : parseJson(String(e[ev.properties]));
      if (ec.where.every((f) => this.property(lookup(props, f.property), f))) n++;
    }
    return countHolds(ec.count, n);
  }

  /** An event property filter: the literal decides whether the value is read as number, time or text. */
  private property(v: unknown, c: Comparison): boolean {
    const text = v === undefined || v === null ? null : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    const num = typeof v === 'number' ? v : typeof v === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : null;
    const time = typeof v === 'string' ? parseTimestamp(v) : null;
    const literal = (o: Operand) => (o as { literal: string | number | boolean }).literal;
    switch (c.operator) {
      case 'equals':
      case 'not_equals': {
        const l = literal(c.value);
        const [a, b] = typeof l === 'number' ? [num, l] : [text, String(l)];
        if (a === null) return false;
        return c.operator === 'equals' ? a === b : a !== b;
      }
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        const l = literal(c.value);
        if (typeof l === 'string') return time !== null && parseTimestamp(l) !== null && orderedTime(c.operator, time, l, this.zone);
        const [a, b] = typeof l === 'number' ? [num, l] : [time, null];
        return a !== null && b !== null && ordered(c.operator, a, b);
      }
      case 'contains':
      case 'not_contains':
      case 'starts_with':
      case 'ends_with':
        return text !== null && stringTest(c.operator, text, String(literal(c.value)));
      case 'exists':
        return text !== null;
      case 'not_exists':
        return text === null;
      case 'one_of':
      case 'none_of': {
        const numeric = c.value.every((x) => typeof x === 'number');
        const a = numeric ? num : text;
        if (a === null) return false;
        const hit = c.value.some((x) => (numeric ? x === a : String(x) === a));
        return c.operator === 'one_of' ? hit : !hit;
      }
      default:
        return this.timeTest(time, c);
    }
  }

  /** A trait or entity column comparison; NULL on either side is false, except for exists / not_exists. */
  private compare(left: Value, type: ColumnType, c: Comparison, s: Scope): boolean {
    const operand = (o: Operand): Value => {
      if ('literal' in o) return isTime(type) && typeof o.literal === 'string' ? parseTimestamp(o.literal) : o.literal;
      if ('trait' in o) {
        const t = columnType(this.world, this.world.graph.profile.table, o.trait);
        return read(s.profile[o.trait], t);
      }
      const t = columnType(this.world, this.entityTable(o.relationship).ref, o.column);
      return read(s.rows.get(o.relationship)![o.column], t);
    };
    switch (c.operator) {
      case 'exists':
        return left !== null;
      case 'not_exists':
        return left === null;
      case 'equals':
      case 'not_equals': {
        const r = operand(c.value);
        if (left === null || r === null) return false;
        return c.operator === 'equals' ? left === r : left !== r;
      }
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        if (isTime(type) && 'literal' in c.value && typeof c.value.literal === 'string') {
          return left !== null && orderedTime(c.operator, left as number, c.value.literal, this.zone);
        }
        const r = operand(c.value);
        return left !== null && r !== null && ordered(c.operator, left as number, r as number);
      }
      case 'contains':
      case 'not_contains':
      case 'starts_with':
      case 'ends_with': {
        const r = operand(c.value);
        return left !== null && r !== null && stringTest(c.operator, String(left), String(r));
      }
      case 'one_of':
      case 'none_of': {
        if (left === null) return false;
        const hit = c.value.some((x) => (isTime(type) && typeof x === 'string' ? parseTimestamp(x) : x) === left);
        return c.operator === 'one_of' ? hit : !hit;
      }
      default:
        return this.timeTest(left as number | null, c);
    }
  }

  private timeTest(t: number | null, c: Comparison): boolean {
    if (t === null) return false;
    switch (c.operator) {
      case 'before_date':
        return orderedTime('lt', t, c.value, this.zone);
      case 'after_date':
        return orderedTime('gt', t, c.value, this.zone);
      case 'within_last':
        return t >= this.nowPlus(-c.value.amount, c.value.unit) && t <= this.now;
      case 'within_next':
        return t >= this.now && t <= this.nowPlus(c.value.amount, c.value.unit);
      default:
        throw new Error(`not a time operator: ${c.operator}`);
    }
  }

  private audienceMembers(key: string, source: 'linked' | 'classic'): Set<string> {
    if (source === 'classic') {
      const a = this.world.classicAudiences.find((x) => x.key === key)!;
      return new Set(tableOf(this.world, a.table).rows.filter((r) => r[a.profileIdColumn] !== null).map((r) => idText(r[a.profileIdColumn])));
    }
    let members = this.linkedMembers.get(key);
    if (!members) {
      const src = this.world.linked[key];
      members =
        src.kind === 'inline'
          ? this.membership(src.condition)
          : new Set(
              tableOf(this.world, `${src.table.schema}.${src.table.name}`)
                .rows.filter((r) => r.audience_key === src.audienceKey && r.profile_id !== null)
                .map((r) => String(r.profile_id)),
            );
      this.linkedMembers.set(key, members);
    }
    return members;
  }
}

function lookup(props: unknown, path: string): unknown {
  let v = props;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** The offset of `zone` from UTC at an instant, in ms, from the zone's "GMT+01:00" name. */
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

function offsetMs(instant: number, zone: string): number {
  let format = offsetFormats.get(zone);
  if (!format) offsetFormats.set(zone, (format = new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'longOffset' })));
  const name = format.formatToParts(new Date(instant)).find((p) => p.type === 'timeZoneName')!.value;
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0;
}

/**
 * The instant at which the clocks of `zone` show a wall time (given as epoch ms read as UTC): the
 * first such instant, or for a wall time skipped by a daylight-saving jump the instant after it.
 */
function instantOfWall(wall: number, zone: string): number {
  const shows = (instant: number) => instant + offsetMs(instant, zone) === wall;
  // Offsets lie within ±14 h: try each candidate the offsets around the wall time give.
  const candidates = [...new Set([wall - offsetMs(wall - 86_400_000, zone), wall - offsetMs(wall + 86_400_000, zone), wall - offsetMs(wall, zone)])].sort((a, b) => a - b);
  return candidates.find(shows) ?? Math.max(...candidates);
}

/** A literal bound of an ordered time comparison: without an offset, a wall time of the stack's zone. */
function literalTime(literal: string, zone: string | undefined): number {
  const t = parseTimestamp(literal)!;
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/.test(literal) && !/^\d{4}-\d{2}-\d{2}$/.test(literal);
  return !zone || hasOffset ? t : instantOfWall(t, zone);
}

/** A date-only literal is the whole day (of the stack's zone): `lte` takes it in, `gt` (and "after") starts after it. */
function orderedTime(op: 'lt' | 'lte' | 'gt' | 'gte', t: number, literal: string, zone: string | undefined): boolean {
  const start = literalTime(literal, zone);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(literal)) return ordered(op, t, start);
  const nextDay = literalTime(new Date(parseTimestamp(literal)! + 86_400_000).toISOString().slice(0, 10), zone);
  return op === 'lte' ? t < nextDay : op === 'gt' ? t >= nextDay : ordered(op, t, start);
}

function ordered(op: 'lt' | 'lte' | 'gt' | 'gte', a: number, b: number): boolean {
  return op === 'lt' ? a < b : op === 'lte' ? a <= b : op === 'gt' ? a > b : a >= b;
}

function stringTest(op: 'contains' | 'not_contains' | 'starts_with' | 'ends_with', a: string, b: string): boolean {
  switch (op) {
    case 'contains':
      return a.includes(b);
    case 'not_contains':
      return !a.includes(b);
    case 'starts_with':
      return a.startsWith(b);
    case 'ends_with':
      return a.endsWith(b);
  }
}

function countHolds(c: Count, n: number): boolean {
  return c.op === 'at_least' ? n >= c.value : c.op === 'exactly' ? n === c.value : n <= c.value;
}

/** Chains of entity conditions along `path`, not under a `not`, each with a count that matches can satisfy. */
function occurrences(condition: Condition, path: string[]): EntityCondition[][] {
  const usable = (ec: EntityCondition, level: number) => ec.relationship === path[level] && !(ec.count.op !== 'at_least' && ec.count.value === 0);
  const extend = (ec: EntityCondition, level: number): EntityCondition[][] =>
    level === path.length ? [[ec]] : ec.where ? below(ec.where, level).map((rest) => [ec, ...rest]) : [];
  const below = (p: EntityPredicate, level: number): EntityCondition[][] =>
    p.kind === 'and' || p.kind === 'or'
      ? p.conditions.flatMap((x) => below(x, level))
      : p.kind === 'entity' && usable(p, level)
        ? extend(p, level + 1)
        : [];
  const top = (c: Condition): EntityCondition[][] =>
    c.kind === 'and' || c.kind === 'or' ? c.conditions.flatMap(top) : c.kind === 'entity' && usable(c, 0) ? extend(c, 1) : [];
  return top(condition);
}
