import { nodeText } from '../model/condition-text.js';
import type { Condition, Count, EntityPredicate } from '../model/condition.js';
import { LinkedError } from '../model/errors.js';
import { ENTITY_ID_COLUMN, explainQuery, NODE_COLUMN, ROWS_COLUMN, type ExplainPlan, type RowsPlan } from '../sql/explain.js';
import { otherCaseProfileIdsQuery, type CompileContext } from '../sql/index.js';
import { execute } from '../warehouse/execute.js';
import type { Row, Warehouse } from '../warehouse/types.js';
import { decidedBy, membershipDecidedBy, type LeafValues, type MembershipSource } from './labels.js';

/** One node of the explained tree: whether it held for the profile, and why. */
export interface WhyNode {
  attribute: string;
  kind: Condition['kind'];
  /** The node in words, e.g. `trait plan = "premium"`. */
  label: string;
  held: boolean;
  /** Leaves: the values that decided it, in words. */
  decidedBy: string | null;
  values?: LeafValues;
  /** Entity nodes: the ids of the profile's related rows that match (at most the limit). */
  entityIds?: string[];
  /** "Part of" nodes: the audience named, and its kind. */
  membership?: { audience: string; source: 'linked' | 'classic' };
  /** Entity nodes with filters: the profile's related rows, each with every part of the filter evaluated on it. */
  rows?: WhyEntityRows;
  children: WhyNode[];
}

/** The related rows of an entity condition, explained: the first by key (at most the limit per parent row). */
export interface WhyEntityRows {
  /** The relationship the rows are reached by. */
  relationship: string;
  shown: WhyEntityRow[];
  /** Related rows beyond the limit, not shown. */
  more: number;
}

export interface WhyEntityRow {
  /** The row's primary key, as text. */
  key: string;
  /** Whether the row satisfies the whole filter, so counts toward the condition. */
  matched: boolean;
  /** The filter evaluated on this row. */
  where: WhyRowNode;
}

/** One node of an entity condition's filter, evaluated on one related row. */
export interface WhyRowNode {
  kind: EntityPredicate['kind'];
  /** The node in words, e.g. `balance > 1003`. */
  label: string;
  held: boolean;
  /** Leaves: the values that decided it, in words. */
  decidedBy: string | null;
  values?: LeafValues;
  /** A nested entity condition with filters: its rows related to this row, explained in turn. */
  rows?: WhyEntityRows;
  children: WhyRowNode[];
}

export interface ExplainOptions {
  /** Matching entity ids listed per entity node. */
  entityLimit?: number;
  /** Related rows explained per entity condition with filters, per parent row (default 5). */
  rowLimit?: number;
  /** Also evaluate the compiler's membership predicate and fail if the tree folds otherwise (tests). */
  verify?: boolean;
}

/** Reads a result column whatever case the warehouse gives its name (Snowflake: upper). */
const column = (row: Row, name: string): unknown => (name in row ? row[name] : row[name.toUpperCase()]);
const numberOrText = (v: unknown): string | number | null => (v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : (v as string | number));

/** Whether `n` related rows satisfy a count (what the compiler's semi join decides). */
export function countHolds(count: Count, n: number): boolean {
  return count.op === 'at_least' ? n >= count.value : count.op === 'exactly' ? n === count.value : n <= count.value;
}

/** The tree of one profile row: leaves from its columns, and / or / not folded two-valued. */
function treeOf(plan: ExplainPlan, row: Row, id = 0): WhyNode {
  const n = plan.nodes[id];
  const c = n.condition;
  const children = n.children.map((i) => treeOf(plan, row, i));
  const base = { attribute: n.attribute, kind: c.kind, label: nodeText(c), children };
  if (c.kind === 'and') return { ...base, held: children.every((x) => x.held), decidedBy: null };
  if (c.kind === 'or') return { ...base, held: children.some((x) => x.held), decidedBy: null };
  if (c.kind === 'not') return { ...base, held: !children[0].held, decidedBy: null };
  const leaf = plan.leaves.get(id)!;
  const values: LeafValues = { value: numberOrText(column(row, leaf.value)) };
  if (leaf.other) values.other = numberOrText(column(row, leaf.other));
  if (leaf.latest) values.latest = (column(row, leaf.latest) as string | null) ?? null;
  const held = leaf.held ? Boolean(column(row, leaf.held)) : countHolds((c as { count: Count }).count, Number(values.value ?? 0));
  return { ...base, held, decidedBy: decidedBy(c, values), values };
}

const keyText = (v: unknown): string => (v === null || v === undefined ? 'NULL' : String(v));

/** Keys as the warehouse orders them: numbers by value (an integer key's text is a number), the rest as text. */
const byKeyOrder = (a: string, b: string): number => {
  const [x, y] = [Number(a), Number(b)];
  if (a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
};

/**
 * The rows the explain query returned for the RowsPlans, read into trees: `rowsOf(plan, parentKeys,
 * total)` gives the rows of that plan under the enclosing rows with those keys, `total` being how
 * many related rows there are (the count the enclosing node read), so the rest is said.
 */
function entityRows(plan: ExplainPlan, all: readonly Row[]): (rows: RowsPlan, parentKeys: readonly string[], total: number) => WhyEntityRows {
  const byPlan = new Map<number, Row[]>();
  for (const r of all) {
    const id = column(r, ROWS_COLUMN);
    if (id === null || id === undefined) continue;
    const list = byPlan.get(Number(id)) ?? [];
    list.push(r);
    byPlan.set(Number(id), list);
  }
  const rowTree = (rows: RowsPlan, row: Row, id: number, keys: readonly string[]): WhyRowNode => {
    const n = rows.predicates[id]!;
    const x = n.predicate;
    const children = n.children.map((i) => rowTree(rows, row, i, keys));
    const base = { kind: x.kind, label: nodeText(x), children };
    if (x.kind === 'and') return { ...base, held: children.every((c) => c.held), decidedBy: null };
    if (x.kind === 'or') return { ...base, held: children.some((c) => c.held), decidedBy: null };
    if (x.kind === 'not') return { ...base, held: !children[0]!.held, decidedBy: null };
    const leaf = rows.leaves.get(id)!;
    const values: LeafValues = { value: numberOrText(column(row, leaf.value)) };
    if (leaf.other) values.other = numberOrText(column(row, leaf.other));
    if (x.kind === 'column') return { ...base, held: Boolean(column(row, leaf.held!)), decidedBy: decidedBy(x, values), values };
    const nested = plan.rows.find((q) => q.parent?.rows === rows.id && q.parent.predicate === id);
    return {
      ...base,
      held: countHolds(x.count, Number(values.value ?? 0)),
      decidedBy: decidedBy(x, values),
      values,
      ...(nested ? { rows: rowsOf(nested, keys, Number(values.other ?? 0)) } : {}),
    };
  };
  const rowsOf = (rows: RowsPlan, parentKeys: readonly string[], total: number): WhyEntityRows => {
    const own = rows.keys.at(-1)!;
    const byKey = new Map<string, Row>();
    const rank = (r: Row) => Number(column(r, rows.rank));
    for (const r of byPlan.get(rows.id) ?? []) {
      if (!parentKeys.every((k, i) => keyText(column(r, rows.keys[i]!)) === k)) continue;
      // A row repeats when several profile rows share the id: each key is explained once.
      const key = keyText(column(r, own));
      if (!byKey.has(key)) byKey.set(key, r);
    }
    const shown = [...byKey]
      // In the order the warehouse ranked them (by the key's own type: 5 before 29).
      .sort(([, a], [, b]) => rank(a) - rank(b))
      .map(([key, r]): WhyEntityRow => {
        const where = rowTree(rows, r, 0, [...parentKeys, key]);
        return { key, matched: where.held, where };
      });
    return { relationship: rows.condition.relationship, shown, more: Math.max(0, total - shown.length) };
  };
  return rowsOf;
}

/** Where the compiler reads the members of an audience a "part of" names, as the run reads them. */
function membershipSource(audience: string, source: 'linked' | 'classic', ctx: CompileContext): MembershipSource {
  if (source === 'classic') return { kind: 'classic', table: ctx.classicAudiences.find((a) => a.key === audience)?.table ?? audience };
  return { kind: ctx.linkedAudience(audience).kind === 'snapshot' ? 'snapshot' : 'inline' };
}

/**
 * Evaluates every node of `condition` for one profile in the warehouse, in one query: the leaves'
 * verdicts and values, and the matching ids of each entity node. `rows`: how many profile
 * rows have the id; membership is by id, so with several the tree shown is of one that satisfies
 * the condition, if any. Throws PROFILE_NOT_FOUND when no profile has the id.
 */
export async function explainProfile(wh: Warehouse, condition: Condition, ctx: CompileContext, profileId: string, options: ExplainOptions = {}): Promise<{ tree: WhyNode; rows: number }> {
  if (profileId === '') {
    throw new LinkedError(
      'PROFILE_ID_EMPTY',
      `An empty ${ctx.graph.profile.id} is no id: a profile row whose id is NULL or empty text is never a member of any audience. Give the id of a profile.`,
    );
  }
  const plan = explainQuery(condition, ctx, profileId, options);
  const all = (await execute(wh, plan.query)).rows;
  const absent = (v: unknown) => v === null || v === undefined;
  const rows = all.filter((r) => absent(column(r, NODE_COLUMN)) && absent(column(r, ROWS_COLUMN)));
  const idsOf = new Map<number, string[]>();
  for (const r of all) {
    const node = column(r, NODE_COLUMN);
    if (node === null || node === undefined) continue;
    const list = idsOf.get(Number(node)) ?? [];
    list.push(String(column(r, ENTITY_ID_COLUMN)));
    idsOf.set(Number(node), list);
  }
  if (rows.length === 0) {
    const others = (await execute(wh, otherCaseProfileIdsQuery(ctx.graph, profileId))).rows.map((r) => String(column(r, 'id')));
    const otherCase = others.length ? ` Ids compare exactly, letter case included: did you mean ${others.map((x) => JSON.stringify(x)).join(' or ')}?` : '';
    throw new LinkedError(
      'PROFILE_NOT_FOUND',
      `No profile in ${ctx.graph.profile.table} has ${ctx.graph.profile.id} ${JSON.stringify(profileId)}.${otherCase} Check the id (\`linked deliveries --user-id\` shows the ids events were sent to).`,
    );
  }
  const trees = rows.map((row) => treeOf(plan, row));
  if (options.verify) {
    // The compiler's own membership predicate, row by row: the fold cannot differ unless the explanation is wrong.
    rows.forEach((row, i) => {
      const root = Boolean(column(row, 'root'));
      if (root !== trees[i].held) throw new LinkedError('WHY_INCONSISTENT', `The explanation of profile ${profileId} folds to ${trees[i].held} but membership is ${root}.`);
    });
  }
  const chosen = Math.max(0, trees.findIndex((t) => t.held));
  const tree = trees[chosen];
  const rowsOf = entityRows(plan, all);
  const nodes = new Map<string, WhyNode>();
  const index = (t: WhyNode) => (nodes.set(t.attribute, t), t.children.forEach(index));
  index(tree);
  for (const n of plan.nodes) {
    const c = n.condition;
    const node = nodes.get(n.attribute);
    if (!node) continue;
    // The chosen row's tree; with no matching rows for it, nothing to list.
    if (c.kind === 'entity') node.entityIds = Number(node.values?.value ?? 0) === 0 ? [] : (idsOf.get(n.id) ?? []).sort(byKeyOrder);
    const rows = plan.rows.find((q) => q.parent === null && q.node === n.id);
    if (rows) node.rows = rowsOf(rows, [], Number(node.values?.other ?? 0));
    if (c.kind === 'audience') {
      node.membership = { audience: c.audience, source: c.source };
      node.decidedBy = membershipDecidedBy(c, node.held, membershipSource(c.audience, c.source, ctx));
    }
  }
  return { tree, rows: rows.length };
}
