import { nodeText } from '../model/condition-text.js';
import type { Condition, Count } from '../model/condition.js';
import { LinkedError } from '../model/errors.js';
import { ENTITY_ID_COLUMN, explainQuery, NODE_COLUMN, type ExplainPlan } from '../sql/explain.js';
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
  children: WhyNode[];
}

export interface ExplainOptions {
  /** Matching entity ids listed per entity node. */
  entityLimit?: number;
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
  const rows = all.filter((r) => column(r, NODE_COLUMN) === null || column(r, NODE_COLUMN) === undefined);
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
  const nodes = new Map<string, WhyNode>();
  const index = (t: WhyNode) => (nodes.set(t.attribute, t), t.children.forEach(index));
  index(tree);
  for (const n of plan.nodes) {
    const c = n.condition;
    const node = nodes.get(n.attribute);
    if (!node) continue;
    // The chosen row's tree; with no matching rows for it, nothing to list.
    if (c.kind === 'entity') node.entityIds = Number(node.values?.value ?? 0) === 0 ? [] : (idsOf.get(n.id) ?? []).sort();
    if (c.kind === 'audience') {
      node.membership = { audience: c.audience, source: c.source };
      node.decidedBy = membershipDecidedBy(c, node.held, membershipSource(c.audience, c.source, ctx));
    }
  }
  return { tree, rows: rows.length };
}
