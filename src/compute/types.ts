import type { CompiledQuery } from '../dialect/printer.js';
import type { RunTrigger } from '../state/compute/runs.js';
import type { Warehouse } from '../warehouse/types.js';

export { STATUSES, type AudienceStatusName, type RunTrigger } from '../state/compute/runs.js';

/**
 * What a run computes: the membership query (one column, profile_id) and one entity-match query
 * per entity path its emitters need (columns profile_id, entity_id), each printed for the run's
 * warehouse. A run takes these as input, so its machinery does not depend on how they were compiled.
 */
export interface CompiledAudience {
  membership: CompiledQuery;
  /** `path`: relationship slugs from the profile to the entity, joined by '.'. */
  entities: { path: string; query: CompiledQuery }[];
  /**
   * The entity path whose query also yields the membership (its distinct profile ids, rows with a
   * NULL entity id included; see compileMembershipMatches): the run stages members from it and
   * does not run `membership`, so the related tables are scanned once, not twice.
   */
  membershipFromEntities?: string;
  /**
   * Every query returns distinct rows (SELECT DISTINCT, as src/sql writes them), so no ID can
   * repeat and the results check only counts. Queries from anywhere else are searched for
   * duplicate IDs (the seed's "Duplicate records for ID").
   */
  distinctRows?: boolean;
  /**
   * The profile table's id check: a query giving one id that more than one profile row holds (no
   * row when ids are unique), and the id column it names. Membership is by id, so a repeated id
   * would make a profile a member through whichever of its rows matches; the run fails with the
   * seed's "Duplicate records for ID" instead.
   */
  profileIds?: { query: CompiledQuery; table: string; column: string };
  /** The hash of the audience spec compiled (as `resources.spec_hash`): the run records which version it computed. */
  audienceSpecHash?: string;
  /** What of the applied Data Graph the warehouse no longer has (catalog-drift.ts): asked when the warehouse refuses the SQL. */
  catalogDrift?: (wh: Warehouse) => Promise<string | undefined>;
}

/** The steps of a run, in order; the error policy depends on the step a failure happens in. */
export const RUN_STEPS = ['kickoff', 'compile', 'update-model', 'check-results', 'process-results', 'load-results'] as const;
export type RunStep = (typeof RUN_STEPS)[number];

export interface RunError {
  code: string;
  message: string;
  /** The policy applied: terminate (the next run executes normally) or pause (until `linked resume`). */
  action: 'terminate' | 'pause';
}

export interface RunSummary {
  runId: string;
  audienceKey: string;
  status: 'Live' | 'Failed';
  trigger: RunTrigger;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  members: number | null;
  entered: number | null;
  exited: number | null;
  entitiesAdded: number | null;
  entitiesRemoved: number | null;
  /** True when this run recorded the audience's baseline (its first successful run). */
  baseline: boolean;
  paused: boolean;
  queryIds: string[];
  error?: RunError;
  /** Set when the failure could not be written to the state: why (the run is reported all the same). */
  unrecorded?: string;
}

export interface RunProgress {
  step: RunStep;
  /** Rows produced so far by the step, when it knows. */
  rows?: number;
  attempt?: number;
  message?: string;
}
