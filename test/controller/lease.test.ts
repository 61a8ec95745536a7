import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { runAudience } from '../../src/compute/run.js';
import { computeTables } from '../compute/helpers.js';
import { LeaseCoordinator, startHeartbeat } from '../../src/controller/lease.js';
import { ControllerStore } from '../../src/state/control/controllers.js';
import { holderIsDead, holderProcess } from '../../src/state/control/holder.js';
import { LeaseStore } from '../../src/state/control/leases.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { SCHEMA, freshWarehouse, outboxRows } from '../compute/helpers.js';
import { recordingWarehouse } from '../support/recording-warehouse.js';

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

  it('takes a lease whose row exists in one statement; creating the row takes a transaction', async () => {
    wh = (await freshWarehouse()).wh;
    const { wh: recorded, statements } = recordingWarehouse(wh);
    const leases = new LeaseStore(recorded, SCHEMA);
    expect(await leases.acquire('aud', 'A', 60_000)).toBe(true);
    expect(statements.filter((s) => s.inTransaction).length).toBeGreaterThan(0);
    await leases.release('aud', 'A');
    statements.length = 0;
    expect(await leases.acquire('aud', 'B', 60_000)).toBe(true);
    expect(statements).toHaveLength(1);
  });

  it('takes several leases at once: free rows in one statement; each lease as acquire would, a live holder\'s kept', async () => {
    wh = (await freshWarehouse()).wh;
    const { wh: recorded, statements } = recordingWarehouse(wh);
    const leases = new LeaseStore(recorded, SCHEMA);
    const t0 = new Date('2026-01-01T00:00:00Z');
    const keys = ['e1', 'e2', 'e3', 'e4'];
    // Rows absent: each is created as acquire creates it.
    expect([...(await leases.acquireAll(keys, 'A', 60_000, t0))].sort()).toEqual(keys);
    await leases.releaseAll(keys, 'A');
    statements.length = 0;
    expect([...(await leases.acquireAll(keys, 'B', 60_000, t0))].sort()).toEqual(keys);
    expect(statements).toHaveLength(1);
    await leases.releaseAll(['e1', 'e2'], 'B');
    // e3 held by a live holder (B), e4 by a process on this host that is gone, e1 and e2 free.
    await leases.releaseAll(['e4'], 'B');
    const dead = `cli:${hostname()}:${deadPid()}`;
    expect(await leases.acquire('e4', dead, 60_000, t0)).toBe(true);
    const taken = await leases.acquireAll(keys, 'C', 60_000, new Date(t0.getTime() + 1000));
    expect([...taken].sort()).toEqual(['e1', 'e2', 'e4']);
    expect(await leases.holder('e3')).toBe('B');
    // Released only where C holds them.
    await leases.releaseAll(keys, 'C');
    expect(await Promise.all(keys.map((k) => leases.holder(k)))).toEqual([null, null, 'B', null]);
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

/** The pid of a process that ran on this host and has exited (reaped: its pid is free). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('holders that died', () => {
  it('are recognised on this host by pid, in both holder formats; never on another host', () => {
    const pid = deadPid();
    expect(holderProcess(`cli:${hostname()}:${pid}`)).toEqual({ host: hostname(), pid });
    expect(holderProcess(`controller:${hostname()}:${pid}:ab12cd34`)).toEqual({ host: hostname(), pid });
    expect(holderProcess(`ana@${hostname()} (pid ${pid})`)).toEqual({ host: hostname(), pid });
    expect(holderIsDead(`cli:${hostname()}:${pid}`)).toBe(true);
    expect(holderIsDead(`ana@${hostname()} (pid ${pid})`)).toBe(true);
    expect(holderIsDead(`cli:${hostname()}:${process.pid}`)).toBe(false);
    expect(holderIsDead(`cli:some-other-host:${pid}`)).toBe(false);
    expect(holderIsDead('controller-x')).toBe(false);
    expect(holderIsDead(null)).toBe(false);
  });

  it('include a killed process its parent has not reaped yet (a zombie answers signals)', async () => {
    // `sh` starts a child that ends once `sh` has become `sleep`, which never reaps it.
    const shell = spawn('sh', ['-c', '(sleep 0.2; exit 0) & echo $!; exec sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(String(await new Promise<Buffer>((resolve) => shell.stdout.once('data', resolve))).trim());
      const state = () => {
        const stat = readFileSync(`/proc/${zombie}/stat`, 'utf8');
        return stat[stat.lastIndexOf(')') + 2];
      };
      for (let i = 0; i < 100 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(state()).toBe('Z');
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(holderIsDead(`cli:${hostname()}:${zombie}`)).toBe(true);
      expect(holderIsDead(`cli:${hostname()}:${shell.pid}`)).toBe(false);
    } finally {
      shell.kill();
    }
  });

  it('lose their lease at once to a holder on the same host; a holder elsewhere keeps it until it expires', async () => {
    wh = (await freshWarehouse()).wh;
    const leases = new LeaseStore(wh, SCHEMA);
    const t0 = new Date('2026-01-01T00:00:00Z');
    const dead = `cli:${hostname()}:${deadPid()}`;
    expect(await leases.acquire('aud', dead, 30_000, t0)).toBe(true);
    expect(await leases.acquire('aud', 'controller:me', 30_000, new Date(t0.getTime() + 1000))).toBe(true);

    const remote = `cli:elsewhere:${deadPid()}`;
    expect(await leases.acquire('other', remote, 30_000, t0)).toBe(true);
    expect(await leases.acquire('other', 'controller:me', 30_000, new Date(t0.getTime() + 29_000))).toBe(false);
    expect(await leases.acquire('other', 'controller:me', 30_000, new Date(t0.getTime() + 31_000))).toBe(true);
  });

  it('renewed by a heartbeat, a lease outlives its TTL while its holder works; force-release frees it', async () => {
    wh = (await freshWarehouse()).wh;
    const leases = new LeaseStore(wh, SCHEMA);
    const a = new LeaseCoordinator(() => wh, SCHEMA, 'A');
    expect(await a.shouldRun('aud', 300)).toBe(true);
    const first = Date.parse((await leases.list())[0]!.expiresAt!);
    const beat = a.hold('aud', 300);
    // Wait (for the event, not a time) until a renewal pushed the expiry past the original TTL.
    let last = first;
    while (last <= first + 300) {
      await new Promise((r) => setTimeout(r, 20));
      last = Date.parse((await leases.list())[0]!.expiresAt!);
    }
    await beat.stop();
    last = Date.parse((await leases.list())[0]!.expiresAt!);
    expect(await leases.acquire('aud', 'B', 300, new Date(last - 1))).toBe(false);
    expect(await leases.forceRelease('aud')).toMatchObject({ key: 'aud', holder: 'A' });
    expect(await leases.acquire('aud', 'B', 300, new Date(last - 1))).toBe(true);
    expect(await leases.releaseHolder('B')).toMatchObject([{ key: 'aud', holder: 'B' }]);
    expect(await leases.list()).toEqual([]);
  });

  it('a renewal that fails is reported and the next one tries again', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    await new Promise<void>((resolve) => {
      const hb = startHeartbeat(
        async () => {
          calls += 1;
          if (calls === 1) throw new Error('warehouse busy');
          if (calls === 2) void hb.stop().then(resolve);
        },
        50,
        (e) => errors.push(e),
      );
    });
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('a controller killed on this host is not live, however recent its beat', async () => {
    wh = (await freshWarehouse()).wh;
    const t = computeTables(wh, SCHEMA);
    const controllers = new ControllerStore(wh, SCHEMA);
    await controllers.heartbeat('controller:alive', new Date(), 60_000);
    await controllers.heartbeat('controller:dead', new Date(), 60_000);
    await wh.query(`UPDATE ${t.controllers} SET pid = ? WHERE id = 'controller:dead'`, [deadPid()]);
    await controllers.heartbeat('controller:lapsed', new Date(Date.now() - 10_000), 5_000);
    expect(await controllers.live()).toEqual(['controller:alive']);
  });
});
