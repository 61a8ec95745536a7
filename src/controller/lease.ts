import type { RunCoordinator } from 'node-cron';
import { LeaseStore } from '../state/control/leases.js';
import type { Warehouse } from '../warehouse/types.js';

/**
 * node-cron's RunCoordinator over the lease table: `shouldRun(audienceKey, ttl)` elects this
 * holder for the audience, `onComplete(audienceKey)` releases it. The warehouse is the one the
 * current tick opened (DESIGN D5: never held between ticks).
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
}
