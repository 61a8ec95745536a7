import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeliveryLoop } from '../../src/controller/delivery-loop.js';
import { emitterLeaseKey } from '../../src/state/control/leases.js';
import { waitersDirFor } from '../../src/controller/file-waiters.js';
import { SharedFile } from '../../src/controller/shared-file.js';
import { LeaseStore } from '../../src/state/control/leases.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, SCHEMA, seedBank, startServer, tempDir } from '../activation/helpers.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';

describe('the delivery loop', () => {
  it('two daemons never deliver one emitter at once: the second skips it while the first holds its lease', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let first!: () => void;
    const arrived = new Promise<void>((r) => (first = r));
    const server = await startServer(async (_req, _n, res) => {
      first();
      await gate;
      json(res, 200, {});
    });
    const path = join(tempDir(), 'w.duckdb');
    const setup = await openMigratedDuckDb(path, SCHEMA);
    await seedBank(setup, 3);
    await applyResources(setup, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook` } }],
      emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered' }],
    });
    await insertOutbox(setup, [
      { kind: 'entered', profileId: 'u1' },
      { kind: 'entered', profileId: 'u2' },
    ]);
    await setup.close();

    const file = new SharedFile({ open: () => openDuckDb(path), waitersDir: waitersDirFor(path) });
    const handle = async () => file.handle();
    const skipped: string[] = [];
    const a = new DeliveryLoop({ open: handle, schema: SCHEMA, holder: 'daemon-a' });
    const b = new DeliveryLoop({ open: handle, schema: SCHEMA, holder: 'daemon-b', log: (l) => skipped.push(l) });
    try {
      const delivering = a.untilEmpty();
      await arrived;
      expect(await new LeaseStore(file.handle(), SCHEMA).holder(emitterLeaseKey('entered'))).toBe('daemon-a');
      expect(await b.untilEmpty()).toEqual([]);
      expect(skipped).toEqual(['entered: delivered by daemon-a, skipped']);
      open();
      expect(await delivering).toMatchObject([{ emitterKey: 'entered', status: 'delivered', sent: 2, trigger: 'once' }]);
      expect(await new LeaseStore(file.handle(), SCHEMA).holder(emitterLeaseKey('entered'))).toBeNull();
      // Nothing left: a later pass of either finds nothing to do.
      expect(await b.untilEmpty()).toEqual([]);
      expect(server.requests).toHaveLength(2);
    } finally {
      await a.stop();
      await b.stop();
      await file.close();
      await server.close();
    }
  }, 60_000);

  it('a pass leaves its lease free: no renewal in flight re-takes it after the release', async () => {
    // Renewals every 50 ms while each request takes 60 ms: passes end with a renewal due or queued.
    const server = await startServer(async (_req, _n, res) => {
      await new Promise((r) => setTimeout(r, 60));
      json(res, 200, {});
    });
    const path = join(tempDir(), 'w.duckdb');
    const setup = await openMigratedDuckDb(path, SCHEMA);
    await seedBank(setup, 3);
    await applyResources(setup, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook` } }],
      emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered' }],
    });
    await setup.close();
    const file = new SharedFile({ open: () => openDuckDb(path), waitersDir: waitersDirFor(path) });
    const loop = new DeliveryLoop({ open: async () => file.handle(), schema: SCHEMA, holder: 'daemon-a', leaseTtlMs: 150 });
    const held: (string | null)[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        await insertOutbox(file.handle(), [{ kind: 'entered', profileId: `u${i % 3}` }, { kind: 'entered', profileId: `u${(i + 1) % 3}` }], `run-${i}`);
        expect(await loop.untilEmpty()).toMatchObject([{ status: 'delivered', sent: 2 }]);
        // Whatever renewal was due has had its turn on the file.
        await new Promise((r) => setTimeout(r, 120));
        held.push(await new LeaseStore(file.handle(), SCHEMA).holder(emitterLeaseKey('entered')));
      }
      expect(held).toEqual(Array(12).fill(null));
    } finally {
      await loop.stop();
      await file.close();
      await server.close();
    }
  }, 120_000);
});
