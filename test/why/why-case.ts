/*
 * One generated differential case (test/support/generate.ts) explained profile by profile: for
 * sampled profiles, members and not, `why`'s root must equal membership (the reference evaluator
 * and the compiled membership query alike), and every node must equal the reference evaluator's
 * verdict for that node's sub-condition.
 */
import { expect } from 'vitest';
import type { Condition, EntityCondition, EntityPredicate } from '../../src/model/condition.js';
import { compileMembership } from '../../src/sql/index.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { explainProfile, type WhyEntityRows, type WhyNode, type WhyRowNode } from '../../src/why/explain.js';
import type { Dialect } from '../../src/dialect/dialect.js';
import { contextFor } from '../support/context.js';
import { generateCase } from '../support/generate.js';
import { Reference } from '../support/reference.js';
import { tableOf } from '../support/world.js';

export interface WhyCaseOutcome {
  profiles: number;
  /** Profiles whose every node was checked against the reference (their id names one row). */
  checkedTrees: number;
  members: number;
  nodes: number;
  /** Related rows whose verdict (it counts or not) was checked against the reference. */
  rows: number;
}

/** Loads the case's world with `load`, explains up to `sample` profiles per condition, drops the world. */
export async function checkWhyCase(
  wh: Warehouse,
  dialect: Dialect,
  seed: number,
  world: { load: (w: ReturnType<typeof generateCase>['world']) => Promise<void>; drop: (w: ReturnType<typeof generateCase>['world']) => Promise<void> },
  sample = 6,
): Promise<WhyCaseOutcome> {
  const c = generateCase(seed);
  const ctx = contextFor(c.world, dialect);
  const ref = new Reference(c.world);
  const profile = c.world.graph.profile;
  const all = tableOf(c.world, profile.table).rows.map((r) => r[profile.id]).filter((v) => v !== null).map(String);
  const ids = [...new Set(all)];
  // The generator repeats some ids: membership is by id (any row), so a node's verdict is compared
  // with the reference only where one row has the id.
  const unique = new Set(ids.filter((id) => all.indexOf(id) === all.lastIndexOf(id)));
  const outcome: WhyCaseOutcome = { profiles: 0, checkedTrees: 0, members: 0, nodes: 0, rows: 0 };
  await world.load(c.world);
  try {
    for (const condition of [c.condition, ...(c.chained ? [c.chained] : [])]) {
      const members = ref.membership(condition);
      const q = compileMembership(condition, ctx);
      const compiled = new Set((await wh.query<Record<string, unknown>>(q.sql, q.params)).rows.map((r) => String(r.profile_id ?? r.PROFILE_ID)));
      // Members and non-members alike, spread over the table.
      const inside = ids.filter((id) => members.has(id));
      const outside = ids.filter((id) => !members.has(id));
      const pick = (list: string[]) => list.filter((_, i) => i % Math.max(1, Math.ceil(list.length / (sample / 2))) === 0);
      for (const id of [...pick(inside), ...pick(outside)]) {
        const where = `seed ${seed}, profile ${id}\ncondition: ${JSON.stringify(condition)}`;
        const { tree, rows } = await explainProfile(wh, condition, ctx, id, { verify: true });
        expect(rows, where).toBe(all.filter((x) => x === id).length);
        expect(tree.held, `root vs compiled membership, ${where}`).toBe(compiled.has(id));
        expect(tree.held, `root vs reference, ${where}`).toBe(members.has(id));
        // Each related row explained, and the rows of nested conditions under it: counts or not, as the reference says.
        const checkRows = (rows: WhyEntityRows, ec: EntityCondition, path: { relationship: string; key: string }[]) => {
          const verdicts = ref.rowVerdicts(id, path, ec);
          if (!verdicts) return;
          for (const row of rows.shown) {
            expect(verdicts.has(row.key), `row ${row.key} of ${ec.relationship} under ${JSON.stringify(path)}, ${where}`).toBe(true);
            const verdict = verdicts.get(row.key);
            if (verdict !== undefined) {
              expect(row.matched, `row ${row.key} of ${ec.relationship} under ${JSON.stringify(path)}, ${where}`).toBe(verdict);
              outcome.rows++;
            }
            const inner = [...path, { relationship: ec.relationship, key: row.key }];
            const nested = (n: WhyRowNode, p: EntityPredicate): void => {
              if (p.kind === 'and' || p.kind === 'or') p.conditions.forEach((x, i) => nested(n.children[i]!, x));
              else if (p.kind === 'not') nested(n.children[0]!, p.condition);
              else if (p.kind === 'entity' && n.rows) checkRows(n.rows, p, inner);
            };
            nested(row.where, ec.where!);
          }
        };
        const check = (n: WhyNode, sub: Condition) => {
          expect(n.held, `node ${n.attribute} (${n.label}), ${where}`).toBe(ref.membership(sub).has(id));
          outcome.nodes++;
          if (sub.kind === 'entity' && n.rows) checkRows(n.rows, sub, []);
          if (sub.kind === 'and' || sub.kind === 'or') sub.conditions.forEach((x, i) => check(n.children[i], x));
          if (sub.kind === 'not') check(n.children[0], sub.condition);
        };
        if (unique.has(id)) {
          check(tree, condition);
          outcome.checkedTrees++;
        }
        outcome.profiles++;
        if (tree.held) outcome.members++;
      }
    }
  } finally {
    await world.drop(c.world);
  }
  return outcome;
}
