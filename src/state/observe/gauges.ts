import { and, coalesce, compare, lit, countStar, eq, fn, isNotNull, param, ref, scalar, select, stateTable, sysCol } from '../../dialect/ast.js';
import type { EventEmitter } from '../../model/emitter.js';
import { isoTimestamp } from '../canonical.js';
import { DeliveryStore, numberOf, textOrNull } from '../delivery/columns.js';
import { outboxFilter } from '../delivery/selection.js';

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
  /** Outbox rows of the emitter after its cursor (before its first delivery: all rows its filter selects). */
  pending: number;
  /** When the oldest of them was written; null when none is pending. */
  oldestAt: string | null;
}

/**
 * What the daemon's state gauges read (`/metrics`): audience sizes, live leases and each emitter's
 * outbox backlog. Reads only; cheap enough to run once per controller tick.
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

  /** The rows each emitter has yet to deliver: those its filter selects after its cursor. */
  async backlog(emitters: readonly EventEmitter[]): Promise<EmitterBacklog[]> {
    const out: EmitterBacklog[] = [];
    for (const emitter of emitters) {
      const cursor = scalar(
        select({ last_outbox_id: ref('last_outbox_id') }, { from: stateTable(this.t.delivery_cursors), where: eq(ref('emitter_key'), param(emitter.key)) }),
      );
      const { rows } = await this.run(
        select(
          { pending: countStar, oldest_at: fn('MIN', sysCol('o', 'created_at')) },
          { from: stateTable(this.t.outbox, 'o'), where: and(outboxFilter(emitter, 'o'), compare('>', sysCol('o', 'id'), coalesce(cursor, lit(0)))) },
        ),
      );
      const r = rows[0] ?? {};
      out.push({
        emitterKey: emitter.key,
        destinationKey: emitter.destination,
        pending: numberOf(this.get(r, 'pending')),
        oldestAt: isoTimestamp(this.get(r, 'oldest_at')),
      });
    }
    return out;
  }
}
