import { readAppliedModel, unreadableIn } from '../compute/applied.js';
import { audienceContext, snapshotsToRead } from '../compute/compile.js';
import type { ComputeModel } from '../compute/model.js';
import { Audience } from '../model/audience.js';
import { LinkedError } from '../model/errors.js';
import { didYouMean } from '../model/suggest.js';
import { canonicalJson } from '../state/canonical.js';
import { TraceStore } from '../state/trace/trace-store.js';
import type { Warehouse } from '../warehouse/types.js';
import { explainProfile, type WhyNode } from './explain.js';

export interface WhyQuery {
  audienceKey: string;
  profileId: string;
  /** Explain with the audience version a past run computed, its relative windows at that run's start. */
  atRun?: string;
  stack?: string;
  /** "Now" for relative windows when not `atRun` (tests). */
  now?: Date;
  /** How many matching entity ids to list per entity node. */
  entityLimit?: number;
  /** How many related rows to explain per entity condition with filters, per parent row (default 5). */
  rowLimit?: number;
  /**
   * The audiences the project declares (cdktf.out), where the caller has them: an edit not yet
   * applied is said, since the tree explains the applied definition.
   */
  declared?: readonly Audience[];
  /** The applied model, when the caller has read it already (the dashboard's why page): not read again. */
  applied?: ComputeModel;
}

export interface WhyResult {
  audienceKey: string;
  profileId: string;
  /** Whether the profile satisfies the condition now (the tree's root). */
  member: boolean;
  /** The definition explained: the applied one, or the version a past run computed. */
  definition: { runId: string | null; version: number | null; now: string };
  /** What the audience's snapshot holds: whether the profile, and the run it comes from (the audience's last Live run; null before its first). */
  snapshot: { member: boolean; runId: string | null };
  /** Profile rows with this id: more than one is a data problem (the tree explains the row that decided). */
  profileRows: number;
  /** Set when the project declares another condition for the audience than the applied one explained (not with `atRun`). */
  declaredConditionDiffers?: true;
  tree: WhyNode;
}

/** The declared-but-not-applied edit, in words, for whoever prints an explanation; undefined when there is none. */
export function declaredEditNote(w: Pick<WhyResult, 'audienceKey' | 'declaredConditionDiffers'>): string | undefined {
  if (!w.declaredConditionDiffers) return undefined;
  return (
    `The project (cdktf.out) declares another condition for ${w.audienceKey}, not applied yet: this explains the applied one, which runs compute. ` +
    `\`linked preview ${w.audienceKey}\` counts the declared one; \`linked plan\` shows the difference.`
  );
}

/** A repeated profile id, in words, for whoever prints an explanation (CLI and dashboard); undefined for one row. */
export function repeatedIdNote(w: Pick<WhyResult, 'profileRows' | 'member'>): string | undefined {
  if (w.profileRows <= 1) return undefined;
  return (
    `${w.profileRows} profile rows have this id: runs of the audience fail with "Duplicate records" until it is unique (docs/operations.md, error policy), ` +
    `and the tree shows ${w.member ? 'a row that satisfies the condition' : 'the first row'}.`
  );
}

/**
 * What the audience's snapshot says against the verdict now, for whoever prints an explanation (CLI
 * and dashboard): in parts, the run id apart for the dashboard to link (`run` renders it).
 */
export function snapshotNote<T>(w: Pick<WhyResult, 'member' | 'snapshot'>, run: (runId: string) => T): (string | T)[] {
  const { member, runId } = w.snapshot;
  if (runId === null) return ['The audience has no snapshot yet: none of its runs has gone Live.'];
  const says =
    member === w.member
      ? `${member ? 'holds it too' : 'does not hold it either'}.`
      : `${member ? 'still holds it' : 'does not hold it'}: the data or the definition changed since that run.`;
  return ['The last snapshot (run ', run(runId), `) ${says}`];
}

/**
 * Why one profile is or is not in an audience: its condition tree evaluated for that profile in the
 * warehouse, with the compile context a run uses. The data is read as it is now; with `atRun`, the
 * definition is the version that run computed.
 */
export async function whyProfile(wh: Warehouse, schema: string, q: WhyQuery): Promise<WhyResult> {
  const model = q.applied ?? (await readAppliedModel(wh, schema, q.stack));
  if (!model) throw new LinkedError('NOTHING_APPLIED', 'Nothing is applied yet: run `linked apply` first.');
  const store = new TraceStore(wh, schema);
  let audience: Audience | undefined = model.audiences.find((a) => a.key === q.audienceKey);
  let now = q.now ?? new Date();
  let definition: WhyResult['definition'] = { runId: null, version: null, now: now.toISOString() };
  if (q.atRun) {
    const run = await store.computeRun(q.atRun);
    if (!run || run.audienceKey !== q.audienceKey) {
      throw new LinkedError('RUN_NOT_FOUND', `Audience ${q.audienceKey} has no run ${q.atRun}. \`linked runs ${q.audienceKey}\` lists its runs.`);
    }
    const version =
      run.audienceVersion !== null ? await store.version('audience', q.audienceKey, run.audienceVersion) : run.audienceSpecHash === null ? await store.versionAt('audience', q.audienceKey, run.startedAt) : undefined;
    if (!version) throw new LinkedError('VERSION_NOT_RECORDED', `Run ${q.atRun} names no recorded version of audience ${q.audienceKey}; explain the applied definition instead (omit --at).`);
    if (version.problem !== null) {
      throw new LinkedError(
        'STATE_INVALID',
        `Version ${version.version} of audience ${q.audienceKey}, which run ${q.atRun} computed, cannot be read: ${version.problem} (written by another version of linked, or damaged). Explain the applied definition instead (omit --at).`,
      );
    }
    audience = Audience.parse(version.spec);
    now = run.startedAt;
    definition = { runId: run.id, version: version.version, now: now.toISOString() };
  }
  const declared = q.declared?.find((a) => a.key === q.audienceKey);
  if (!audience) {
    const hint = declared
      ? ` The project declares it: \`linked apply\` applies it, \`linked preview ${q.audienceKey}\` counts it before.`
      : `${didYouMean(q.audienceKey, model.audiences.map((a) => a.key))} \`linked status\` lists the applied audiences.`;
    throw unreadableIn(model, 'audience', q.audienceKey) ?? new LinkedError('AUDIENCE_NOT_APPLIED', `Audience ${q.audienceKey} is not applied.${hint}`);
  }
  const resources = { ...model, audiences: [...model.audiences.filter((a) => a.key !== audience!.key), audience] };
  const withSnapshot = await snapshotsToRead(wh, schema, resources, q.audienceKey);
  const { ctx } = audienceContext(resources, q.audienceKey, { dialect: wh.dialect, stateSchema: schema, now, withSnapshot });
  const { tree, rows } = await explainProfile(wh, audience.condition, ctx, q.profileId, { entityLimit: q.entityLimit, rowLimit: q.rowLimit });
  const snapshot = await store.snapshotOf(q.audienceKey, q.profileId);
  return {
    audienceKey: q.audienceKey,
    profileId: q.profileId,
    member: tree.held,
    definition,
    snapshot,
    profileRows: rows,
    ...(!q.atRun && declared && canonicalJson(declared.condition) !== canonicalJson(audience.condition) ? { declaredConditionDiffers: true as const } : {}),
    tree,
  };
}
