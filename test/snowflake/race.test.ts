import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeRequestStore } from '../../src/state/control/compute-requests.js';
import { LeaseStore } from '../../src/state/control/leases.js';
import { migrateState } from '../../src/state/migrate.js';
import { openSnowflake, type SnowflakeWarehouse } from '../../src/warehouse/snowflake.js';
import { EMULATED_PASSWORD, emulatedConfig } from '../support/snowflake-emulator/connect.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../support/snowflake-emulator/index.js';

/*
 * Two controllers (two Snowflake sessions through snowflake-sdk) race for the same leases and
 * import the same "compute now" requests. Snowflake enforces no primary key: what keeps the rows
 * unique is the table lock each store takes before its insert-unless-present. The emulation adds
 * latency to every write, so each race overlaps as on a busy warehouse.
 */
const SCHEMA = 'LINKED_AUDIENCES';

describe('racing controllers on emulated Snowflake', () => {
  let emulator: SnowflakeEmulator;
  let a: SnowflakeWarehouse;
  let b: SnowflakeWarehouse;

  const count = async (table: string, column: string, value: string) => {
    const r = await emulator.seed(`SELECT COUNT(*) FROM ANALYTICS.${SCHEMA}."${table}" WHERE ${column} = ?`, [{ type: 'TEXT', value }]);
    return Number(r.rows[0]![0]);
  };

  beforeAll(async () => {
    emulator = await startSnowflakeEmulator({ password: EMULATED_PASSWORD, dmlLatencyMs: 40 });
    const open = () => openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: EMULATED_PASSWORD } });
    [a, b] = await Promise.all([open(), open()]);
    await migrateState(a, SCHEMA);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
  });

  it('one holder per lease and one lease row, whoever comes first', async () => {
    const keys = ['dormant-savers', 'overdue-cards', 'travel-spenders'];
    for (const key of keys) {
      const [gotA, gotB] = await Promise.all([
        new LeaseStore(a, SCHEMA).acquire(key, 'controller:a', 30_000),
        new LeaseStore(b, SCHEMA).acquire(key, 'controller:b', 30_000),
      ]);
      expect([gotA, gotB].filter(Boolean), key).toHaveLength(1);
      expect(await count('leases', 'audience_key', key), key).toBe(1);
      const holder = await new LeaseStore(b, SCHEMA).holder(key);
      expect(holder).toBe(gotA ? 'controller:a' : 'controller:b');
    }
    // The second contender queued on the first one's table lock rather than racing it.
    expect(emulator.lockEvents.some((e) => e.table.endsWith('.leases') && e.outcome === 'waited')).toBe(true);
  });

  it('one holder when both race for a free lease whose row exists (one conditional update each)', async () => {
    const key = 'fleet-01';
    expect(await new LeaseStore(a, SCHEMA).acquire(key, 'controller:a', 30_000)).toBe(true);
    for (let round = 0; round < 3; round++) {
      await new LeaseStore(a, SCHEMA).release(key, 'controller:a');
      await new LeaseStore(b, SCHEMA).release(key, 'controller:b');
      const [gotA, gotB] = await Promise.all([
        new LeaseStore(a, SCHEMA).acquire(key, 'controller:a', 30_000),
        new LeaseStore(b, SCHEMA).acquire(key, 'controller:b', 30_000),
      ]);
      expect([gotA, gotB].filter(Boolean), `round ${round}`).toHaveLength(1);
      expect(await new LeaseStore(b, SCHEMA).holder(key)).toBe(gotA ? 'controller:a' : 'controller:b');
    }
    expect(await count('leases', 'audience_key', key)).toBe(1);
  });

  it('a request file imported by two controllers at once is one request', async () => {
    const request = { id: 'req-race-1', audienceKey: 'overdue-cards', requestedAt: new Date(), requestedBy: 'tester' };
    await Promise.all([new ComputeRequestStore(a, SCHEMA).import(request), new ComputeRequestStore(b, SCHEMA).import(request)]);
    expect(await count('compute_requests', 'id', request.id)).toBe(1);
    expect(await new ComputeRequestStore(a, SCHEMA).pending()).toEqual(new Set(['overdue-cards']));
  });
});
