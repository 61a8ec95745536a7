import { GraphIndex } from '../model/graph-index.js';
import type { Scalar } from '../model/common.js';
import type {
  AudienceMembershipCondition,
  Condition,
  Count,
  EntityCondition,
  EntityPredicate,
  EventCondition,
  Operand,
} from '../model/condition.js';
import { foldCondition, foldPredicate, type ConditionFold } from '../model/condition-walk.js';
import { audienceCycleMessage } from '../model/checks/cycles.js';
import { LinkedError } from '../model/errors.js';
import { GRAPH_ERRORS } from '../model/seed-messages.js';
import { junctionColumnsExposed, type Entity, type Relationship } from '../model/graph.js';
import {
  FALSE,
  ONE,
  TRUE,
  and,
  cast,
  coalesce,
  col,
  compare,
  countStar,
  inQuery,
  exists,
  not,
  notExists,
  or,
  param,
  scalar,
  sysCol,
  table,
  type Expr,
  type FromItem,
  type Join,
  type Select,
  type StateTableName,
} from '../dialect/ast.js';
import { compareTime, compileComparison, nowPlus, type ComparisonEnv } from './compare.js';
import { EVENTS_JOIN, type CompileContext } from './context.js';
import { twoValued } from './nullable.js';
import { hasProfileId } from './profile-id.js';

/** What a predicate may reference: the profile row and the entity rows of its branch. */
export interface Scope {
  profile: string;
  /** Relationship slug → alias of its row: the current entity and its ancestors. */
  entities: ReadonlyMap<string, string>;
  /** The relationship whose row the predicate is about; null at profile level. */
  relationship: string | null;
  /** Relationship slug → alias of the junction row that links its row to the parent (many-to-many only). */
  junctions?: ReadonlyMap<string, string>;
}

/** The rows of a relationship as seen from one parent row, and the key that links them. */
export interface RelatedRows {
  from: FromItem;
  joins: Join[];
  /** The alias of the related entity row. */
  alias: string;
  /** The alias of the junction row linking it to the parent, for a many-to-many relationship. */
  junction?: string;
  /** The column on the related side that equals `parentKey`. */
  childKey: Expr;
  parentKey: Expr;
}

/** A table the compiler reads: the profiles, a relationship's entity or junction rows, the events. */
export type SourceTable =
  | { kind: 'profile' }
  | { kind: 'entity'; relationship: string }
  | { kind: 'junction'; relationship: string }
  | { kind: 'events' };

const invalid = (message: string) => new LinkedError('INVALID_CONDITION', message);

/**
 * Compiles condition trees to predicates over a profile row. Entity, event and audience conditions
 * become `key IN (subquery)` semi joins (with one GROUP BY ... HAVING pass for counts other than
 * "at least one" and "none"), which is what a person would write and what the planner runs best.
 * Only when a filter reaches outside its subtree (a profile trait, an ancestor's column) is a
 * condition correlated (EXISTS / COUNT per parent row), and the warehouse decorrelates it.
 */
export class ConditionCompiler {
  readonly index: GraphIndex;
  private aliases = 0;
  /** Linked audiences being compiled inline, outermost first: a repeat is a cycle. */
  private readonly inlineStack: string[] = [];

  constructor(readonly ctx: CompileContext) {
    this.index = new GraphIndex(ctx.graph);
  }

  alias(prefix: string): string {
    return `${prefix}${++this.aliases}`;
  }

  /**
   * Where the rows of a table are read from. The warehouse's table itself; a subclass may narrow
   * it to the rows one profile can reach (the explanation of one profile).
   */
  protected source(of: SourceTable, alias: string): FromItem {
    const graph = this.ctx.graph;
    if (of.kind === 'profile') return table(graph.profile.table, alias);
    if (of.kind === 'events') return table(graph.events!.table, alias);
    if (of.kind === 'entity') return table(this.index.entityOf(of.relationship)!.table, alias);
    const join = this.index.relationship(of.relationship)!.join;
    if (join.type !== 'junction') throw invalid(`Relationship ${of.relationship} has no junction table`);
    return table(join.table, alias);
  }

  /** SELECT DISTINCT profile_id of the profile rows satisfying `condition`. */
  membershipSelect(condition: Condition, profileAlias = this.alias('p')): Select {
    const profile = this.ctx.graph.profile;
    const id = col(profileAlias, profile.id);
    const scope: Scope = { profile: profileAlias, entities: new Map(), relationship: null };
    return {
      kind: 'select',
      distinct: true,
      columns: [{ expr: cast(id, 'VARCHAR'), as: 'profile_id' }],
      from: this.source({ kind: 'profile' }, profileAlias),
      where: and(hasProfileId(id), this.condition(condition, scope)),
    };
  }

  condition(c: Condition, scope: Scope): Expr {
    return foldCondition(c, scope, this.fold);
  }

  entityPredicate(p: EntityPredicate, scope: Scope): Expr {
    return foldPredicate(p, scope, this.fold);
  }

  /** Each node's predicate; `not` is the two-valued complement (docs/conditions.md, NULL semantics). */
  private readonly fold: ConditionFold<Expr, Scope> = {
    and: (items) => and(...items),
    or: (items) => or(...items),
    not: (item) => not(twoValued(item)),
    trait: (c, scope) => compileComparison({ kind: 'column', expr: this.trait(c.trait, scope) }, c, this.env(scope)),
    column: (c, scope) => {
      const left = c.junction ? this.junctionColumn(scope.relationship!, c.column, scope) : this.entityColumn(scope.relationship!, c.column, scope);
      return compileComparison({ kind: 'column', expr: left }, c, this.env(scope));
    },
    entity: (c, scope) => this.entityCondition(c, scope),
    event: (c, scope) => this.eventCondition(c, scope),
    audience: (c, scope) => this.audienceCondition(c, scope),
  };

  /** The relationship of an entity condition, checked against the graph and the enclosing scope. */
  relationshipOf(slug: string, parent: string | null): { rel: Relationship; entity: Entity } {
    const rel = this.index.relationship(slug);
    if (!rel) throw invalid(GRAPH_ERRORS.relationshipMissing(slug));
    if (rel.parent !== parent) {
      const parentEntity = parent === null ? 'profile' : (this.index.relationship(parent)?.entity ?? parent);
      throw invalid(GRAPH_ERRORS.relationshipNotChild(parentEntity, slug));
    }
    const entity = this.index.entityOf(slug);
    if (!entity) throw invalid(GRAPH_ERRORS.entityMissing(rel.entity));
    const depth = this.index.depth(slug);
    if (depth === undefined) throw invalid(GRAPH_ERRORS.relationshipMissing(slug));
    if (depth > this.ctx.graph.maxDepth) {
      throw invalid(
        `Entity condition on "${slug}" is ${depth} levels deep (counting the profile); the Data Graph allows ${this.ctx.graph.maxDepth}.`,
      );
    }
    if ((rel.join.type === 'profile') !== (rel.parent === null)) {
      throw invalid(GRAPH_ERRORS.joinKeyMissing(slug));
    }
    return { rel, entity };
  }

  /** The rows of `slug` related to the current row of `scope` (the profile or the parent entity). */
  relatedRows(slug: string, scope: Scope): RelatedRows {
    const { rel } = this.relationshipOf(slug, scope.relationship);
    const alias = this.alias('r');
    const join = rel.join;
    const key = this.joinKey(slug);
    if (join.type !== 'junction') {
      // The related table joins straight onto its parent: the profile's column, or the parent entity's.
      const parentKey = join.type === 'profile' ? this.trait(join.profileColumn, scope, true) : col(scope.entities.get(rel.parent!)!, join.parentColumn);
      const from = this.source({ kind: 'entity', relationship: slug }, alias);
      return { from, joins: [], alias, childKey: key(col(alias, join.entityColumn)), parentKey: key(parentKey) };
    }
    const parentAlias = scope.entities.get(rel.parent!)!;
    const junction = this.alias('j');
    return {
      from: this.source({ kind: 'junction', relationship: slug }, junction),
      joins: [{ from: this.source({ kind: 'entity', relationship: slug }, alias), on: compare('=', key(col(junction, join.junctionEntityColumn)), key(col(alias, join.entityColumn))) }],
      alias,
      junction,
      childKey: key(col(junction, join.junctionParentColumn)),
      parentKey: key(col(parentAlias, join.parentColumn)),
    };
  }

  /**
   * How the keys of a join (a relationship's slug, or EVENTS_JOIN) are compared: as they are, or
   * both cast to text when one is an integer and the other a string (`castJoins`).
   */
  joinKey(join: string): (e: Expr) => Expr {
    return this.ctx.castJoins?.has(join) ? (e: Expr) => cast(e, 'VARCHAR') : (e: Expr) => e;
  }

  /** The scope inside an entity condition: its row joins the branch. */
  childScope(scope: Scope, slug: string, alias: string, junction?: string): Scope {
    const junctions = new Map(scope.junctions ?? []);
    if (junction !== undefined) junctions.set(slug, junction);
    return { profile: scope.profile, entities: new Map(scope.entities).set(slug, alias), relationship: slug, junctions };
  }

  entityCondition(ec: EntityCondition, scope: Scope): Expr {
    const rows = this.relatedRows(ec.relationship, scope);
    const where = ec.where ? this.entityPredicate(ec.where, this.childScope(scope, ec.relationship, rows.alias, rows.junction)) : TRUE;
    return this.counted(rows, where, ec.count, ec.where !== undefined && reachesOutside(ec.where, new Set([ec.relationship])));
  }

  /**
   * "count op N of the related rows satisfy `where`". `correlated`: `where` references rows outside
   * the related subtree (a trait, an ancestor's column), so it must be evaluated per parent row.
   *
   * Uncorrelated (the common case) compiles to `parent.key IN (SELECT child.key ...)`, with one
   * GROUP BY ... HAVING pass for counts other than one: the planner runs each as a single hash
   * semi join, where a correlated EXISTS costs it an extra duplicate-eliminating join. "At most N"
   * is "not more than N", so parents without any related row, or with a NULL key, qualify.
   */
  counted(rows: RelatedRows, where: Expr, count: Count, correlated: boolean): Expr {
    const { op, value: n } = count;
    if (op === 'at_least' && n === 0) return TRUE;
    const none = op !== 'at_least' && n === 0;
    const cmp = op === 'at_least' ? '>=' : op === 'exactly' ? '=' : '<=';
    if (correlated) {
      const link = compare('=', rows.childKey, rows.parentKey);
      const probe: Select = { kind: 'select', columns: [{ expr: ONE, as: 'one' }], from: rows.from, joins: rows.joins, where: and(link, where) };
      if (op === 'at_least' && n === 1) return exists(probe);
      if (none) return notExists(probe);
      return compare(cmp, scalar({ ...probe, columns: [{ expr: countStar, as: 'n' }] }), param(n));
    }
    const keys: Select = {
      kind: 'select',
      columns: [{ expr: rows.childKey, as: 'k' }],
      from: rows.from,
      joins: rows.joins,
      where: where === TRUE ? undefined : where,
    };
    if (op === 'at_least' && n === 1) return inQuery(rows.parentKey, keys);
    if (none) return not(coalesce(inQuery(rows.parentKey, keys), FALSE));
    const grouped: Select = { ...keys, groupBy: [rows.childKey], having: compare(op === 'at_most' ? '>' : cmp, countStar, param(n)) };
    return op === 'at_most' ? not(coalesce(inQuery(rows.parentKey, grouped), FALSE)) : inQuery(rows.parentKey, grouped);
  }

  eventCondition(ec: EventCondition, scope: Scope): Expr {
    const { rows, where } = this.eventRows(ec, scope);
    return this.counted(rows, where, ec.count, false);
  }

  /**
   * The events of the profile in `scope` and what makes one count: its name, the window
   * (`inWindow`) and the property filters (`matches`); `where` is all of them.
   */
  eventRows(ec: EventCondition, scope: Scope): { rows: RelatedRows; where: Expr; matches: Expr; inWindow: Expr } {
    const events = this.ctx.graph.events;
    if (!events) throw invalid(`Event condition on "${ec.name}": the Data Graph declares no events table.`);
    const alias = this.alias('e');
    const env = this.env(scope);
    const ts = col(alias, events.timestamp);
    const inWindow = !ec.window
      ? TRUE
      : ec.window.type === 'within'
        ? and(compare('>=', ts, nowPlus(env, -ec.window.amount, ec.window.unit)), compare('<=', ts, nowPlus(env, 0, 'days')))
        : and(compareTime('>=', ts, ec.window.from, env.timeZone), compareTime('<=', ts, ec.window.to, env.timeZone));
    const filters = ec.where.map((f) =>
      compileComparison({ kind: 'property', json: col(alias, events.properties), property: f.property }, f, env),
    );
    const key = this.joinKey(EVENTS_JOIN);
    const rows: RelatedRows = {
      from: this.source({ kind: 'events' }, alias),
      joins: [],
      alias,
      childKey: key(col(alias, events.profileKey)),
      parentKey: key(col(scope.profile, this.ctx.graph.profile.id)),
    };
    const matches = and(compare('=', col(alias, events.name), param(ec.name)), ...filters);
    return { rows, where: and(compare('=', col(alias, events.name), param(ec.name)), inWindow, ...filters), matches, inWindow };
  }

  /** The members of one audience as a snapshot-shaped table (audience_key, profile_id) holds them. */
  snapshotSelect(source: { table: StateTableName; audienceKey: string }): Select {
    const alias = this.alias('m');
    return {
      kind: 'select',
      columns: [{ expr: sysCol(alias, 'profile_id'), as: 'profile_id' }],
      from: { kind: 'stateTable', table: source.table, alias },
      where: compare('=', sysCol(alias, 'audience_key'), param(source.audienceKey)),
    };
  }

  audienceCondition(c: AudienceMembershipCondition, scope: Scope): Expr {
    const profileId = cast(col(scope.profile, this.ctx.graph.profile.id), 'VARCHAR');
    const select = (expr: Expr, from: FromItem, where?: Expr): Select => ({ kind: 'select', columns: [{ expr, as: 'profile_id' }], from, where });
    let members: Select;
    if (c.source === 'classic') {
      const classic = this.ctx.classicAudiences.find((a) => a.key === c.audience);
      if (!classic) throw invalid(`Classic audience not found: ${c.audience}`);
      const alias = this.alias('c');
      members = select(cast(col(alias, classic.profileIdColumn), 'VARCHAR'), table(classic.table, alias));
    } else {
      const source = this.ctx.linkedAudience(c.audience);
      if (source.kind === 'snapshot') {
        members = this.snapshotSelect(source);
      } else {
        if (this.inlineStack.includes(c.audience)) {
          // The static checks refuse a cycle first; a model built in code may skip them.
          throw invalid(audienceCycleMessage([...this.inlineStack.slice(this.inlineStack.indexOf(c.audience)), c.audience]));
        }
        this.inlineStack.push(c.audience);
        try {
          members = this.membershipSelect(source.condition);
        } finally {
          this.inlineStack.pop();
        }
      }
    }
    // The profile id is never NULL here (membership requires it), so only a NULL among the members
    // can make IN unknown: COALESCE keeps "not part of" two-valued.
    const member = inQuery(profileId, members);
    return c.negate ? not(coalesce(member, FALSE)) : member;
  }

  private env(scope: Scope): ComparisonEnv {
    return { dialect: this.ctx.dialect, now: this.ctx.now, timeZone: this.ctx.graph.timeZone, resolve: (o) => this.operand(o, scope) };
  }

  protected operand(o: Exclude<Operand, { literal: Scalar }>, scope: Scope): Expr {
    if ('trait' in o) return this.trait(o.trait, scope);
    if (!scope.entities.has(o.relationship)) {
      const where = scope.relationship === null ? 'a profile-level condition' : `an entity condition on "${scope.relationship}"`;
      throw invalid(
        `Column operand ${o.relationship}.${o.column} in ${where} must name the entity's own relationship or an ancestor on the same branch.`,
      );
    }
    return this.entityColumn(o.relationship, o.column, scope);
  }

  private trait(name: string, scope: Scope, joinKey = false): Expr {
    const p = this.ctx.graph.profile;
    if (!joinKey && name !== p.id && !p.traits.includes(name) && !p.identifiers.includes(name)) {
      throw invalid(`Profile trait missing from Data Graph: ${name}`);
    }
    return col(scope.profile, name);
  }

  /** A column of the junction row linking the current row of `slug` to its parent. */
  protected junctionColumn(slug: string, column: string, scope: Scope): Expr {
    const join = this.index.relationship(slug)!.join;
    const alias = scope.junctions?.get(slug);
    if (join.type !== 'junction' || alias === undefined) {
      throw invalid(`Junction column ${column} filters relationship ${slug}, which has no junction table`);
    }
    const exposed = junctionColumnsExposed(join);
    if (exposed && !exposed.includes(column)) {
      throw invalid(`Junction column missing from Data Graph for relationship ${slug} and Column: ${column}`);
    }
    return col(alias, column);
  }

  protected entityColumn(slug: string, column: string, scope: Scope): Expr {
    const entity = this.index.entityOf(slug)!;
    if (entity.columns && !entity.columns.includes(column) && column !== entity.primaryKey) {
      throw invalid(GRAPH_ERRORS.columnMissing(entity.slug, column));
    }
    return col(scope.entities.get(slug)!, column);
  }
}

/** Whether a predicate references a trait or a row outside the relationships bound within it. */
export function reachesOutside(p: EntityPredicate, bound: ReadonlySet<string>): boolean {
  return foldPredicate<boolean, ReadonlySet<string>>(p, bound, {
    and: (items) => items.some(Boolean),
    or: (items) => items.some(Boolean),
    not: (item) => item,
    entity: (ec, b) => ec.where !== undefined && reachesOutside(ec.where, new Set([...b, ec.relationship])),
    column: (c, b) => {
      const v = 'value' in c ? c.value : undefined;
      if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
      if ('trait' in v) return true;
      if ('relationship' in v) return !b.has(v.relationship);
      return false;
    },
  });
}
