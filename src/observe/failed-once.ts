import type { EmitterDelivery } from '../activation/deliver.js';

/**
 * Counts each event a delivery failure held back once per failure episode of its emitter. A
 * destination that keeps failing leaves the same events after the cursor pass after pass, and
 * every pass reports them as failed again: a counter adding those reports said thousands of events
 * failed when fifty waited. Events leave the outbox in cursor order, so the ones counted already
 * are the first of those waiting: a pass's handled events (sent, dead-lettered) leave from them.
 */
export class FailedOnce {
  /** Per emitter: how many of its waiting events the counter holds already. */
  private readonly counted = new Map<string, number>();

  /** Of what this pass reports as failed, the events not counted yet. */
  newlyFailed(pass: Pick<EmitterDelivery, 'emitterKey' | 'status' | 'sent' | 'deadLettered' | 'failed'>): number {
    if (pass.status === 'delivered') {
      this.counted.delete(pass.emitterKey);
      return 0;
    }
    const stillWaiting = Math.max(0, (this.counted.get(pass.emitterKey) ?? 0) - pass.sent - pass.deadLettered);
    const fresh = Math.max(0, pass.failed - stillWaiting);
    this.counted.set(pass.emitterKey, stillWaiting + fresh);
    return fresh;
  }
}
