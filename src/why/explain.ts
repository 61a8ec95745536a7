import { conditionLabel } from '../model/condition-label.js';
import type { Condition } from '../model/condition.js';
import { LinkedError } from '../model/errors.js';
import { explainQuery, type ExplainNode } from '../sql/explain.js';
import type { CompileContext } from '../sql/index.js';
import { execute } from '../warehouse/execute.js';
import type { Row, Warehouse } from '../warehouse/types.js';
import { decidedBy, type LeafValues } from './labels.js';

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
  children: WhyNode[];
}

/** Reads a result column whatever case the warehouse gives its name (Snowflake: upper). */
const column = (row: Row, name: string): unknown => (name in row ? row[name] : row[name.toUpperCase()]);
const numberOrText = (v: unknown): string | number | null => (v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : (v as string | number));

/**
 * Evaluates every node of `condition` for one profile in the warehouse: one query for the verdicts
 * and values, and one per entity node for its matching ids. `rows`: how many profile rows have the
 * id (more than one is a data problem the explanation names). Throws PROFILE_NOT_FOUND when no
 * profile has the id.
 */
export async function explainProfile(
  wh: Warehouse,
  condition: Condition,
  ctx: CompileContext,
  profileId: string,
  options: { entityLimit?: number } = {},
): Promise<{ tree: WhyNode; rows: number }> {
  const plan = explainQuery(condition, ctx, profileId, options);
  const { rows } = await execute(wh, plan.query);
  if (rows.length === 0) {
    throw new LinkedError(
      'PROFILE_NOT_FOUND',
      `No profile in ${ctx.graph.profile.table} has ${ctx.graph.profile.id} ${JSON.stringify(profileId)}. Check the id (\`linked deliveries --user-id\` shows the ids events were sent to).`,
    );
  }
  const ids = new Map<number, string[]>();
  for (const [node, query] of plan.entityIds) ids.set(node, (await execute(wh, query)).rows.map((r) => String(column(r, 'entity_id'))));

  // Membership is by id: with several rows for one id, the row that satisfies the condition (if any) explains it.
  const row = rows.find((r) => Boolean(column(r, 'root'))) ?? rows[0];
  const build = (n: ExplainNode): WhyNode => {
    const children = n.children.map((i) => build(plan.nodes[i]));
    const base = { attribute: n.attribute, kind: n.condition.kind, label: conditionLabel(n.condition), children };
    const c = n.condition;
    if (c.kind === 'and') return { ...base, held: children.every((x) => x.held), decidedBy: null };
    if (c.kind === 'or') return { ...base, held: children.some((x) => x.held), decidedBy: null };
    if (c.kind === 'not') return { ...base, held: !children[0].held, decidedBy: null };
    const leaf = plan.leaves.get(n.id)!;
    const values: LeafValues = { value: numberOrText(column(row, leaf.value)) };
    if (leaf.other) values.other = numberOrText(column(row, leaf.other));
    if (leaf.latest) values.latest = (column(row, leaf.latest) as string | null) ?? null;
    return {
      ...base,
      held: Boolean(column(row, leaf.held)),
      decidedBy: decidedBy(c, values),
      values,
      ...(ids.has(n.id) ? { entityIds: ids.get(n.id) } : {}),
    };
  };
  const tree = build(plan.nodes[0]);
  // The tree folds its leaves with the two-valued logic membership uses; the root column is the
  // compiler's own membership predicate. They cannot differ unless the explanation is wrong.
  const root = Boolean(column(row, 'root'));
  if (root !== tree.held) {
    throw new LinkedError('WHY_INCONSISTENT', `The explanation of profile ${profileId} folds to ${tree.held} but membership is ${root}: please report this with the audience's condition.`);
  }
  return { tree, rows: rows.length };
}
