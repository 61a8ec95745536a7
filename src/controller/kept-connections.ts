import { handleOn } from '../warehouse/handle.js';
import type { Warehouse } from '../warehouse/types.js';

/**
 * The warehouse connections a serving daemon keeps open between its ticks, delivery looks and
 * passes, each of which opens and closes one. On Snowflake opening one is a login (a round trip,
 * a new session, a row in the account's login history): without keeping them, an idle daemon logs
 * in several times a minute, for months. A lent connection's `close()` gives it back; one is
 * closed for good beyond `maxIdle` idle ones, after `maxIdleMs` unused (Snowflake ends a session
 * idle for 4 hours, and a transaction begun on an ended session fails once), or when the daemon
 * stops. Any idle connection
 * serves any work, since nothing the daemon does relies on session state (the query tag and time
 * zone travel with each statement, and every transaction ends before its unit returns).
 */
export class KeptConnections {
  /** Most recently given back last. */
  private readonly idle: { wh: Warehouse; since: number }[] = [];
  private closed = false;

  constructor(
    private readonly openConnection: () => Promise<Warehouse>,
    private readonly maxIdle = 8,
    private readonly maxIdleMs = 30 * 60_000,
  ) {}

  /** An idle connection, or a new one; its `close()` gives it back. */
  async open(): Promise<Warehouse> {
    const stale = Date.now() - this.maxIdleMs;
    const expired = this.idle.filter((c) => c.since < stale);
    this.idle.splice(0, expired.length);
    for (const c of expired) void c.wh.close().catch(() => undefined);
    const wh = this.idle.pop()?.wh ?? (await this.openConnection());
    return handleOn(wh, async () => {
      if (this.closed || this.idle.length >= this.maxIdle) await wh.close();
      else this.idle.push({ wh, since: Date.now() });
    });
  }

  /** Closes the idle connections; connections still lent close when they are given back. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((c) => c.wh.close().catch(() => undefined)));
  }
}
