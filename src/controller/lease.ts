import type { RunCoordinator } from 'node-cron';
import { LeaseStore } from '../state/control/leases.js';
import type { Warehouse } from '../warehouse/types.js';

/**
 * How long a lease (or a controller's liveness) outlives its holder's last heartbeat. Holders renew
 * every third of it while they work, so a holder that died frees what it held within this time
 * (at once when it ran on the same host: its pid is checked).
 */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/** A running heartbeat; `stop` waits for a beat in flight, so nothing renews after it returns. */
export interface Heartbeat {
  stop(): Promise<void>;
}

/**
 * Calls `beat` every `intervalMs` until stopped. A failed beat is reported and the next one tries
 * again: missing one beat never loses a lease, as the interval is a third of its TTL.
 */
export function startHeartbeat(beat: () => Promise<unknown>, intervalMs: number, onError?: (e: unknown) => void): Heartbeat {
  let inFlight: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    // A beat still waiting (behind a long statement on the same connection) stands for this one.
    inFlight ??= beat()
      .catch((e) => onError?.(e))
      .finally(() => (inFlight = undefined));
  }, Math.max(50, intervalMs));
  // A heartbeat alone never keeps the process alive.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}

/** The heartbeat interval for a TTL: two beats may be missed before the lease lapses. */
export const heartbeatInterval = (ttlMs: number) => Math.max(50, Math.floor(ttlMs / 3));

/**
 * node-cron's RunCoordinator over the lease table: `shouldRun(audienceKey, ttl)` elects this
 * holder for the audience, `onComplete(audienceKey)` releases it. The warehouse is the one the
 * current tick opened (decision D5: never held between ticks). `hold` keeps a lease renewed while
 * its work runs.
 */
export class LeaseCoordinator implements RunCoordinator {
  constructor(
    private readonly warehouse: () => Warehouse,
    private readonly schema: string,
    readonly holder: string,
  ) {}
  private get leases() {
    return new LeaseStore(this.warehouse(), this.schema);
  }
  shouldRun(audienceKey: string, ttlMs: number): Promise<boolean> {
    return this.leases.acquire(audienceKey, this.holder, ttlMs);
  }
  onComplete(audienceKey: string): Promise<void> {
    return this.leases.release(audienceKey, this.holder);
  }
  /** Renews the lease every third of its TTL until the returned heartbeat stops. */
  hold(audienceKey: string, ttlMs: number, onError?: (e: unknown) => void): Heartbeat {
    return startHeartbeat(() => this.leases.renew(audienceKey, this.holder, ttlMs), heartbeatInterval(ttlMs), onError);
  }
}
