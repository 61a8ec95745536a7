import type { ColumnFilter, Condition, EntityCondition, EntityPredicate } from '../model/condition.js';
import {
  FALSE,
  NULL,
  TRUE,
  and,
  cast,
  caseWhen,
  col,
  compare,
  countStar,
  derived,
  fn,
  inQuery,
  lit,
  over,
  param,
  scalar,
  star,
  sysCol,
  type Cte,
  type Expr,
  type FromItem,
  type Join,
  type Select,
  type Union,
} from '../dialect/ast.js';
import { ConditionCompiler, type RelatedRows, type Scope, type SourceTable } from './compiler.js';
import { EVENTS_JOIN, type CompileContext } from './context.js';

/** One node of the condition tree, in pre-order; `children` index the same list. */
export interface ExplainNode {
  id: number;
  /** Attribute path from the root, e.g. `condition.conditions[1]`. */
  attribute: string;
  condition: Condition;
  children: number[];
}

/** The result columns that hold a leaf's verdict, or the values it follows from. */
export interface LeafColumns {
  /** trait, audience: whether the leaf holds (two-valued: unknown is false, as in membership). */
  held?: string;
  /**
   * trait: the trait's value; entity: the related rows that satisfy its filters; event: the
   * matching events in the window. An entity or event leaf holds when this count satisfies its
   * count, exactly as the compiler's semi join decides it.
   */
  value: string;
  /** trait: the value of a trait operand; entity: all related rows. */
  other?: string;
  /** event: the latest matching event's time, ignoring the window. */
  latest?: string;
}

/**
 * The one query `linked why` runs for one profile. Rows with `why_node` NULL: one per profile row
 * with the id (none when no profile has it), with a column per leaf of the tree: its verdict or the
 * count it follows from, and the values behind it. Counts are correlated to the one profile; the
 * and / or / not nodes are folded from their leaves by the caller, with membership's two-valued
 * logic. `verify` adds the compiler's own membership predicate as column `root`, which the fold
 * must equal (tests). Rows with `why_node` set: one per matching entity id (`entity_id`) of that
 * entity node, at most the limit; in the same statement, so they read the same filtered rows.
 */
export interface ExplainPlan {
  query: Select | Union;
  nodes: ExplainNode[];
  leaves: Map<number, LeafColumns>;
  /** The related rows explained, one set per entity condition with filters (nested ones included). */
  rows: RowsPlan[];
}

/** One node of an entity condition's filter, in pre-order; `children` index the same list. */
export interface PredicateNode {
  id: number;
  predicate: EntityPredicate;
  children: number[];
}

/**
 * The related rows of one entity condition with filters, each with its key and every part of the
 * filter evaluated on it: at most `limit` rows per parent row, the first by key. Result rows with
 * `why_rows` = `id`. A condition nested in another's filter is explained per row of the enclosing
 * entity that is shown: its result rows carry the keys of those rows too.
 */
export interface RowsPlan {
  id: number;
  /** The profile-level node (explainNodes) the rows are reached from. */
  node: number;
  /** The enclosing entity's rows and which of its filter's nodes this condition is; null at the profile level. */
  parent: { rows: number; predicate: number } | null;
  condition: EntityCondition;
  /** Result columns of the keys, from the outermost entity's to this one's. */
  keys: string[];
  /** Result column of this entity's rank by key among the rows of its parent row (1 first): the order rows are shown in. */
  rank: string;
  predicates: PredicateNode[];
  /** Per predicate node id: column filters (held, value, operand's value), nested entity conditions (matching, all). */
  leaves: Map<number, LeafColumns>;
}

/** The column that tells a profile row (NULL) from an entity id row (the node's id). */
export const NODE_COLUMN = 'why_node';
export const ENTITY_ID_COLUMN = 'entity_id';
/** The column that tells the rows of an entity explained (the RowsPlan's id) from the others (NULL). */
export const ROWS_COLUMN = 'why_rows';

/** Pre-order nodes of a condition. */
export function explainNodes(condition: Condition): ExplainNode[] {
  const nodes: ExplainNode[] = [];
  const walk = (c: Condition, attribute: string): number => {
    const node: ExplainNode = { id: nodes.length, attribute, condition: c, children: [] };
    nodes.push(node);
    if (c.kind === 'and' || c.kind === 'or') node.children = c.conditions.map((x, i) => walk(x, `${attribute}.conditions[${i}]`));
    else if (c.kind === 'not') node.children = [walk(c.condition, `${attribute}.condition`)];
    return node.id;
  };
  walk(condition, 'condition');
  return nodes;
}

/** Pre-order nodes of an entity condition's filter. */
export function predicateNodes(where: EntityPredicate): PredicateNode[] {
  const nodes: PredicateNode[] = [];
  const walk = (p: EntityPredicate): number => {
    const node: PredicateNode = { id: nodes.length, predicate: p, children: [] };
    nodes.push(node);
    if (p.kind === 'and' || p.kind === 'or') node.children = p.conditions.map(walk);
    else if (p.kind === 'not') node.children = [walk(p.condition)];
    return node.id;
  };
  walk(where);
  return nodes;
}

/**
 * Profile rows read for one id. An id should name one row; when several share it, the profile is a
 * member if any of them satisfies the condition (membership is by id), so each row is explained.
 */
export const MAX_ROWS = 20;

const held = (e: Expr): Expr => caseWhen([{ when: e, then: TRUE }], FALSE);

/**
 * A compiler for one profile: every table it reads is a common table expression holding only the
 * rows that profile can reach (its profile rows by id; each relationship's rows by the keys of its
 * parent's; the events by the profile's id). Each table is scanned once, by an equality filter on
 * its join key, however many leaves read it, and the leaves count within those few rows instead of
 * aggregating the whole table (the warehouse has no index to find one profile's rows).
 */
class OneProfileCompiler extends ConditionCompiler {
  private readonly defined = new Map<string, Cte>();

  constructor(
    ctx: CompileContext,
    private readonly profileId: string,
  ) {
    super(ctx);
  }

  /** The expressions, in dependency order, for the tables compiled so far. */
  ctes(): Cte[] {
    return [...this.defined.values()];
  }

  /** The column a filter compares, and its operand when that is a trait or an ancestor's column (not a literal). */
  filterValues(c: ColumnFilter, scope: Scope): { value: Expr; other?: Expr } {
    const value = c.junction ? this.junctionColumn(scope.relationship!, c.column, scope) : this.entityColumn(scope.relationship!, c.column, scope);
    const v = 'value' in c ? c.value : undefined;
    const operand = v && typeof v === 'object' && !Array.isArray(v) && ('trait' in v || 'relationship' in v) ? v : undefined;
    return operand ? { value, other: this.operand(operand, scope) } : { value };
  }

  /** The profile rows with the id, under `alias`. */
  profileRows(alias: string): FromItem {
    return this.source({ kind: 'profile' }, alias);
  }

  protected override source(of: SourceTable, alias: string): FromItem {
    return { kind: 'cte', name: this.define(of), alias };
  }

  private define(of: SourceTable): string {
    const key = of.kind === 'profile' || of.kind === 'events' ? of.kind : `${of.kind}:${of.relationship}`;
    const known = this.defined.get(key);
    if (known) return known.name;
    // Its parents' expressions first: each reads the one before it.
    const query = this.rowsOf(of);
    const name = `why_${of.kind}_${this.defined.size}`;
    this.defined.set(key, { name, query });
    return name;
  }

  /** The rows of `of` reachable from the profile, read from the table itself. */
  private rowsOf(of: SourceTable): Select {
    const graph = this.ctx.graph;
    const t = this.alias('t');
    const from = super.source(of, t);
    const rows = (where: Expr, limit?: number): Select => ({ kind: 'select', columns: [star(t)], from, where, limit });
    /** `child IN (SELECT parent FROM <cte of parentOf>)`. */
    const within = (child: Expr, parentOf: SourceTable, parent: (alias: string) => Expr): Expr => {
      const x = this.alias('x');
      return inQuery(child, { kind: 'select', columns: [{ expr: parent(x), as: 'k' }], from: { kind: 'cte', name: this.define(parentOf), alias: x } });
    };
    if (of.kind === 'profile') return rows(compare('=', cast(col(t, graph.profile.id), 'VARCHAR'), param(this.profileId)), MAX_ROWS);
    if (of.kind === 'events') {
      const key = this.joinKey(EVENTS_JOIN);
      return rows(within(key(col(t, graph.events!.profileKey)), { kind: 'profile' }, (x) => key(col(x, graph.profile.id))));
    }
    const rel = this.index.relationship(of.relationship)!;
    const join = rel.join;
    const key = this.joinKey(of.relationship);
    const parent: SourceTable = rel.parent === null ? { kind: 'profile' } : { kind: 'entity', relationship: rel.parent };
    if (join.type === 'profile') return rows(within(key(col(t, join.entityColumn)), parent, (x) => key(col(x, join.profileColumn))));
    if (join.type === 'entity') return rows(within(key(col(t, join.entityColumn)), parent, (x) => key(col(x, join.parentColumn))));
    if (of.kind === 'junction') return rows(within(key(col(t, join.junctionParentColumn)), parent, (x) => key(col(x, join.parentColumn))));
    return rows(within(key(col(t, join.entityColumn)), { kind: 'junction', relationship: of.relationship }, (x) => key(col(x, join.junctionEntityColumn))));
  }
}

/** Compiles the explanation of `condition` for the profile whose id (as text) is `profileId`. */
export function explainQuery(
  condition: Condition,
  ctx: CompileContext,
  profileId: string,
  options: { entityLimit?: number; rowLimit?: number; verify?: boolean } = {},
): ExplainPlan {
  const compiler = new OneProfileCompiler(ctx, profileId);
  const p = compiler.alias('p');
  const scope: Scope = { profile: p, entities: new Map(), relationship: null };
  const from = compiler.profileRows(p);
  const nodes = explainNodes(condition);
  const leaves = new Map<number, LeafColumns>();
  const entityIds = new Map<number, Select>();
  const columns: Record<string, Expr> = options.verify ? { root: held(compiler.condition(condition, scope)) } : {};
  const explained: RowsQuery[] = [];

  for (const node of nodes) {
    const c = node.condition;
    const name = (suffix: string) => `${suffix}_${node.id}`;
    switch (c.kind) {
      case 'and':
      case 'or':
      case 'not':
        continue;
      case 'trait': {
        const leaf: LeafColumns = { held: name('held'), value: name('value') };
        columns[name('held')] = held(compiler.condition(c, scope));
        columns[leaf.value] = cast(col(p, c.trait), 'VARCHAR');
        const v = 'value' in c ? c.value : undefined;
        if (v && typeof v === 'object' && !Array.isArray(v) && 'trait' in v) {
          leaf.other = name('other');
          columns[leaf.other] = cast(col(p, v.trait), 'VARCHAR');
        }
        leaves.set(node.id, leaf);
        break;
      }
      case 'entity': {
        const leaf = { value: name('value'), other: name('other') };
        const counts = entityCounts(compiler, c.relationship, c.where, scope);
        columns[leaf.value] = counts.matching;
        columns[leaf.other] = counts.all;
        leaves.set(node.id, leaf);
        entityIds.set(node.id, matchingIds(compiler, c.relationship, c.where, options.entityLimit ?? 10));
        if (c.where) {
          const q = compiler.alias('p');
          const top: Enclosing = { from: compiler.profileRows(q), scope: { profile: q, entities: new Map(), relationship: null }, joins: [], keys: [], ranks: [] };
          explainRows(compiler, { ...c, where: c.where }, node.id, null, top, options.rowLimit ?? 5, explained);
        }
        break;
      }
      case 'event': {
        const leaf = { value: name('value'), latest: name('latest') };
        const inWindow = compiler.eventRows(c, scope);
        columns[leaf.value] = countOf(inWindow.rows, inWindow.where);
        const latest = compiler.eventRows(c, scope);
        const ts = col(latest.rows.alias, ctx.graph.events!.timestamp);
        columns[leaf.latest] = cast(
          scalar({
            kind: 'select',
            columns: [{ expr: fn('MAX', ts), as: 'latest' }],
            from: latest.rows.from,
            where: and(compare('=', latest.rows.childKey, latest.rows.parentKey), latest.matches),
          }),
          'VARCHAR',
        );
        leaves.set(node.id, leaf);
        break;
      }
      case 'audience': {
        const leaf: LeafColumns = { held: name('held'), value: name('value') };
        columns[name('held')] = held(compiler.condition(c, scope));
        columns[leaf.value] = lit(c.audience);
        leaves.set(node.id, leaf);
        break;
      }
    }
  }
  const names = Object.keys(columns);
  // Every select of the union has every column: its own, NULL for the others'.
  const rowsNames = explained.flatMap((e) => e.names);
  const unused = (except: ReadonlySet<string> = new Set()) => rowsNames.filter((as) => !except.has(as)).map((as) => ({ expr: NULL, as }));
  const profileRows: Select = {
    kind: 'select',
    columns: [
      ...names.map((as) => ({ expr: columns[as]!, as })),
      { expr: cast(NULL, 'INTEGER'), as: NODE_COLUMN },
      { expr: cast(NULL, 'VARCHAR'), as: ENTITY_ID_COLUMN },
      ...(explained.length ? [{ expr: cast(NULL, 'INTEGER'), as: ROWS_COLUMN }, ...unused()] : []),
    ],
    from,
  };
  const idRows = [...entityIds].map(([id, ids]): Select => {
    const d = compiler.alias('d');
    return {
      kind: 'select',
      columns: [
        ...names.map((as) => ({ expr: NULL, as })),
        { expr: lit(id), as: NODE_COLUMN },
        { expr: sysCol(d, ENTITY_ID_COLUMN), as: ENTITY_ID_COLUMN },
        ...(explained.length ? [{ expr: NULL, as: ROWS_COLUMN }, ...unused()] : []),
      ],
      from: derived(ids, d),
    };
  });
  const rowsSelects = explained.map((e): Select => {
    const own = new Set(e.names);
    const leading = [...names, NODE_COLUMN, ENTITY_ID_COLUMN].map((as) => ({ expr: NULL, as }));
    return {
      kind: 'select',
      columns: [...leading, { expr: lit(e.plan.id), as: ROWS_COLUMN }, ...rowsNames.map((as) => ({ expr: own.has(as) ? sysCol(e.alias, as) : NULL, as }))],
      from: e.from,
      where: e.where,
    };
  });
  const with_ = compiler.ctes();
  const queries = [profileRows, ...idRows, ...rowsSelects];
  const query: Select | Union = queries.length === 1 ? { ...profileRows, with: with_ } : { kind: 'union', all: true, with: with_, queries };
  return { query, nodes, leaves, rows: explained.map((e) => e.plan) };
}

/** An entity condition's counts at `scope`: its related rows that satisfy `where`, and all of them. */
function entityCounts(compiler: OneProfileCompiler, relationship: string, where: EntityPredicate | undefined, scope: Scope): { matching: Expr; all: Expr } {
  const rows = compiler.relatedRows(relationship, scope);
  const filter = where ? compiler.entityPredicate(where, compiler.childScope(scope, relationship, rows.alias, rows.junction)) : TRUE;
  return { matching: countOf(rows, filter), all: countOf(compiler.relatedRows(relationship, scope), TRUE) };
}

/** The related rows of `rows` that satisfy `where`, counted per parent row. */
function countOf(rows: RelatedRows, where: Expr): Expr {
  return scalar({
    kind: 'select',
    columns: [{ expr: countStar, as: 'n' }],
    from: rows.from,
    joins: rows.joins,
    where: and(compare('=', rows.childKey, rows.parentKey), where),
  });
}

/** The rows an entity condition's rows are reached through: the profile's, then each enclosing entity's. */
interface Enclosing {
  from: FromItem;
  /** The scope of the enclosing row (the profile's at the top). */
  scope: Scope;
  joins: Join[];
  /** The enclosing rows' keys and their ranks among their siblings, outermost first. */
  keys: Expr[];
  ranks: Expr[];
}

/** One RowsPlan and its select: result columns `names`, read from `from` (alias `alias`) where `where`. */
interface RowsQuery {
  plan: RowsPlan;
  names: string[];
  from: FromItem;
  alias: string;
  where: Expr;
}

/**
 * Explains the rows of `c` reached through `enclosing`: each row's key, its rank by key among the
 * rows of the same parent (the first `limit` are kept), and every part of the filter evaluated on
 * it: a column filter's verdict with the values compared, a nested entity condition's matching
 * and related rows (and its own rows explained in turn, per row kept here).
 */
function explainRows(
  compiler: OneProfileCompiler,
  c: EntityCondition & { where: EntityPredicate },
  node: number,
  parent: RowsPlan['parent'],
  enclosing: Enclosing,
  limit: number,
  out: RowsQuery[],
): void {
  const id = out.length;
  const name = (part: string) => `rows${id}_${part}`;
  const rows = compiler.relatedRows(c.relationship, enclosing.scope);
  // Below the first entity, rows join left: an enclosing row without related rows keeps its rank.
  const type: Join['type'] = enclosing.keys.length ? 'left' : 'inner';
  const joins: Join[] = [...enclosing.joins, { type, from: rows.from, on: compare('=', rows.childKey, rows.parentKey) }, ...rows.joins.map((j) => ({ ...j, type }))];
  const scope = compiler.childScope(enclosing.scope, c.relationship, rows.alias, rows.junction);
  const nativeKey = col(rows.alias, compiler.index.entityOf(c.relationship)!.primaryKey);
  const key = cast(nativeKey, 'VARCHAR');
  const keys = [...enclosing.keys, key];
  // DENSE_RANK: a row repeats once per row joined below it, and counts once. Ranked by the key as
  // the warehouse orders its type, so integer keys come 5, 29, 49, not "29", "49", "5".
  const ranks = [...enclosing.ranks, over(fn('DENSE_RANK'), { partitionBy: enclosing.keys.length ? enclosing.keys : undefined, orderBy: [{ expr: nativeKey }] })];
  const columns: Record<string, Expr> = {};
  const keyNames = keys.map((k, i) => ((columns[name(`key${i}`)] = k), name(`key${i}`)));
  ranks.forEach((r, i) => (columns[name(`rank${i}`)] = r));
  // A row joined left is there when every join reaching it matched (a junction row may name no entity row).
  columns[name('found')] = held(and(compare('=', rows.childKey, rows.parentKey), ...rows.joins.map((j) => j.on)));
  const predicates = predicateNodes(c.where);
  const leaves = new Map<number, LeafColumns>();
  // The id is taken before the nested conditions' (their plans name it as their parent); the query is complete at the end.
  out.push(undefined as unknown as RowsQuery);
  for (const p of predicates) {
    const x = p.predicate;
    const leafName = (part: string) => name(`${part}${p.id}`);
    if (x.kind === 'column') {
      const v = compiler.filterValues(x, scope);
      const leaf: LeafColumns = { held: leafName('held'), value: leafName('value') };
      columns[leaf.held!] = held(compiler.entityPredicate(x, scope));
      columns[leaf.value] = cast(v.value, 'VARCHAR');
      if (v.other) columns[(leaf.other = leafName('other'))] = cast(v.other, 'VARCHAR');
      leaves.set(p.id, leaf);
    } else if (x.kind === 'entity') {
      const leaf = { value: leafName('value'), other: leafName('other') };
      const counts = entityCounts(compiler, x.relationship, x.where, scope);
      columns[leaf.value] = counts.matching;
      columns[leaf.other] = counts.all;
      leaves.set(p.id, leaf);
      if (x.where) explainRows(compiler, { ...x, where: x.where }, node, { rows: id, predicate: p.id }, { from: enclosing.from, scope, joins, keys, ranks }, limit, out);
    }
  }
  const d = compiler.alias('d');
  out[id] = {
    plan: { id, node, parent, condition: c, keys: keyNames, rank: name(`rank${ranks.length - 1}`), predicates, leaves },
    names: Object.keys(columns),
    from: derived({ kind: 'select', columns: Object.entries(columns).map(([as, expr]) => ({ expr, as })), from: enclosing.from, joins }, d),
    alias: d,
    where: and(compare('=', sysCol(d, name('found')), TRUE), ...ranks.map((_, i) => compare('<=', sysCol(d, name(`rank${i}`)), param(limit)))),
  };
}

/** The ids of the profile's related rows that satisfy `where` (the entity matches behind the node). */
function matchingIds(compiler: OneProfileCompiler, slug: string, where: Extract<Condition, { kind: 'entity' }>['where'], limit: number): Select {
  const p = compiler.alias('p');
  const scope: Scope = { profile: p, entities: new Map(), relationship: null };
  const from = compiler.profileRows(p);
  const rows = compiler.relatedRows(slug, scope);
  const filter = where ? compiler.entityPredicate(where, compiler.childScope(scope, slug, rows.alias, rows.junction)) : TRUE;
  const pk = col(rows.alias, compiler.index.entityOf(slug)!.primaryKey);
  // The first by the key's own type (5 before 29), as the related rows explained are ranked.
  return {
    kind: 'select',
    columns: [{ expr: cast(pk, 'VARCHAR'), as: ENTITY_ID_COLUMN }],
    from,
    joins: [{ from: rows.from, on: compare('=', rows.childKey, rows.parentKey) }, ...rows.joins],
    where: filter,
    groupBy: [pk],
    orderBy: [{ expr: pk }],
    limit,
  };
}
