import { and, cast, col, eq, isNotNull, select, sysCol, table, unionAll, type Expr, type FromItem, type Select, type SelectColumn } from '../../dialect/ast.js';
import type { Dialect } from '../../dialect/dialect.js';
import type { DataGraph } from '../../model/graph.js';
import { tableKey } from '../../graph/catalog.js';
import type { PageKeys } from './keys.js';
import { PathJoins, type JoinedPath } from './joins.js';
import type { EnrichmentPlan, OtherEntity } from './plan.js';

/** A condition keeping an entity row (its id as text; its profile's when known) only when it matched the audience along `path`. */
export type MatchedEntity = (path: string, entityId: Expr, profileId?: Expr) => Expr;

/** Output columns of the enrichment queries (our names: the user's columns are aliased to them). */
export const ID = '__id';
export const ENTITY_ID = '__eid';
export const traitColumn = (i: number) => `t${i}`;
export const chainColumn = (level: number, j: number) => `c${level}_${j}`;
export const otherColumn = (j: number) => `c${j}`;
export const chainLinkColumn = (level: number, j: number) => `l${level}_${j}`;
export const otherLinkColumn = (j: number) => `l${j}`;

const PROFILE = 'p';
const ANCHOR = 'a';
const KEYS = 'k';

/** `CAST(alias.column AS VARCHAR)`: ids compare as text, as the outbox stores them. */
export const asText = (alias: string, column: string): Expr => cast(col(alias, column), 'VARCHAR');

/**
 * An id as text: the column itself when the catalog says it is text (`textKeys`, `table.column`),
 * else cast. A cast join key keeps the warehouse from parallelizing or pruning the join by it.
 */
const idAsText =
  (textKeys: readonly string[]) =>
  (alias: string, table: string, column: string): Expr =>
    textKeys.includes(tableKey(table, column)) ? col(alias, column) : asText(alias, column);

/**
 * The enrichment queries of one page, over the user's tables joined to the page's keys: one for
 * the profile traits, one for the trigger chains, one per other relationship.
 */
export class EnrichmentQueries {
  private readonly joins: PathJoins;
  private readonly profileId: Expr;
  private readonly id: ReturnType<typeof idAsText>;

  constructor(
    dialect: Dialect,
    graph: DataGraph,
    private readonly plan: EnrichmentPlan,
    private readonly keys: PageKeys,
    /** Keeps only the entity rows that matched the audience (the entity-match snapshot); absent: every related row. */
    private readonly matched?: MatchedEntity,
  ) {
    this.joins = new PathJoins(dialect, graph, plan.castJoins);
    this.id = idAsText(plan.textKeys);
    this.profileId = this.id(PROFILE, plan.profile.table, plan.profile.id);
  }

  /** Per (profile, trigger entity) of the page: the selected columns of every level of the chain. */
  chain(): Select {
    const chain = this.plan.chain!;
    const path = this.joins.fromProfile(PROFILE, chain.map((c) => c.relationship));
    const last = chain[chain.length - 1];
    const entityId = this.id(path.aliases[path.aliases.length - 1], last.entity.table, last.entity.primaryKey);
    const columns: SelectColumn[] = [
      { expr: this.profileId, as: ID },
      { expr: entityId, as: ENTITY_ID },
      ...chain.flatMap((level, i) => level.columns.map((c, j) => ({ expr: col(path.aliases[i], c), as: chainColumn(i, j) }))),
      ...chain.flatMap((level, i) => linkColumns(level.junction?.columns, path.junctions[i], (j) => chainLinkColumn(i, j))),
    ];
    const keys = this.distinctKeys(['profile_id', 'entity_id']);
    return select(columns, {
      from: table(this.plan.profile.table, PROFILE),
      joins: [...path.joins, { from: keys, on: and(eq(this.profileId, sysCol(KEYS, 'profile_id')), eq(entityId, sysCol(KEYS, 'entity_id'))) }],
    });
  }

  /**
   * Per anchor (the profile, or the trigger entity) of the page: the rows of another relationship
   * below it, its selected columns.
   */
  other(other: OtherEntity): Select {
    const columns = (p: JoinedPath): SelectColumn[] => {
      const last = p.aliases.length - 1;
      return [
        ...other.columns.map((c, j) => ({ expr: col(p.aliases[last], c), as: otherColumn(j) })),
        ...linkColumns(other.junction?.columns, p.junctions[last], otherLinkColumn),
      ];
    };
    const rowId = (alias: string) => this.id(alias, other.entity.table, other.entity.primaryKey);
    if (other.anchor === 'profile') {
      const path = this.joins.fromProfile(PROFILE, other.path);
      const last = path.aliases[path.aliases.length - 1];
      return select([{ expr: this.profileId, as: ID }, ...columns(path)], {
        from: table(this.plan.profile.table, PROFILE),
        joins: [{ from: this.distinctKeys(['profile_id']), on: eq(this.profileId, sysCol(KEYS, 'profile_id')) }, ...path.joins],
        where: this.matched?.(other.path.join('.'), rowId(last), this.profileId),
      });
    }
    const trigger = this.plan.chain![this.plan.chain!.length - 1];
    const path = this.joins.fromEntity(trigger.relationship, ANCHOR, other.path);
    const anchorId = this.id(ANCHOR, trigger.entity.table, trigger.entity.primaryKey);
    const last = path.aliases[path.aliases.length - 1];
    const fullPath = [...this.plan.chain!.map((c) => c.relationship), ...other.path].join('.');
    return select([{ expr: anchorId, as: ID }, ...columns(path)], {
      from: table(trigger.entity.table, ANCHOR),
      joins: [{ from: this.distinctKeys(['entity_id']), on: eq(anchorId, sysCol(KEYS, 'entity_id')) }, ...path.joins],
      where: this.matched?.(fullPath, rowId(last)),
    });
  }

  private distinctKeys(columns: ('profile_id' | 'entity_id')[]): FromItem {
    return distinctKeys([this.keys], columns);
  }
}

/**
 * Per profile among `keys` (the keys of one page, or of several pages read together): its id and
 * `traits`, aliased in order (traitColumn). `textKeys`: as the plan's.
 */
export function traitsQuery(profile: DataGraph['profile'], traits: readonly string[], keys: readonly PageKeys[], textKeys: readonly string[] = []): Select {
  const profileId = idAsText(textKeys)(PROFILE, profile.table, profile.id);
  const columns: SelectColumn[] = [{ expr: profileId, as: ID }, ...traits.map((t, i) => ({ expr: col(PROFILE, t), as: traitColumn(i) }))];
  return select(columns, {
    from: table(profile.table, PROFILE),
    joins: [{ from: distinctKeys(keys, ['profile_id']), on: eq(profileId, sysCol(KEYS, 'profile_id')) }],
  });
}

/** The distinct keys of pages (those with an entity only, when the entity is among them). */
function distinctKeys(keys: readonly PageKeys[], columns: ('profile_id' | 'entity_id')[]): FromItem {
  const k0 = 'k0';
  const query = select(Object.fromEntries(columns.map((c) => [c, sysCol(k0, c)])), {
    distinct: true,
    from: { kind: 'derived', query: keys.length === 1 ? keys[0] : unionAll(...keys), alias: k0 },
    where: columns.includes('entity_id') ? isNotNull(sysCol(k0, 'entity_id')) : undefined,
  });
  return { kind: 'derived', query, alias: KEYS };
}

/** The selected columns of a level's junction row, when the emitter selects any (the path then went through the junction). */
function linkColumns(columns: readonly string[] | undefined, junctionAlias: string | undefined, as: (j: number) => string): SelectColumn[] {
  if (!columns || junctionAlias === undefined) return [];
  return columns.map((c, j) => ({ expr: col(junctionAlias, c), as: as(j) }));
}
