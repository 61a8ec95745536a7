import type { Audience, ClassicAudience } from '../model/audience.js';
import type { Condition } from '../model/condition.js';
import type { Desired } from '../model/desired.js';
import type { DataGraph } from '../model/graph.js';
import type { Warehouse } from '../warehouse/types.js';
import type { AudienceImpact, Plan } from './types.js';

/** Compiled membership: a SELECT of one column, the member profile ids, with `?` parameters. */
export interface CompiledMembership {
  sql: string;
  params: readonly unknown[];
}

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
}

/** Turns a condition into membership SQL on one side. Injected, so tests can count with plain SQL. */
export type MembershipCompiler = (condition: Condition, side: ImpactSide, wh: Warehouse) => CompiledMembership | Promise<CompiledMembership>;

export interface ImpactOptions {
  compile?: MembershipCompiler;
  /** Relative time windows count from here (default: now). */
  now?: Date;
}

/**
 * For each audience created or whose condition changes: its size under the applied condition
 * and under the new one, and how many profiles would enter and exit. One query per audience,
 * every count done by the warehouse (EXCEPT is positional and distinct in DuckDB and Snowflake,
 * so it needs no column name). Nothing is written.
 */
export async function computeImpact(wh: Warehouse, desired: Desired, plan: Plan, options: ImpactOptions = {}): Promise<AudienceImpact[]> {
  const compile = options.compile ?? (await defaultCompiler());
  const now = options.now ?? new Date();
  const sideOf = (pick: 'before' | 'after'): ImpactSide => {
    const specs = plan.changes.map((c) => ({ kind: c.kind, spec: c[pick] })).filter((x) => x.spec !== null);
    return {
      graph: (specs.find((x) => x.kind === 'data_graph')?.spec as DataGraph | undefined) ?? desired.graph,
      audiences: new Map(specs.filter((x) => x.kind === 'audience').map((x) => [(x.spec as Audience).key, (x.spec as Audience).condition])),
      classicAudiences: specs.filter((x) => x.kind === 'classic_audience').map((x) => x.spec as ClassicAudience),
      now,
    };
  };
  const applied = sideOf('before');
  const next = sideOf('after');
  const out: AudienceImpact[] = [];
  for (const c of plan.changes) {
    if (c.kind !== 'audience') continue;
    const conditionChanged = c.attributes.some((a) => a.path === 'condition' || a.path.startsWith('condition.') || a.path.startsWith('condition['));
    if (c.action !== 'create' && !((c.action === 'update' || c.action === 'replace') && conditionChanged)) continue;
    const after = c.after as Audience;
    try {
      const newSql = await compile(after.condition, next, wh);
      if (c.action === 'create') {
        const { rows } = await wh.query<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT DISTINCT * FROM (${newSql.sql}) m) d`, newSql.params, {
          tag: `linked-audiences:plan-impact:${c.key}`,
        });
        const n = Number(rows[0].n);
        out.push({ key: c.key, currentSize: null, newSize: n, entering: n, exiting: 0 });
        continue;
      }
      const current = await compile((c.before as Audience).condition, applied, wh);
      const { rows } = await wh.query<{ current_size: number; new_size: number; entering: number; exiting: number }>(
        `WITH o AS (${current.sql}), n AS (${newSql.sql})
         SELECT (SELECT COUNT(*) FROM (SELECT DISTINCT * FROM o) x) AS current_size,
                (SELECT COUNT(*) FROM (SELECT DISTINCT * FROM n) x) AS new_size,
                (SELECT COUNT(*) FROM (SELECT * FROM n EXCEPT SELECT * FROM o) x) AS entering,
                (SELECT COUNT(*) FROM (SELECT * FROM o EXCEPT SELECT * FROM n) x) AS exiting`,
        [...current.params, ...newSql.params],
        { tag: `linked-audiences:plan-impact:${c.key}` },
      );
      const r = rows[0];
      out.push({ key: c.key, currentSize: Number(r.current_size), newSize: Number(r.new_size), entering: Number(r.entering), exiting: Number(r.exiting) });
    } catch (e) {
      // One audience the warehouse cannot count (a missing table) must not hide the others' impact.
      out.push({ key: c.key, currentSize: null, newSize: 0, entering: 0, exiting: 0, error: (e as Error).message.split('\n')[0] });
    }
  }
  return out;
}

async function defaultCompiler(): Promise<MembershipCompiler> {
  return (await import('./membership-sql.js')).compileMembershipForImpact;
}
