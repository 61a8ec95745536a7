import { afterEach, describe, expect, it } from 'vitest';
import { runAudience } from '../../src/compute/run.js';
import { computeTables } from '../compute/helpers.js';
import { LeaseCoordinator } from '../../src/controller/lease.js';
import { LeaseStore } from '../../src/state/control/leases.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { SCHEMA, freshWarehouse, outboxRows } from '../compute/helpers.js';

let wh: Warehouse;
afterEach(async () => wh?.close());

describe('leases', () => {
  it('admit one holder per audience until released or expired', async () => {
    wh = (await freshWarehouse()).wh;
    const leases = new LeaseStore(wh, SCHEMA);
    const t0 = new Date('2026-01-01T00:00:00Z');
    expect(await leases.acquire('aud', 'A', 60_000, t0)).toBe(true);
    expect(await leases.acquire('aud', 'B', 60_000, new Date(t0.getTime() + 1000))).toBe(false);
    expect(await leases.acquire('other', 'B', 60_000, t0)).toBe(true);
    expect(await leases.acquire('aud', 'A', 60_000, t0)).toBe(true); // re-entrant for its holder
    // Expired: another holder may take it (the first holder died).
    expect(await leases.acquire('aud', 'B', 60_000, new Date(t0.getTime() + 61_000))).toBe(true);
    await leases.release('aud', 'A'); // not A's any more: no effect
    expect(await leases.acquire('aud', 'C', 60_000, new Date(t0.getTime() + 62_000))).toBe(false);
    await leases.release('aud', 'B');
    expect(await leases.acquire('aud', 'C', 60_000, new Date(t0.getTime() + 62_000))).toBe(true);
  });

  it('implements node-cron RunCoordinator: shouldRun elects, onComplete releases', async () => {
    wh = (await freshWarehouse()).wh;
    const a = new LeaseCoordinator(() => wh, SCHEMA, 'A');
    const b = new LeaseCoordinator(() => wh, SCHEMA, 'B');
    expect(await a.shouldRun('aud', 60_000)).toBe(true);
    expect(await b.shouldRun('aud', 60_000)).toBe(false);
    await a.onComplete('aud');
    expect(await b.shouldRun('aud', 60_000)).toBe(true);
  });

  it('fences the commit: a run whose lease was taken writes nothing', async () => {
    wh = (await freshWarehouse()).wh;
    const t = computeTables(wh, SCHEMA);
    const leases = new LeaseStore(wh, SCHEMA);
    await wh.query("CREATE TABLE main.p AS SELECT 'u' || i AS user_id FROM range(10) t(i)");
    expect(await leases.acquire('aud', 'A', 60_000)).toBe(true);
    const r = await runAudience(wh, {
      schema: SCHEMA,
      audienceKey: 'aud',
      trigger: 'schedule',
      lease: { holder: 'A', ttlMs: 60_000 },
      compile: () => ({ membership: { sql: 'SELECT user_id AS profile_id FROM main.p', params: [] }, entities: [] }),
      // Between the staging and the commit, another holder takes over (A's lease expired).
      onProgress: (p) => {
        if (p.step === 'check-results') void wh.query(`UPDATE ${t.leases} SET holder = 'B' WHERE audience_key = 'aud'`);
      },
    });
    expect(r.error?.code).toBe('LEASE_LOST');
    expect(await outboxRows(wh)).toEqual([]);
  });
});
