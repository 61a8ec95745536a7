import { AppliedModel } from '../model/applied-model.js';
import { LinkedError } from '../model/errors.js';
import { compileContext, compileEntityMatches, compileMembership, compileMembershipMatches, repeatedProfileIdQuery } from '../sql/index.js';
import { printSql } from '../dialect/printer.js';
import type { Dialect } from '../dialect/dialect.js';
import { specHash } from '../state/canonical.js';
import { RunStore } from '../state/compute/runs.js';
import { stateTables } from '../state/tables.js';
import type { Warehouse } from '../warehouse/types.js';
import type { ComputeModel } from './model.js';
import type { CompiledAudience } from './types.js';
import { catalogDrift } from './catalog-drift.js';

/** Options of a compile for a run or an explanation. */
export interface AudienceCompileOptions {
  dialect: Dialect;
  /**
   * The state schema: "part of" an enabled linked audience reads its snapshot there, and entity
   * matches join this run's staged membership instead of recomputing it.
   */
  stateSchema: string;
  now: Date;
  /**
   * The linked audiences with a snapshot (`snapshotsToRead`): "part of" an enabled one that has
   * none yet (created, not computed) compiles its condition inline instead of reading an empty
   * snapshot, which would take every member out. Omitted: every enabled audience has one.
   */
  withSnapshot?: ReadonlySet<string>;
}

/**
 * The linked audiences that `audienceKey` reads ("part of", directly or through the ones it reads)
 * and that have a snapshot, for `withSnapshot`.
 */
export async function snapshotsToRead(wh: Warehouse, schema: string, resources: ComputeModel, audienceKey: string): Promise<ReadonlySet<string>> {
  const read = new AppliedModel(resources).withLinkedDependencies(audienceKey).filter((key) => key !== audienceKey);
  return new RunStore(wh, schema).withSnapshot(read);
}

/**
 * Compiles one applied audience into the queries of a run: membership, and the entity matches its
 * entity emitters need. "Part of a linked audience" reads the other audience's snapshot when that
 * audience is enabled and has one (the controller computes it first), else compiles its condition
 * inline.
 */
export function compileAudience(
  resources: ComputeModel,
  audienceKey: string,
  options: AudienceCompileOptions,
): CompiledAudience {
  const { model, audience, ctx } = audienceContext(resources, audienceKey, options);
  const tables = stateTables(options.stateSchema);
  const paths = model.matchPathsOf(audienceKey);
  // One path whose matches also give the membership spares the warehouse a second scan.
  const oneQuery = paths.map((path) => ({ path, query: compileMembershipMatches(audience.condition, path, ctx) })).find((p) => p.query);
  return {
    membership: compileMembership(audience.condition, ctx),
    entities: paths.map((path) => ({
      path: path.join('.'),
      query:
        path === oneQuery?.path
          ? oneQuery.query!
          : compileEntityMatches(audience.condition, path, ctx, { members: { table: tables.membership_stage, audienceKey } }),
    })),
    ...(oneQuery ? { membershipFromEntities: oneQuery.path.join('.') } : {}),
    distinctRows: true,
    profileIds: { query: printSql(options.dialect, repeatedProfileIdQuery(model.graph)), table: model.graph.profile.table, column: model.graph.profile.id },
    audienceSpecHash: specHash(audience),
    catalogDrift: (wh) => catalogDrift(wh, resources, audienceKey),
  };
}

/**
 * The applied audience and the compile context a run uses for it: "part of" an enabled linked
 * audience with a snapshot reads it in the state schema. `linked why` explains with the same context.
 */
export function audienceContext(resources: ComputeModel, audienceKey: string, options: AudienceCompileOptions) {
  const model = new AppliedModel(resources);
  const audience = model.audience(audienceKey);
  if (!audience) throw new LinkedError('AUDIENCE_NOT_APPLIED', `Audience ${audienceKey} is not in the applied state.`);
  const ctx = compileContext({
    dialect: options.dialect,
    graph: model.graph,
    classicAudiences: model.classicAudiences,
    now: options.now,
    castJoins: resources.castJoins,
    // "Enabled" here means "has a snapshot to read": one not computed yet is compiled in place.
    audience: (key) => {
      const other = model.audience(key);
      return other && { condition: other.condition, enabled: other.enabled && (options.withSnapshot?.has(key) ?? true) };
    },
    snapshots: stateTables(options.stateSchema).membership,
    unknownAudience: (key) => new LinkedError('AUDIENCE_NOT_APPLIED', `Audience ${audienceKey} uses audience ${key}, which is not applied.`),
  });
  return { model, audience, ctx };
}
