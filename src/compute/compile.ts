import { LinkedError } from '../model/errors.js';
import { compileEntityMatches, compileMembership, compileMembershipMatches, type CompileContext } from '../sql/index.js';
import type { Dialect } from '../dialect/dialect.js';
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
    /**
     * The state schema: "part of" an enabled linked audience reads its snapshot there, and entity
     * matches join this run's staged membership instead of recomputing it.
     */
    stateSchema: string;
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
      return other.enabled ? { kind: 'snapshot', table: { schema: options.stateSchema, name: 'membership' }, audienceKey: key } : { kind: 'inline', condition: other.condition };
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
          : compileEntityMatches(audience.condition, path, ctx, { members: { table: { schema: options.stateSchema, name: 'membership_stage' }, audienceKey } }),
    })),
    ...(oneQuery ? { membershipFromEntities: oneQuery.path.join('.') } : {}),
    distinctRows: true,
  };
}
