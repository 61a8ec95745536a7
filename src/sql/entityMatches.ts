import type { Condition, EntityCondition, EntityPredicate } from '../model/condition.js';
import { foldPredicate, positiveEntityChains } from '../model/condition-walk.js';
import { LinkedError } from '../model/errors.js';
import { GRAPH_ERRORS } from '../model/seed-messages.js';
import { FALSE, NULL, and, cast, col, compare, inQuery, isNotNull, param, sysCol, table, type Expr, type Join, type Query, type Select, type StateTableName } from '../dialect/ast.js';
import { ConditionCompiler, type RelatedRows, type Scope } from './compiler.js';
import type { CompileContext } from './context.js';
import { printSql, type CompiledQuery } from '../dialect/printer.js';
import { hasProfileId } from './profile-id.js';

const MEMBERS = 'members';

/**
 * The chains of entity conditions along `path` (one per level, each nested in the previous one's
 * `where`), skipping any under a `not` or with a count of "none".
 */
export function entityOccurrences(condition: Condition, path: readonly string[]): EntityCondition[][] {
  const along = (chain: EntityCondition[]) => chain.length === path.length && chain.every((ec, level) => ec.relationship === path[level]);
  return positiveEntityChains(condition).filter(along);
}

/**
 * `where` without the conjunct that the next row of the chain already witnesses: when the nested
 * condition asks for at least one matching row, the joined row is one, so re-checking it with
 * another scan would change nothing.
 */
function witnessed(where: EntityPredicate | undefined, next: EntityCondition | undefined): EntityPredicate | undefined {
  if (!where || !next || next.count.op !== 'at_least' || next.count.value > 1) return where;
  if (where === next) return undefined;
  if (where.kind !== 'and' || !where.conditions.includes(next)) return where;
  const rest = where.conditions.filter((c) => c !== next);
  return rest.length === 0 ? undefined : { kind: 'and', conditions: rest };
}

/**
 * The entities of a trigger path that made each member: a member's entity matches when it satisfies
 * the filters of an entity condition along the path that holds for that profile (at every level: a
 * nested condition must hold for its parent row), never through a negated one. Columns profile_id,
 * entity_path (slugs joined by '.') and entity_id, distinct. See docs/conditions.md, "Entity matches".
 */
export interface EntityMatchOptions {
  /**
   * Where this run's members already are (a quoted table with audience_key and profile_id, such as
   * the compute stage). Without it the query recomputes the membership itself; with it a run pays
   * for the membership query once, not once per entity path.
   */
  members?: { table: StateTableName; audienceKey: string };
}

export function compileEntityMatches(condition: Condition, path: string[], ctx: CompileContext, options: EntityMatchOptions = {}): CompiledQuery {
  return printSql(ctx.dialect, entityMatchesQuery(condition, path, ctx, options));
}

/** compileEntityMatches as AST. */
export function entityMatchesQuery(condition: Condition, path: string[], ctx: CompileContext, options: EntityMatchOptions = {}): Query {
  const compiler = new ConditionCompiler(ctx);
  assertGraphPath(compiler, path);
  const profile = ctx.graph.profile;
  const columns = (profileId: Expr, entityId: Expr) => [
    { expr: profileId, as: 'profile_id' },
    { expr: cast(param(path.join('.')), 'VARCHAR'), as: 'entity_path' },
    { expr: entityId, as: 'entity_id' },
  ];

  const chains = entityOccurrences(condition, path);
  if (chains.length === 0) {
    return { kind: 'select', columns: columns(cast(NULL, 'VARCHAR'), cast(NULL, 'VARCHAR')), where: FALSE };
  }

  const members = options.members ? compiler.snapshotSelect(options.members) : compiler.membershipSelect(condition);
  const selects = chains.map((chain): Select => {
    const p = compiler.alias('p');
    const id = col(p, profile.id);
    const scope: Scope = { profile: p, entities: new Map(), relationship: null };
    const where: Expr[] = [hasProfileId(id)];
    const m = compiler.alias('m');
    where.push(
      inQuery(cast(id, 'VARCHAR'), {
        kind: 'select',
        columns: [{ expr: sysCol(m, 'profile_id'), as: 'profile_id' }],
        from: { kind: 'cte', name: MEMBERS, alias: m },
      }),
    );
    const walk = joinChain(compiler, chain, path, scope);
    where.push(...walk.where, isNotNull(walk.entityId));
    return {
      kind: 'select',
      distinct: true,
      columns: columns(cast(id, 'VARCHAR'), cast(walk.entityId, 'VARCHAR')),
      from: table(profile.table, p),
      joins: walk.joins,
      where: and(...where),
    };
  });
  const withMembers = [{ name: MEMBERS, query: members }];
  return selects.length === 1 ? { ...selects[0], with: withMembers } : { kind: 'union', with: withMembers, queries: selects };
}

/**
 * A chain's rows joined level by level from the profile of `scope`: each level's rows and join, its
 * own condition (the part the next level does not witness), and the entity id at the path's end.
 */
function joinChain(compiler: ConditionCompiler, chain: EntityCondition[], path: string[], scope: Scope) {
  const levels: RelatedRows[] = [];
  const joins: Join[] = [];
  const where: Expr[] = [];
  chain.forEach((ec, level) => {
    // The row joined below witnesses "at least one"; any other count must hold on its own for this
    // profile (or parent row), or its rows did not make the member.
    if (!witnessedByARow(ec)) where.push(compiler.entityCondition(ec, scope));
    const rows = compiler.relatedRows(ec.relationship, scope);
    levels.push(rows);
    joins.push({ from: rows.from, on: compare('=', rows.childKey, rows.parentKey) }, ...rows.joins);
    scope = compiler.childScope(scope, ec.relationship, rows.alias, rows.junction);
    const own = witnessed(ec.where, chain[level + 1]);
    if (own) where.push(compiler.entityPredicate(own, scope));
  });
  const entityId = col(levels[levels.length - 1]!.alias, compiler.index.entityOf(path[path.length - 1])!.primaryKey);
  return { levels, joins, where, entityId };
}

const witnessedByARow = (ec: EntityCondition) => ec.count.op === 'at_least' && ec.count.value <= 1;

function assertGraphPath(compiler: ConditionCompiler, path: string[]) {
  const graphPath = path.length > 0 ? compiler.index.path(path[path.length - 1]) : undefined;
  if (!graphPath || graphPath.join('.') !== path.join('.')) {
    throw new LinkedError('INVALID_CONDITION', GRAPH_ERRORS.relationshipMissing(path.join('.')));
  }
}

/** The conjuncts of a condition, nested ands flattened. */
const conjunctsOf = (c: Condition): Condition[] => (c.kind === 'and' ? c.conditions.flatMap(conjunctsOf) : [c]);

/** Whether a predicate compares with a profile trait anywhere inside it. */
function readsTraits(p: EntityPredicate): boolean {
  return foldPredicate<boolean, null>(p, null, {
    and: (items) => items.some(Boolean),
    or: (items) => items.some(Boolean),
    not: (item) => item,
    entity: (ec) => ec.where !== undefined && readsTraits(ec.where),
    column: (c) => {
      const value: unknown = 'value' in c ? c.value : undefined;
      return typeof value === 'object' && value !== null && 'trait' in value;
    },
  });
}

/**
 * Members and their matches on `path` from ONE query, where the condition allows it: it is (a
 * conjunction with) a single chain of "at least 1" entity conditions along the path, each level
 * witnessed by the next, none comparing with a profile trait. A profile is then a member exactly
 * when it satisfies the other conjuncts and has a row along the chain, so the chain's rows whose
 * profile satisfies the rest are the matches (rows with an entity id) and, as distinct profile ids,
 * the membership: the related tables are scanned once instead of twice. Rows with a NULL entity id
 * are kept: they still make their profile a member. Columns profile_id and entity_id, distinct.
 * Undefined for any other shape.
 *
 * The chain is joined bottom-up as a derived table, apart from the profiles, which is the order
 * engines run fastest (the profile table is the largest). When the first relationship joins on the
 * profile id itself, the chain's rows keep the profile key and are filtered by a semi join on the
 * qualifying profiles, the shape of the membership query (measurably cheaper than joining the
 * profiles: bench/compute). Its key then stands for the profile id: both sides have one type (a
 * relationship joined on a cast takes the other shape), so equal keys are the same id.
 */
export function compileMembershipMatches(condition: Condition, path: string[], ctx: CompileContext): CompiledQuery | undefined {
  const query = membershipMatchesQuery(condition, path, ctx);
  return query && printSql(ctx.dialect, query);
}

/** compileMembershipMatches as AST. */
export function membershipMatchesQuery(condition: Condition, path: string[], ctx: CompileContext): Select | undefined {
  const compiler = new ConditionCompiler(ctx);
  assertGraphPath(compiler, path);
  const chains = entityOccurrences(condition, path);
  if (chains.length !== 1) return undefined;
  const chain = chains[0]!;
  const conjuncts = conjunctsOf(condition);
  if (!conjuncts.includes(chain[0]!)) return undefined;
  const own = chain.map((ec, level) => witnessed(ec.where, chain[level + 1]));
  const fits = chain.every(
    (ec, level) =>
      ec.count.op === 'at_least' &&
      ec.count.value === 1 &&
      (level === chain.length - 1 || own[level] !== ec.where) &&
      !(own[level] && readsTraits(own[level]!)),
  );
  if (!fits) return undefined;

  const profile = ctx.graph.profile;
  const p = compiler.alias('p');
  const root: Scope = { profile: p, entities: new Map(), relationship: null };
  const walk = joinChain(compiler, chain, path, root);
  // The first level is the derived table's FROM; a profile relationship joins it with no junction.
  const first = walk.levels[0]!;
  const x = compiler.alias('x');
  const chainRows: Select = {
    kind: 'select',
    columns: [
      { expr: first.childKey, as: 'k' },
      { expr: walk.entityId, as: 'entity_id' },
    ],
    from: first.from,
    joins: walk.joins.slice(1),
    where: and(...walk.where),
  };
  const id = col(p, profile.id);
  const others = conjuncts.filter((c) => c !== chain[0]).map((c) => compiler.condition(c, root));
  const qualifying = and(hasProfileId(id), ...others);
  const matches = (profileId: Expr): Select['columns'] => [
    { expr: cast(profileId, 'VARCHAR'), as: 'profile_id' },
    { expr: cast(sysCol(x, 'entity_id'), 'VARCHAR'), as: 'entity_id' },
  ];
  const join = compiler.index.relationship(chain[0]!.relationship)!.join;
  return join.type === 'profile' && join.profileColumn === profile.id && !ctx.castJoins?.has(chain[0]!.relationship)
      ? {
          kind: 'select',
          distinct: true,
          columns: matches(sysCol(x, 'k')),
          from: { kind: 'derived', query: chainRows, alias: x },
          where: inQuery(sysCol(x, 'k'), { kind: 'select', columns: [{ expr: id, as: 'k' }], from: table(profile.table, p), where: qualifying }),
        }
      : {
          kind: 'select',
          distinct: true,
          columns: matches(id),
          from: table(profile.table, p),
          joins: [{ from: { kind: 'derived', query: chainRows, alias: x }, on: compare('=', sysCol(x, 'k'), first.parentKey) }],
          where: qualifying,
        };
}
