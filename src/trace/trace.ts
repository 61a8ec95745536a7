import type { Condition } from '../model/condition.js';
import { renderCondition } from '../model/condition-text.js';
import { LinkedError } from '../model/errors.js';
import type { ApplyLogEntry } from '../state/apply/apply-log.js';
import type { RunRow } from '../state/compute/runs.js';
import { TraceStore, type ResourceVersion, type TracedDelivery, type TracedSource } from '../state/trace/trace-store.js';
import type { Warehouse } from '../warehouse/types.js';

/** What the chain says of the audience version a run computed. */
export interface TracedVersion extends ResourceVersion {
  /** recorded: the run named it; inferred: the run predates that record, so the version in effect when it started. */
  link: 'recorded' | 'inferred';
  /** The condition rendered readably; null when the spec cannot be read (`problem`). */
  definition: string | null;
}

/** The apply that set the version, with what git and the pull request said of it. */
export interface TracedApply {
  id: string;
  appliedAt: string;
  appliedBy: string | null;
  author: string | null;
  commitSha: string | null;
  commitSubject: string | null;
  /** Where the subject came from: recorded at apply, or read from git for an apply recorded before that. */
  commitSubjectFrom: 'apply log' | 'git' | null;
  dirty: boolean | null;
  branch: string | null;
  prNumber: number | null;
  repository: string | null;
  runUrl: string | null;
  approvers: string[];
  stack: string;
}

/** From one delivered event back to the commit; each link is null where the record ends. */
export interface Trace {
  delivery: TracedDelivery;
  source: TracedSource | null;
  run: RunRow | null;
  version: TracedVersion | null;
  apply: TracedApply | null;
  /** Where the chain stops and why, when it does. */
  gaps: string[];
}

export interface TraceQuery {
  /** A messageId, or else a user id whose latest delivered event is traced. */
  id: string;
  /** With a user id: only events of this name. */
  event?: string;
  /** With a user id: only events of this audience. */
  audience?: string;
  /**
   * The subject of a commit the apply log has no subject for (applies recorded before it was
   * stored); null when it cannot be known (the CLI asks git in the project directory).
   */
  commitSubject?: (sha: string) => Promise<string | null>;
}

/** How many of a user's latest events are looked at to find one of `--audience`. */
const USER_EVENTS_SCANNED = 200;

/** Traces a delivered event (by messageId, or a user's latest) back to the run, audience version, apply and commit. */
export async function traceEvent(wh: Warehouse, schema: string, q: TraceQuery): Promise<Trace> {
  const store = new TraceStore(wh, schema);
  const byMessage = await store.deliveriesByMessageId(q.id);
  if (byMessage.length > 0) return traceDelivery(store, byMessage[0], q.commitSubject);
  const ofUser = await store.deliveriesOfUser(q.id, q.event, q.audience ? USER_EVENTS_SCANNED : 1);
  for (const d of ofUser) {
    const trace = await traceDelivery(store, d, q.commitSubject);
    if (!q.audience || trace.source?.audienceKey === q.audience) return trace;
  }
  const filters = [q.event && `event "${q.event}"`, q.audience && `audience ${q.audience}`].filter(Boolean).join(' and ');
  throw new LinkedError(
    'TRACE_NOT_FOUND',
    `No delivered event has messageId ${q.id}, and no event${filters ? ` of ${filters}` : ''} was delivered to a user with that id. ` +
      '`linked deliveries --user-id <id>` lists what was sent to a user, with each messageId.',
  );
}

async function traceDelivery(store: TraceStore, delivery: TracedDelivery, commitSubject?: TraceQuery['commitSubject']): Promise<Trace> {
  const gaps: string[] = [];
  const source = (await store.source(delivery)) ?? null;
  if (!source) {
    gaps.push(
      delivery.source === 'outbox'
        ? `its outbox row ${delivery.sourceId} is gone (removed by \`linked gc\`)`
        : `its backfill row ${delivery.sourceId} is gone: an emitter's backfill rows are dropped once it is delivered, and this event was delivered before the delivery record kept the row's run (state migration 10)`,
    );
    return { delivery, source, run: null, version: null, apply: null, gaps };
  }
  const run = (await store.computeRun(source.computeRunId)) ?? null;
  if (!run) {
    gaps.push(`compute run ${source.computeRunId} is no longer in the run history`);
    return { delivery, source, run, version: null, apply: null, gaps };
  }
  const version = await versionOf(store, run);
  if (!version) {
    gaps.push(`no applied version of audience ${run.audienceKey} is recorded for this run`);
    return { delivery, source, run, version: null, apply: null, gaps };
  }
  const entry = version.applyId ? await store.apply(version.applyId) : undefined;
  if (!entry) gaps.push(version.applyId ? `apply ${version.applyId} is not in the apply log` : `version ${version.version} names no apply`);
  const apply = entry ? tracedApply(entry) : null;
  if (apply && apply.commitSubject === null && apply.commitSha && commitSubject) {
    const subject = await commitSubject(apply.commitSha);
    if (subject) Object.assign(apply, { commitSubject: subject, commitSubjectFrom: 'git' });
  }
  return { delivery, source, run, version, apply, gaps };
}

async function versionOf(store: TraceStore, run: RunRow): Promise<TracedVersion | undefined> {
  const recorded = run.audienceVersion !== null ? await store.version('audience', run.audienceKey, run.audienceVersion) : undefined;
  if (recorded) return { ...recorded, link: 'recorded', definition: definitionOf(recorded.spec) };
  // A run from before runs named their version, or one whose spec was never applied as such.
  if (run.audienceSpecHash !== null) return undefined;
  const inferred = await store.versionAt('audience', run.audienceKey, run.startedAt);
  return inferred && { ...inferred, link: 'inferred', definition: definitionOf(inferred.spec) };
}

function tracedApply(e: ApplyLogEntry): TracedApply {
  const approvers = Array.isArray(e.metadata.approvers) ? e.metadata.approvers.map(String) : [];
  const subject = typeof e.metadata.commitSubject === 'string' ? e.metadata.commitSubject : null;
  return {
    id: e.id,
    appliedAt: e.appliedAt,
    appliedBy: e.appliedBy,
    author: e.author,
    commitSha: e.commitSha,
    commitSubject: subject,
    commitSubjectFrom: subject === null ? null : 'apply log',
    dirty: e.dirty,
    branch: e.branch,
    prNumber: e.prNumber,
    repository: e.repository,
    runUrl: e.runUrl,
    approvers,
    stack: e.stack,
  };
}

/**
 * What a trace says in place of a definition it cannot read (a linked of another version stored
 * it, or the row is damaged): why, attribute by attribute, never the spec's text. Null when it reads.
 */
export function unreadableVersionNote(v: Pick<TracedVersion, 'problem'>): string | null {
  return v.problem === null ? null : `its spec as applied cannot be read: ${v.problem}; written by another version of linked, or damaged`;
}

function definitionOf(spec: ResourceVersion['spec']): string | null {
  const condition = (spec as { condition?: Condition } | null)?.condition;
  return condition ? renderCondition(condition).join('\n') : null;
}
