import { describe, expect, it } from 'vitest';
import { runKillLoop } from './kill-loop.js';

/*
 * Crash safety of the daemon as a whole: `linked run` (compute and delivery) killed with SIGKILL at
 * seeded random moments, restarted each time; then every event the warehouse owes has arrived at
 * least once, nothing arrived that it does not owe, a resent event is the same event (same
 * messageId, same body), the destination's view of membership is the warehouse's, and nothing
 * (lease, request, running record) is left behind. bench/crash runs the same loop with more kills.
 */
describe('linked run under SIGKILL', () => {
  it('loses no event across 8 kills and restarts', async () => {
    const pageSize = 25;
    const r = await runKillLoop({ kills: 8, seed: 20261206, users: 1500, changesPerCycle: 120, pageSize, webhookDelayMs: 15, maxKillDelayMs: 150 });
    expect(r.finalExitCode).toBe(0);
    expect(r.kills).toBe(8);
    // The seed aims kills at every phase; at least one cut a delivery pass in the middle.
    expect(Object.values(r.aimed).every((n) => n > 0)).toBe(true);
    expect(r.cutDeliveries).toBeGreaterThan(0);
    expect(r.expected).toBeGreaterThan(300);
    expect(r.lost).toBe(0);
    expect(r.unexpected).toBe(0);
    expect(r.delivered).toBe(r.expected);
    // Resent only from the pages in flight at each kill (the one being sent, the one being
    // recorded: deliver.ts pipelines two), and as the same events.
    expect(r.duplicates).toBeLessThanOrEqual(r.kills * 2 * pageSize);
    expect(r.duplicatesDiffering).toBe(0);
    expect(r.membershipMismatches).toBe(0);
    expect(r.membersAtDestination).toBe(r.membersInWarehouse);
    expect([r.leases, r.pendingRequests, r.runningDeliveryRuns, r.computingRuns]).toEqual([0, 0, 0, 0]);
  }, 600_000);

  it('SIGTERM at the same moments: no event lost and none sent twice', async () => {
    const r = await runKillLoop({ kills: 4, seed: 11, users: 1500, changesPerCycle: 120, pageSize: 25, webhookDelayMs: 15, maxKillDelayMs: 150, signal: 'SIGTERM' });
    expect(r.finalExitCode).toBe(0);
    expect(r.expected).toBeGreaterThan(300);
    expect([r.lost, r.unexpected, r.duplicates]).toEqual([0, 0, 0]);
    expect(r.membershipMismatches).toBe(0);
    expect([r.leases, r.pendingRequests, r.runningDeliveryRuns, r.computingRuns]).toEqual([0, 0, 0, 0]);
  }, 600_000);
});
