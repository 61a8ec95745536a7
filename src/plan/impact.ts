import { castJoinsFromSnapshot, snapshotCatalog } from '../graph/catalog.js';
import type { Audience, ClassicAudience } from '../model/audience.js';
import type { Condition } from '../model/condition.js';
import { linkedAudiencesUsed } from '../model/condition-walk.js';
import type { Desired } from '../model/desired.js';
import type { DataGraph } from '../model/graph.js';
import { LinkedError } from '../model/errors.js';
import { except, scalar, select, star, type FromItem, type Select } from '../dialect/ast.js';
import { systemName, type Dialect } from '../dialect/dialect.js';
import { compileContext, countQuery, membershipQuery, type CompileContext } from '../sql/index.js';
import { execute } from '../warehouse/execute.js';
import type { Warehouse } from '../warehouse/types.js';
import type { AudienceImpact, Plan } from './types.js';

/**
 * One side of the comparison: the applied resources (for the current condition) or the desired
 * ones (for the new condition). "Part of an audience" conditions resolve within the same side.
 */
export interface ImpactSide {
  graph: DataGraph;
  /** Conditions of the linked audiences on this side, by key. */
  audiences: ReadonlyMap<string, Condition>;
  classicAudiences: ClassicAudience[];
  now: Date;
  /** Relationships joined on a cast to text: their key types differ in the warehouse now. */
  castJoins: string[];
}

export interface ImpactOptions {
  /** Relative time windows count from here (default: now). */
  now?: Date;
}

/**
 * The compile context of one side. A "part of" condition on another linked audience is compiled
 * inline from that side's condition (not the compute snapshot), so both sizes are evaluated on the
 * same data at the same moment.
 */
function sideContext(side: ImpactSide, dialect: Dialect): CompileContext {
  return compileContext({
    dialect,
    graph: side.graph,
    classicAudiences: side.classicAudiences,
    now: side.now,
    castJoins: side.castJoins,
    audience: (key) => {
      const condition = side.audiences.get(key);
      return condition && { condition, enabled: false };
    },
    unknownAudience: (key) => new LinkedError('AUDIENCE_NOT_FOUND', `Audience ${key} is referenced but not declared.`),
  });
}

const everyRow = (from: FromItem, distinct = false): Select => select([star()], { distinct, from });
const cte = (name: string): FromItem => ({ kind: 'cte', name, alias: name });

/** The size of a new audience's membership. */
function newSizeQuery(members: Select): Select {
  return countQuery(everyRow({ kind: 'derived', query: members, alias: 'm' }, true));
}

/**
 * Sizes before and after, and the profiles entering and exiting, in one statement. EXCEPT is
 * positional and distinct in DuckDB and Snowflake, so it needs no column name.
 */
function movementQuery(current: Select, next: Select): Select {
  const size = (name: string) => scalar(countQuery(everyRow(cte(name), true)));
  const minus = (a: string, b: string) => scalar(countQuery(except(everyRow(cte(a)), everyRow(cte(b)))));
  return select(
    { current_size: size('o'), new_size: size('n'), entering: minus('n', 'o'), exiting: minus('o', 'n') },
    { with: [{ name: 'o', query: current }, { name: 'n', query: next }] },
  );
}

/** Whether a plan change gives an audience a new membership query: created, or its condition edited. */
function conditionMoves(c: Plan['changes'][number]): boolean {
  if (c.kind !== 'audience') return false;
  if (c.action === 'create') return true;
  const conditionChanged = c.attributes.some((a) => a.path === 'condition' || a.path.startsWith('condition.') || a.path.startsWith('condition['));
  return (c.action === 'update' || c.action === 'replace') && conditionChanged;
}

/**
 * The audiences whose own condition stays but that read an audience whose condition moves ("part
 * of", directly or through other audiences): their members move with it and their emitters send
 * for the movement, so the plan counts them too. By key: the moving audiences each one reads.
 */
function dependentsOf(moving: ReadonlySet<string>, desiredConditions: ReadonlyMap<string, Condition>): Map<string, string[]> {
  const through = new Map<string, Set<string>>();
  const reach = (key: string, seen: Set<string>): Set<string> => {
    const out = new Set<string>();
    const condition = desiredConditions.get(key);
    if (!condition || seen.has(key)) return out;
    seen.add(key);
    for (const used of linkedAudiencesUsed(condition)) {
      if (moving.has(used)) out.add(used);
      for (const deeper of reach(used, seen)) out.add(deeper);
    }
    return out;
  };
  for (const key of desiredConditions.keys()) {
    if (moving.has(key)) continue;
    const reads = reach(key, new Set());
    if (reads.size) through.set(key, reads);
  }
  return new Map([...through].map(([key, reads]) => [key, [...reads].sort()]));
}

/**
 * For each audience created or whose condition changes, and each audience that reads one of them
 * ("part of"): its size under the applied conditions and under the new ones, and how many profiles
 * would enter and exit. One disabled once applied is counted too (its sizes tell what enabling it
 * would start from) but marked: it is not computed, so nothing moves on apply. One query per audience, every count done by the warehouse (EXCEPT is
 * positional and distinct in DuckDB and Snowflake, so it needs no column name). Nothing is written.
 */
export async function computeImpact(wh: Warehouse, desired: Desired, plan: Plan, options: ImpactOptions = {}): Promise<AudienceImpact[]> {
  const name = (column: string) => systemName(wh.dialect, column);
  const now = options.now ?? new Date();
  const sideOf = async (pick: 'before' | 'after'): Promise<ImpactSide> => {
    const specs = plan.changes.map((c) => ({ kind: c.kind, spec: c[pick] })).filter((x) => x.spec !== null);
    const graph = (specs.find((x) => x.kind === 'data_graph')?.spec as DataGraph | undefined) ?? desired.graph;
    return {
      graph,
      castJoins: castJoinsFromSnapshot(graph, await snapshotCatalog(graph, wh)),
      audiences: new Map(specs.filter((x) => x.kind === 'audience').map((x) => [(x.spec as Audience).key, (x.spec as Audience).condition])),
      classicAudiences: specs.filter((x) => x.kind === 'classic_audience').map((x) => x.spec as ClassicAudience),
      now,
    };
  };
  const moving = plan.changes.filter(conditionMoves);
  if (moving.length === 0) return [];
  const applied = await sideOf('before');
  const nextSide = await sideOf('after');
  const dependents = dependentsOf(new Set(moving.map((c) => c.key)), nextSide.audiences);
  const out: AudienceImpact[] = [];
  for (const c of plan.changes) {
    const through = dependents.get(c.key);
    if (!conditionMoves(c) && !(c.kind === 'audience' && through && c.before !== null)) continue;
    const after = c.after as Audience;
    const marks = { ...(through ? { through } : {}), ...(after.enabled ? {} : { disabled: true as const }) };
    try {
      const next = membershipQuery(after.condition, sideContext(nextSide, wh.dialect));
      const tag = { tag: `linked-audiences:plan-impact:${c.key}` };
      // Created, or written again over a stored spec that cannot be read: no applied condition to count.
      if (c.action === 'create' || c.before === null) {
        const n = Number((await execute(wh, newSizeQuery(next), tag)).rows[0][name('n')]);
        out.push({ key: c.key, currentSize: null, newSize: n, entering: n, exiting: 0, ...marks });
        continue;
      }
      const current = membershipQuery((c.before as Audience).condition, sideContext(applied, wh.dialect));
      const r = (await execute(wh, movementQuery(current, next), tag)).rows[0];
      out.push({ key: c.key, currentSize: Number(r[name('current_size')]), newSize: Number(r[name('new_size')]), entering: Number(r[name('entering')]), exiting: Number(r[name('exiting')]), ...marks });
    } catch (e) {
      // One audience the warehouse cannot count (a missing table) must not hide the others' impact.
      out.push({ key: c.key, currentSize: null, newSize: 0, entering: 0, exiting: 0, ...marks, error: (e as Error).message.split('\n')[0] });
    }
  }
  return out;
}
