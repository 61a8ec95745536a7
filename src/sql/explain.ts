import type { Condition } from '../model/condition.js';
import {
  FALSE,
  TRUE,
  and,
  cast,
  caseWhen,
  col,
  compare,
  countStar,
  fn,
  lit,
  param,
  scalar,
  table,
  type Expr,
  type Select,
} from '../dialect/ast.js';
import { ConditionCompiler, type RelatedRows, type Scope } from './compiler.js';
import type { CompileContext } from './context.js';

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
 * The query `linked why` runs for one profile: one row per profile row with the id (none when no
 * profile has it), with a column per leaf of the tree: its verdict or the count it follows from,
 * and the values behind it. Counts are correlated to the one profile; the and / or / not nodes
 * are folded from their leaves by the caller, with membership's two-valued logic. `verify` adds
 * the compiler's own membership predicate as column `root`, which the fold must equal (tests).
 */
export interface ExplainPlan {
  query: Select;
  nodes: ExplainNode[];
  leaves: Map<number, LeafColumns>;
  /** Per entity node: its matching entity ids for this profile (column `entity_id`), at most `limit`. */
  entityIds: Map<number, Select>;
}

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

/** Compiles the explanation of `condition` for the profile whose id (as text) is `profileId`. */
export function explainQuery(condition: Condition, ctx: CompileContext, profileId: string, options: { entityLimit?: number; verify?: boolean } = {}): ExplainPlan {
  const compiler = new ConditionCompiler(ctx);
  const profile = ctx.graph.profile;
  const p = compiler.alias('p');
  const scope: Scope = { profile: p, entities: new Map(), relationship: null };
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
  const isThisProfile = compare('=', cast(col(p, profile.id), 'VARCHAR'), param(profileId));

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
        const where = c.where ? compiler.entityPredicate(c.where, compiler.childScope(scope, c.relationship, rows.alias)) : TRUE;
        columns[leaf.value] = countOf(rows, where);
        columns[leaf.other] = countOf(compiler.relatedRows(c.relationship, scope), TRUE);
        leaves.set(node.id, leaf);
        entityIds.set(node.id, matchingIds(compiler, c.relationship, c.where, p, isThisProfile, options.entityLimit ?? 10));
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
  const query: Select = { kind: 'select', columns: Object.entries(columns).map(([as, expr]) => ({ expr, as })), from: table(profile.table, p), where: isThisProfile, limit: MAX_ROWS };
  return { query, nodes, leaves, entityIds };
}

/** The ids of the profile's related rows that satisfy `where` (the entity matches behind the node). */
function matchingIds(
  compiler: ConditionCompiler,
  slug: string,
  where: Extract<Condition, { kind: 'entity' }>['where'],
  p: string,
  isThisProfile: Expr,
  limit: number,
): Select {
  const scope: Scope = { profile: p, entities: new Map(), relationship: null };
  const rows = compiler.relatedRows(slug, scope);
  const filter = where ? compiler.entityPredicate(where, compiler.childScope(scope, slug, rows.alias)) : TRUE;
  const pk = compiler.index.entityOf(slug)!.primaryKey;
  const id = cast(col(rows.alias, pk), 'VARCHAR');
  return {
    kind: 'select',
    distinct: true,
    columns: [{ expr: id, as: 'entity_id' }],
    from: table(compiler.ctx.graph.profile.table, p),
    joins: [{ from: rows.from, on: compare('=', rows.childKey, rows.parentKey) }, ...rows.joins],
    where: and(isThisProfile, filter),
    orderBy: [{ expr: id }],
    limit,
  };
}
