import { handleOn } from '../warehouse/handle.js';
import type { Warehouse } from '../warehouse/types.js';

export interface HealthVerdict {
  ok: boolean;
  /** Why, in a few words: what /healthz and /readyz answer in their body. */
  reason: string;
}

export interface HealthOptions {
  /**
   * How long the daemon may go without opening the warehouse while idle before it counts as
   * stuck (its ticking stopped). A tick in progress (a long run) is never stale.
   */
  staleAfterMs: number;
  now?: () => number;
}

/**
 * The daemon's health as its warehouse sessions show it. The controller opens the warehouse at
 * every tick and closes it after; wrapping `open` sees each tick start, whether the warehouse
 * opened, and whether work is in progress, with no hook inside the controller.
 *
 * - live (/healthz): the last attempt to open the warehouse succeeded, and a session is open now
 *   or one was opened within `staleAfterMs` (the ticking goes on).
 * - ready (/readyz): live, and not stopping (SIGTERM drains: take it out of rotation).
 * - halted (a newer linked migrated the state): neither, whatever the sessions say, until it exits.
 */
export class DaemonHealth {
  private opened = 0;
  private openSessions = 0;
  private lastOpenAt: number | undefined;
  private lastError: string | undefined;
  private stopping = false;
  private halted: string | undefined;

  constructor(private readonly o: HealthOptions) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /**
   * `open`, observed; `beforeClose` runs on each session before it closes (the state gauges are
   * read there, on the connection the daemon already holds: a DuckDB file admits one).
   */
  track(open: () => Promise<Warehouse>, beforeClose?: (wh: Warehouse) => Promise<void>): () => Promise<Warehouse> {
    return async () => {
      this.lastOpenAt = this.now();
      let wh: Warehouse;
      try {
        wh = await open();
      } catch (e) {
        this.lastError = `the warehouse did not open: ${(e as Error).message}`;
        throw e;
      }
      this.lastError = undefined;
      this.opened += 1;
      this.openSessions += 1;
      return handleOn(wh, async () => {
        try {
          await beforeClose?.(wh).catch(() => undefined);
          await wh.close();
        } finally {
          this.openSessions -= 1;
          this.lastOpenAt = this.now();
        }
      });
    };
  }

  /** SIGTERM: the daemon drains; readiness goes down at once. */
  markStopping(): void {
    this.stopping = true;
  }

  /** The daemon halted and stops for good (it exits): unhealthy and not ready, for `reason`. */
  markHalted(reason: string): void {
    this.halted = reason;
  }

  live(): HealthVerdict {
    if (this.halted) return { ok: false, reason: this.halted };
    if (this.lastError) return { ok: false, reason: this.lastError };
    if (this.opened === 0) return { ok: false, reason: 'starting: the warehouse has not been opened yet' };
    if (this.openSessions > 0) return { ok: true, reason: 'working' };
    const idleMs = this.now() - (this.lastOpenAt ?? 0);
    if (idleMs > this.o.staleAfterMs) return { ok: false, reason: `stuck: no tick for ${Math.round(idleMs / 1000)} s` };
    return { ok: true, reason: 'ticking' };
  }

  ready(): HealthVerdict {
    if (this.halted) return { ok: false, reason: this.halted };
    if (this.stopping) return { ok: false, reason: 'stopping' };
    return this.live();
  }
}
