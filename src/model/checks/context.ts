import type { Audience } from '../audience.js';
import type { Desired } from '../desired.js';
import type { Diagnostic } from '../diagnostics.js';
import { junctionColumnsExposed, type Entity, type JunctionJoin } from '../graph.js';
import type { GraphIndex } from '../../model/graph-index.js';

/** The seed's name for the level a relationship hangs from when it is the profile itself. */
import { didYouMean } from '../suggest.js';
import { GRAPH_ERRORS } from '../seed-messages.js';

export const PROFILE = 'profile';

/** What the checks of audiences and emitters look up: the keys declared and the graph's index. */
export class CheckContext {
  readonly audiences: Set<string>;
  readonly classic: Set<string>;
  readonly destinations: Set<string>;
  readonly audienceByKey: Map<string, Audience>;
  readonly profileColumns: Set<string>;
  constructor(
    readonly desired: Desired,
    readonly index: GraphIndex,
  ) {
    this.audiences = new Set(desired.audiences.map((a) => a.key));
    this.audienceByKey = new Map(desired.audiences.map((a) => [a.key, a]));
    this.classic = new Set(desired.classicAudiences.map((a) => a.key));
    this.destinations = new Set(desired.destinations.map((d) => d.key));
    const p = desired.graph.profile;
    this.profileColumns = new Set([p.id, ...p.traits, ...p.identifiers]);
  }
}

/** An error-level diagnostic about one resource (and one of its attributes). */
export function error(code: string, message: string, resource: string, attribute?: string, hint?: string): Diagnostic {
  const d: Diagnostic = { severity: 'error', code, message, resource };
  if (attribute !== undefined) d.attribute = attribute;
  if (hint) d.hint = hint;
  return d;
}

/** Reports a profile column (trait, identifier or id) the profile does not declare, with the close one as a hint. */
export function checkTrait(trait: string, attr: string, ctx: CheckContext, at: string, out: Diagnostic[]): void {
  if (!ctx.profileColumns.has(trait)) out.push(error('TRAIT_MISSING', `Trait missing from Data Graph profile: ${trait}`, at, attr, didYouMean(trait, ctx.profileColumns).trim()));
}

/** Reports a column the entity does not expose. */
export function checkColumn(entity: Entity, column: string, attr: string, at: string, out: Diagnostic[]): void {
  // The primary key is always addressable; `columns` lists what else is exposed.
  if (entity.columns === undefined || entity.columns.length === 0 || column === entity.primaryKey) return;
  if (!entity.columns.includes(column)) {
    out.push(error('COLUMN_MISSING', GRAPH_ERRORS.columnMissing(entity.slug, column), at, attr, didYouMean(column, [entity.primaryKey, ...entity.columns]).trim()));
  }
}

/** Reports a junction column the junction does not expose (its keys always are; `columns` lists the rest). */
export function checkJunctionExposes(slug: string, join: JunctionJoin, column: string, attr: string, at: string, out: Diagnostic[]): void {
  const exposed = junctionColumnsExposed(join);
  if (!exposed || exposed.includes(column)) return;
  out.push(
    error(
      'JUNCTION_COLUMN_MISSING',
      `Junction column missing from Data Graph for relationship ${slug} and Column: ${column} (junction table ${join.table} exposes ${exposed.join(', ')})`,
      at,
      attr,
      didYouMean(column, exposed).trim(),
    ),
  );
}
