import { readAppliedModel, unreadableIn } from '../compute/applied.js';
import { compileAudience, snapshotsToRead } from '../compute/compile.js';
import { findAudience } from '../compute/model.js';
import { runAudience } from '../compute/run.js';
import { pausedError, readRun, readStatus, type RunRow } from '../compute/status.js';
import type { RunProgress, RunSummary } from '../compute/types.js';
import { LinkedError } from '../model/errors.js';
import { didYouMean, knownNames } from '../model/suggest.js';
import { ApplyLogStore } from '../state/apply/apply-log.js';
import { ComputeRequestStore } from '../state/control/compute-requests.js';
import { ControllerStore } from '../state/control/controllers.js';
import { holderId } from '../state/control/holder.js';
import { LeaseStore } from '../state/control/leases.js';
import type { Warehouse } from '../warehouse/types.js';
import { DEFAULT_LEASE_TTL_MS, LeaseCoordinator } from './lease.js';

export type ComputeNowOutcome =
  | { kind: 'computed'; summary: RunSummary }
  | {
      kind: 'requested';
      requestId: string;
      controllers: string[];
      /**
       * The latest time a live controller promised to look at the warehouse by (its heartbeat's
       * promise): later than its next tick when it paces its looks (`linked run --look-every`).
       */
      lookBy?: Date;
    };

/**
 * Why an audience cannot be computed: deleted by an apply (named, with its commit), or a key that
 * was never applied (with the keys that are, and the closest one).
 */
async function notAppliedError(wh: Warehouse, schema: string, key: string, applied: string[], stack?: string): Promise<LinkedError> {
  const [deletion] = (await new ApplyLogStore(wh, schema).read({ stack, resource: `audience.${key}` })).filter((e) => e.changes.some((c) => c.action === 'delete'));
  if (deletion) {
    const commit = deletion.commitSha ? `, commit ${deletion.commitSha.slice(0, 12)}` : '';
    const by = deletion.author ?? deletion.appliedBy;
    return new LinkedError(
      'AUDIENCE_DELETED',
      `Audience ${key} was deleted by the apply of ${deletion.appliedAt} (${deletion.id}${commit}${by ? `, by ${by}` : ''}). Its history stays in \`linked audit --resource audience.${key}\`.`,
    );
  }
  const hint = didYouMean(key, applied);
  return new LinkedError(
    'AUDIENCE_NOT_APPLIED',
    `Unknown audience ${key}: it is not applied.${hint || knownNames(applied)} A new audience is computed after \`linked plan\` and \`linked apply\`.`,
  );
}

/**
 * The seed's "Compute now". With a live controller on this warehouse (or `request`), it records a
 * request for that controller; otherwise it computes here, under the audience's lease.
 */
export async function computeNow(
  wh: Warehouse,
  schema: string,
  audienceKey: string,
  options: { stack?: string; controllersOf?: string; request?: boolean; onProgress?: (p: RunProgress) => void; now?: Date; leaseTtlMs?: number } = {},
): Promise<ComputeNowOutcome> {
  const model = await readAppliedModel(wh, schema, options.stack);
  const audience = model && findAudience(model, audienceKey);
  if (!audience) throw unreadableIn(model, 'audience', audienceKey) ?? (await notAppliedError(wh, schema, audienceKey, model?.audiences.map((a) => a.key) ?? [], options.stack));
  if (!audience.enabled) {
    throw new LinkedError('AUDIENCE_DISABLED', `Audience ${audienceKey} is disabled (the default). Enable it in code and apply, then compute.`);
  }
  const status = await readStatus(wh, schema, audienceKey);
  if (status?.paused) throw pausedError(audienceKey, status.pausedReason);

  // Only a controller of the audience's stack computes it (several stacks may share the state).
  const live = await new ControllerStore(wh, schema).liveControllers(new Date(), options.controllersOf ?? options.stack);
  const holder = holderId('cli');
  if (options.request || live.length > 0) {
    const requestId = await new ComputeRequestStore(wh, schema).create(audienceKey, holder);
    const promises = live.flatMap((c) => (c.aliveUntil ? [c.aliveUntil.getTime()] : []));
    return { kind: 'requested', requestId, controllers: live.map((c) => c.id), ...(promises.length > 0 ? { lookBy: new Date(Math.max(...promises)) } : {}) };
  }

  const ttlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const lease = new LeaseCoordinator(() => wh, schema, holder);
  if (!(await lease.shouldRun(audienceKey, ttlMs))) {
    const held = (await new LeaseStore(wh, schema).list()).find((l) => l.key === audienceKey);
    throw new LinkedError(
      'AUDIENCE_BUSY',
      `Audience ${audienceKey} is being computed by ${held?.holder ?? 'another process'}` +
        (held?.expiresAt ? ` (its lease runs until ${held.expiresAt} unless renewed)` : '') +
        `. Try again when it finishes, or use --request. If that process is gone, its lease lapses by then; \`linked force-unlock ${audienceKey}\` releases it now.`,
    );
  }
  // Renewed while the run works: if this process dies, the lease lapses within one TTL.
  const heartbeat = lease.hold(audienceKey, ttlMs);
  try {
    const now = options.now ?? new Date();
    const summary = await runAudience(wh, {
      schema,
      audienceKey,
      trigger: 'manual',
      lease: { holder, ttlMs },
      onProgress: options.onProgress,
      compile: async () => compileAudience(model, audienceKey, { dialect: wh.dialect, stateSchema: schema, now, withSnapshot: await snapshotsToRead(wh, schema, model, audienceKey) }),
    });
    return { kind: 'computed', summary };
  } finally {
    await heartbeat.stop();
    await lease.onComplete(audienceKey);
  }
}

/** Follows a request: undefined until a controller has picked it up and the run ended. */
export async function requestOutcome(wh: Warehouse, schema: string, requestId: string): Promise<{ picked: boolean; run?: RunRow }> {
  const req = await new ComputeRequestStore(wh, schema).read(requestId);
  if (!req?.pickedAt) return { picked: false };
  if (!req.runId) throw new LinkedError('REQUEST_NOT_SERVED', `The controller could not compute ${req.audienceKey} (disabled, paused or no longer applied).`);
  const run = await readRun(wh, schema, req.runId);
  return { picked: true, run: run && run.status !== 'Computing' ? run : undefined };
}

/** A finished run row as a summary, for printing a run a controller did on our request. */
export function summaryOfRun(r: RunRow, paused: boolean): RunSummary {
  return {
    runId: r.id,
    audienceKey: r.audienceKey,
    status: r.status === 'Live' ? 'Live' : 'Failed',
    trigger: r.trigger,
    startedAt: r.startedAt,
    endedAt: r.endedAt ?? r.startedAt,
    durationMs: r.durationMs ?? 0,
    members: r.members,
    entered: r.entered,
    exited: r.exited,
    entitiesAdded: r.entitiesAdded,
    entitiesRemoved: r.entitiesRemoved,
    baseline: r.baseline ?? false,
    paused,
    queryIds: r.queryIds,
    ...(r.errorCode ? { error: { code: r.errorCode, message: r.errorMessage ?? '', action: paused ? ('pause' as const) : ('terminate' as const) } } : {}),
  };
}
