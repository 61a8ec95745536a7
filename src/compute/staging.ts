import type { StagedRows, StageStore } from '../state/compute/stage.js';
import { DuplicateRecordsError } from './policy.js';
import type { CompiledAudience } from './types.js';

/** What a run staged, counted once its IDs are known to be unique. */
export interface StagedCounts {
  /** Distinct profiles in the membership stage. */
  members: number;
  /** Per entity path: distinct profiles (a one-query path's members) and matches (rows with an entity id). */
  paths: Map<string, { profiles: number; matches: number }>;
}

/** How a run stages one audience: which query gives its members, and where they are staged. */
export interface StagePlan {
  /** The entity query that yields the members with its matches (compileMembershipMatches), if any. */
  fused?: CompiledAudience['entities'][number];
  /**
   * Set when the members are read from this path's entity stage: the fused query is the run's only
   * query. Otherwise they are copied to the membership stage, which the other paths' queries read.
   */
  membersFromPath?: string;
}

export function stagePlan(compiled: CompiledAudience): StagePlan {
  const fused = compiled.entities.find((e) => e.path === compiled.membershipFromEntities);
  return { fused, membersFromPath: fused && compiled.entities.length === 1 ? fused.path : undefined };
}

/**
 * Runs the audience's queries once each, into the stage. `staged` hears of each statement (rows
 * reported, query id) with a word on what it staged.
 */
export async function stageResults(
  stage: StageStore,
  runId: string,
  audienceKey: string,
  compiled: CompiledAudience,
  plan: StagePlan,
  staged: (r: StagedRows, what: string) => void,
): Promise<void> {
  const { fused } = plan;
  if (fused) {
    // Rows without an entity id stay in the stage: they made their profile a member, and are not matches.
    staged(await stage.stageEntities(runId, audienceKey, fused.path, fused.query, true), `staged rows of members and ${fused.path} matches`);
    if (plan.membersFromPath === undefined) await stage.copyMembersFromPath(runId, fused.path);
  } else {
    staged(await stage.stageMembership(runId, audienceKey, compiled.membership), 'members');
  }
  for (const e of compiled.entities) {
    if (e !== fused) staged(await stage.stageEntities(runId, audienceKey, e.path, e.query), `entities ${e.path}`);
  }
}

/**
 * The results check: what the run staged and, unless its queries return distinct rows by
 * construction, the seed's "Duplicate records for ID" (a model query returned one ID twice).
 */
export async function checkResults(stage: StageStore, runId: string, distinctRows = false): Promise<StagedCounts> {
  const rows = await stage.check(runId, distinctRows);
  const membership = rows.find((r) => r.entity_path === null);
  if (membership?.duplicate) throw new DuplicateRecordsError('PROFILE_ID', membership.duplicate);
  const entityDuplicate = rows.find((r) => r.entity_path !== null && r.duplicate);
  if (entityDuplicate) throw new DuplicateRecordsError('ENTITY_ID', entityDuplicate.duplicate!);
  return {
    members: membership?.profiles ?? 0,
    paths: new Map(rows.filter((r) => r.entity_path !== null).map((r) => [r.entity_path!, { profiles: r.profiles, matches: r.matches }])),
  };
}
