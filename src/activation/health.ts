import { DeliveryHealthStore, type EmitterHealth } from '../state/delivery/health.js';
import type { Warehouse } from '../warehouse/types.js';
import { emittersOf, readActivationModel, type ActivationModel } from './emitter-context.js';
import { budgetEndsAt, retryBudgetMs } from './send/budget.js';

export type { EmitterHealth } from '../state/delivery/health.js';

/** An emitter's delivery health with its destination's retry budget applied. */
export interface EmitterHealthView extends EmitterHealth {
  /** While retrying: when the events it is stuck on reach their retry budget and go to dead letters. */
  retryBudgetEndsAt: string | null;
  /** While blocked: when a delivering daemon tries it again (blockedRetryAt); a new apply of its destination or `linked deliver` tries it at once. */
  nextTryAt: string | null;
}

/** The shortest and longest wait of a blocked emitter between two tries of a daemon. */
export const BLOCKED_RETRY_MIN_MS = 10_000;
export const BLOCKED_RETRY_MAX_MS = 5 * 60_000;

/**
 * When a daemon tries a blocked emitter again after a try that failed at `failedAt`: it waits as
 * long as the emitter has been blocked, from BLOCKED_RETRY_MIN_MS up to BLOCKED_RETRY_MAX_MS, so the
 * waits double while nobody fixes it. A block waits for a person, and each try costs the
 * destination a refused request. Read from the emitter's health record alone, so `linked status`
 * tells the time the daemon keeps.
 */
export function blockedRetryAt(failedAt: Date, blockedSince: Date | null): Date {
  const blockedFor = blockedSince === null ? 0 : failedAt.getTime() - blockedSince.getTime();
  return new Date(failedAt.getTime() + Math.min(BLOCKED_RETRY_MAX_MS, Math.max(BLOCKED_RETRY_MIN_MS, blockedFor)));
}

/** An emitter's state in words (`linked status`, the dashboard); one waiting for a compute names its audience. */
export const emitterStateLabel = (h: Pick<EmitterHealth, 'state' | 'waitingForCompute'>): string =>
  h.waitingForCompute ? `waiting for the next compute of ${h.waitingForCompute.audienceKey}` : h.state.replaceAll('_', ' ');

/**
 * The delivery health of every applied emitter (`linked status`, metrics, the daemon): pending
 * events, lag, last success, consecutive failures, blocked since, dead letters.
 */
export async function readDeliveryHealth(
  wh: Warehouse,
  schema: string,
  opts: { stack?: string; model?: ActivationModel; now?: Date } = {},
): Promise<EmitterHealthView[]> {
  const model = opts.model ?? (await readActivationModel(wh, schema, opts.stack));
  const now = opts.now ?? new Date();
  const list = emittersOf(model).map((emitter) => ({ emitter, createdAt: model.emitterCreatedAt.get(emitter.key) ?? null }));
  const health = await new DeliveryHealthStore(wh, schema).emitters(list, now);
  return health.map((h) => {
    const destination = model.applied?.destination(h.destinationKey);
    // The events it is stuck on are the oldest waiting: their budget runs from the later of the episode's start and their creation.
    const ends = h.state === 'retrying' && h.failingSince && destination ? budgetEndsAt(new Date(h.failingSince), h.oldestPendingAt, retryBudgetMs(destination)).toISOString() : null;
    const nextTry = h.state === 'blocked' && h.lastFailureAt ? blockedRetryAt(new Date(h.lastFailureAt), h.blockedSince ? new Date(h.blockedSince) : null).toISOString() : null;
    return { ...h, retryBudgetEndsAt: ends, nextTryAt: nextTry };
  });
}
