import { and, compare, isNotNull, param, ref, select, stateTable } from '../../dialect/ast.js';
import { DeliveryStore, textOrNull } from '../delivery/columns.js';

export interface AudienceSize {
  audienceKey: string;
  status: string;
  /** Members after the last successful run; null before the first. */
  size: number | null;
}

export interface LeaseHolding {
  audienceKey: string;
  holder: string;
}

export interface EmitterBacklog {
  emitterKey: string;
  destinationKey: string;
  /** Events the emitter has yet to send, as `linked status` counts them (DeliveryHealthStore.backlogs). */
  pending: number;
  /** When the oldest of them was written; null when none is pending. */
  oldestAt: string | null;
}

/**
 * What the daemon's state gauges read (`/metrics`): audience sizes and live leases (each emitter's
 * backlog is DeliveryHealthStore.backlogs', as `linked status` counts it). Reads only; cheap enough
 * to run once per controller tick.
 */
export class GaugeStore extends DeliveryStore {
  async audienceSizes(): Promise<AudienceSize[]> {
    const { rows } = await this.run(
      select({ audience_key: ref('audience_key'), status: ref('status'), size: ref('size') }, { from: stateTable(this.t.audience_status) }),
    );
    return rows.map((r) => {
      const size = this.get(r, 'size');
      return { audienceKey: String(this.get(r, 'audience_key')), status: String(this.get(r, 'status')), size: size === null || size === undefined ? null : Number(size) };
    });
  }

  /** Leases held and not expired at `now`. */
  async liveLeases(now: Date): Promise<LeaseHolding[]> {
    const { rows } = await this.run(
      select(
        { audience_key: ref('audience_key'), holder: ref('holder') },
        { from: stateTable(this.t.leases), where: and(isNotNull(ref('holder')), compare('>', ref('expires_at'), param(now))) },
      ),
    );
    return rows.map((r) => ({ audienceKey: String(this.get(r, 'audience_key')), holder: String(textOrNull(this.get(r, 'holder'))) }));
  }
}
