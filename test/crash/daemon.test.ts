import { describe, expect, it } from 'vitest';
import { runKillLoop } from './kill-loop.js';

/*
 * Crash safety of the daemon as a whole: `linked run` (compute and delivery) killed with SIGKILL at
 * seeded moments in every phase, and stopped with SIGTERM between kills, restarted each time; then
 * every event the warehouse owes has arrived at least once, nothing arrived that it does not owe, a
 * resent event is the same event (same messageId, same body) from a batch in flight at a crash, a
 * SIGTERM resent nothing, the destination's view of membership is the warehouse's, and nothing
 * (lease, request, running record) is left behind. bench/crash runs the same loop with more kills.
 */
describe('linked run under SIGKILL and SIGTERM', () => {
  it('loses no event across 10 kills and 2 clean stops; a clean stop sends nothing twice', async () => {
    const pageSize = 10;
    const r = await runKillLoop({ kills: 10, sigterms: 2, seed: 20261206, users: 500, changesPerCycle: 40, pageSize, webhookDelayMs: 40, maxKillDelayMs: 150 });
    expect(r.finalExitCode).toBe(0);
    expect([r.kills, r.sigterms]).toEqual([10, 2]);
    // Every phase takes kills; at least one cut a delivery pass in the middle.
    expect(Object.values(r.aimed).every((n) => n >= 2)).toBe(true);
    expect(r.cutDeliveries).toBeGreaterThan(0);
    // Kills aimed at a delivery land while the webhook processes a request: it is dropped, resent.
    expect(r.droppedRequests).toBeGreaterThan(0);
    expect(r.expected).toBeGreaterThan(200);
    expect(r.lost).toBe(0);
    expect(r.unexpected).toBe(0);
    expect(r.delivered).toBe(r.expected);
    // Resent only from the pages in flight at each kill, and as the same events; never after a SIGTERM.
    expect(r.duplicatesOutsideFlight).toBe(0);
    expect(r.duplicates).toBeLessThanOrEqual(r.kills * 2 * pageSize);
    expect(r.duplicatesDiffering).toBe(0);
    expect(r.resentAfterSigterm).toBe(0);
    expect(r.membershipMismatches).toBe(0);
    expect(r.membersAtDestination).toBe(r.membersInWarehouse);
    expect([r.leases, r.pendingRequests, r.runningDeliveryRuns, r.computingRuns]).toEqual([0, 0, 0, 0]);
  }, 600_000);
});
