import type { Condition } from '../model/condition.js';
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
  param,
  scalar,
  star,
  sysCol,
  type Cte,
  type Expr,
  type FromItem,
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
}

/** The column that tells a profile row (NULL) from an entity id row (the node's id). */
export const NODE_COLUMN = 'why_node';
export const ENTITY_ID_COLUMN = 'entity_id';

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
export function explainQuery(condition: Condition, ctx: CompileContext, profileId: string, options: { entityLimit?: number; verify?: boolean } = {}): ExplainPlan {
  const compiler = new OneProfileCompiler(ctx, profileId);
  const p = compiler.alias('p');
  const scope: Scope = { profile: p, entities: new Map(), relationship: null };
  const from = compiler.profileRows(p);
  const nodes = explainNodes(condition);
  const leaves = new Map<number, LeafColumns>();
  const entityIds = new Map<number, Select>();
  const columns: Record<string, Expr> = options.verify ? { root: held(compiler.condition(condition, scope)) } : {};
  const countOf = (rows: RelatedRows, where: Expr): Expr =>
    scalar({
      kind: 'select',
      columns: [{ expr: countStar, as: 'n' }],
      from: rows.from,
      joins: rows.joins,
      where: and(compare('=', rows.childKey, rows.parentKey), where),
    });

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
        const rows = compiler.relatedRows(c.relationship, scope);
        const where = c.where ? compiler.entityPredicate(c.where, compiler.childScope(scope, c.relationship, rows.alias, rows.junction)) : TRUE;
        columns[leaf.value] = countOf(rows, where);
        columns[leaf.other] = countOf(compiler.relatedRows(c.relationship, scope), TRUE);
        leaves.set(node.id, leaf);
        entityIds.set(node.id, matchingIds(compiler, c.relationship, c.where, options.entityLimit ?? 10));
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
  const profileRows: Select = {
    kind: 'select',
    columns: [...names.map((as) => ({ expr: columns[as]!, as })), { expr: cast(NULL, 'INTEGER'), as: NODE_COLUMN }, { expr: cast(NULL, 'VARCHAR'), as: ENTITY_ID_COLUMN }],
    from,
  };
  const idRows = [...entityIds].map(([id, ids]): Select => {
    const d = compiler.alias('d');
    return {
      kind: 'select',
      columns: [...names.map((as) => ({ expr: NULL, as })), { expr: lit(id), as: NODE_COLUMN }, { expr: sysCol(d, ENTITY_ID_COLUMN), as: ENTITY_ID_COLUMN }],
      from: derived(ids, d),
    };
  });
  const with_ = compiler.ctes();
  const query: Select | Union = idRows.length === 0 ? { ...profileRows, with: with_ } : { kind: 'union', all: true, with: with_, queries: [profileRows, ...idRows] };
  return { query, nodes, leaves };
}

/** The ids of the profile's related rows that satisfy `where` (the entity matches behind the node). */
function matchingIds(compiler: OneProfileCompiler, slug: string, where: Extract<Condition, { kind: 'entity' }>['where'], limit: number): Select {
  const p = compiler.alias('p');
  const scope: Scope = { profile: p, entities: new Map(), relationship: null };
  const from = compiler.profileRows(p);
  const rows = compiler.relatedRows(slug, scope);
  const filter = where ? compiler.entityPredicate(where, compiler.childScope(scope, slug, rows.alias, rows.junction)) : TRUE;
  const pk = compiler.index.entityOf(slug)!.primaryKey;
  const id = cast(col(rows.alias, pk), 'VARCHAR');
  return {
    kind: 'select',
    distinct: true,
    columns: [{ expr: id, as: ENTITY_ID_COLUMN }],
    from,
    joins: [{ from: rows.from, on: compare('=', rows.childKey, rows.parentKey) }, ...rows.joins],
    where: filter,
    orderBy: [{ expr: id }],
    limit,
  };
}
