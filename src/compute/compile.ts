import { LinkedError } from '../model/errors.js';
import { compileEntityMatches, compileMembership, compileMembershipMatches, type CompileContext } from '../sql/index.js';
import type { Dialect } from '../warehouse/types.js';
import { entityPathsOf, findAudience, type ComputeModel } from './model.js';
import type { CompiledAudience } from './types.js';

/**
 * Compiles one applied audience into the queries of a run: membership, and the entity matches its
 * entity emitters need. "Part of a linked audience" reads the other audience's snapshot when that
 * audience is enabled (the controller computes it first), else compiles its condition inline.
 */
export function compileAudience(
  model: ComputeModel,
  audienceKey: string,
  options: {
    dialect: Dialect;
    /** The snapshot table (quoted): "part of" an enabled linked audience reads it. */
    membershipTable: string;
    /** This run's staged membership (quoted): entity matches join it instead of recomputing it. */
    membershipStageTable: string;
    now: Date;
  },
): CompiledAudience {
  const audience = findAudience(model, audienceKey);
  if (!audience) throw new LinkedError('AUDIENCE_NOT_APPLIED', `Audience ${audienceKey} is not in the applied state.`);
  const ctx: CompileContext = {
    dialect: options.dialect,
    graph: model.graph,
    classicAudiences: model.classicAudiences,
    now: options.now,
    linkedAudience: (key) => {
      const other = findAudience(model, key);
      if (!other) throw new LinkedError('AUDIENCE_NOT_APPLIED', `Audience ${audienceKey} uses audience ${key}, which is not applied.`);
      return other.enabled ? { kind: 'snapshot', table: options.membershipTable, audienceKey: key } : { kind: 'inline', condition: other.condition };
    },
  };
  const paths = entityPathsOf(model.emitters, audienceKey);
  // One path whose matches also give the membership spares the warehouse a second scan.
  const oneQuery = paths.map((path) => ({ path, query: compileMembershipMatches(audience.condition, path, ctx) })).find((p) => p.query);
  return {
    membership: compileMembership(audience.condition, ctx),
    entities: paths.map((path) => ({
      path: path.join('.'),
      query:
        path === oneQuery?.path
          ? oneQuery.query!
          : compileEntityMatches(audience.condition, path, ctx, { members: { table: options.membershipStageTable, audienceKey } }),
    })),
    ...(oneQuery ? { membershipFromEntities: oneQuery.path.join('.') } : {}),
    distinctRows: true,
  };
}
