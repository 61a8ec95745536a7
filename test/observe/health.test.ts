import { describe, expect, it } from 'vitest';
import { DaemonHealth } from '../../src/observe/health.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';

/* Liveness and readiness as the daemon's warehouse sessions show them; the clock is injected. */
describe('DaemonHealth', () => {
  it('starts not live, is live while a session is open and after, goes stale when ticking stops', async () => {
    let now = 0;
    const health = new DaemonHealth({ staleAfterMs: 60_000, now: () => now });
    expect(health.live()).toEqual({ ok: false, reason: 'starting: the warehouse has not been opened yet' });
    let closedBefore = 0;
    const open = health.track(() => openDuckDb(':memory:'), async () => void (closedBefore += 1));
    const wh = await open();
    now = 10 * 60_000;
    // A long run: the session stays open, so the daemon stays live however long it takes.
    expect(health.live()).toEqual({ ok: true, reason: 'working' });
    await wh.close();
    await wh.close();
    expect(closedBefore).toBe(1);
    expect(health.live().ok).toBe(true);
    now += 61_000;
    expect(health.live()).toEqual({ ok: false, reason: 'stuck: no tick for 61 s' });
    await (await open()).close();
    expect(health.ready().ok).toBe(true);
    health.markStopping();
    expect(health.ready()).toEqual({ ok: false, reason: 'stopping' });
    expect(health.live().ok).toBe(true);
  });

  it('is not live while the warehouse does not open, and live again once it does', async () => {
    let fail = true;
    const health = new DaemonHealth({ staleAfterMs: 60_000 });
    const open = health.track(async () => {
      if (fail) throw new Error('could not connect');
      return openDuckDb(':memory:');
    });
    await expect(open()).rejects.toThrow('could not connect');
    expect(health.live()).toEqual({ ok: false, reason: 'the warehouse did not open: could not connect' });
    expect(health.ready().ok).toBe(false);
    fail = false;
    await (await open()).close();
    expect(health.live().ok).toBe(true);
  });
});
