import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startedLine } from '../../src/cli/commands/run.js';
import { computeNow } from '../../src/controller/compute-now.js';
import { Controller } from '../../src/controller/controller.js';
import { Daemon } from '../../src/controller/daemon.js';
import { DeliveryLoop } from '../../src/controller/delivery-loop.js';
import { waitersDirFor } from '../../src/controller/file-waiters.js';
import { SharedFile } from '../../src/controller/shared-file.js';
import { LookPacing } from '../../src/controller/look-pacing.js';
import { ComputeRequestStore } from '../../src/state/control/compute-requests.js';
import { ControllerStore } from '../../src/state/control/controllers.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { FaultyWarehouse } from '../compute/faulty.js';
import { SCHEMA } from '../compute/helpers.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, seedBank, startServer, tempDir } from '../activation/helpers.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';
import { makeProject } from './daemon-project.js';
import { recordingWarehouse, type RecordedStatement } from '../support/recording-warehouse.js';
import { twoAudiences } from './two-audiences.js';

/*
 * A Snowflake warehouse is billed while it runs and every statement resumes it. With a look
 * interval, a serving controller whose look found nothing due leaves the warehouse alone until the
 * next scheduled run or the interval's end, whichever comes first.
 */

it('quiet between looks: no statement until the interval ends or a run is due, which still starts on time', async () => {
  const path = await twoAudiences(['a', 'b']);
  let clock = new Date('2026-12-07T12:50:00Z');
  const opened: RecordedStatement[][] = [];
  const controller = new Controller({
    schema: SCHEMA,
    now: () => clock,
    pacing: new LookPacing(5 * 60_000),
    open: async () => {
      const recorded = recordingWarehouse(await openDuckDb(path));
      opened.push(recorded.statements);
      return recorded.wh;
    },
  });
  const at = async (iso: string) => {
    clock = new Date(iso);
    const before = opened.length;
    const report = await controller.tick();
    return { looked: opened.length > before, statements: opened.slice(before).flat().length, ran: report.runs.map((r) => r.audienceKey).sort() };
  };

  // The first runs (hourly audiences: next due at 13:00), then a look that finds nothing due.
  expect((await at('2026-12-07T12:50:00Z')).ran).toEqual(['a', 'b']);
  expect(await at('2026-12-07T12:50:10Z')).toMatchObject({ looked: true, ran: [] });
  // Quiet for the interval: nothing opened, not one statement.
  for (const t of ['12:50:20', '12:52:00', '12:55:09']) expect(await at(`2026-12-07T${t}Z`)).toEqual({ looked: false, statements: 0, ran: [] });
  // The interval's end: a look, and quiet again until the runs due at 13:00 (before the interval's end).
  expect(await at('2026-12-07T12:55:10Z')).toMatchObject({ looked: true, ran: [] });
  expect(await at('2026-12-07T12:59:59Z')).toEqual({ looked: false, statements: 0, ran: [] });
  expect(await at('2026-12-07T13:00:00Z')).toMatchObject({ looked: true, ran: ['a', 'b'] });

  // `linked run --once` is not a scheduled tick: it always looks.
  await at('2026-12-07T13:00:10Z');
  clock = new Date('2026-12-07T13:00:20Z');
  const before = opened.length;
  await controller.tick('once');
  expect(opened.length).toBe(before + 1);
});

it('a request made during a quiet spell is served at the next look; the heartbeat promises life until then', async () => {
  const path = await twoAudiences(['a', 'b']);
  let clock = new Date('2030-01-07T12:40:00Z');
  const controller = new Controller({ schema: SCHEMA, now: () => clock, tickSeconds: 10, pacing: new LookPacing(5 * 60_000), open: () => openDuckDb(path) });
  await controller.tick();
  clock = new Date('2030-01-07T12:40:10Z');
  await controller.tick();

  const outside = async <T>(fn: (wh: Warehouse) => Promise<T>) => {
    const wh = await openDuckDb(path);
    try {
      return await fn(wh);
    } finally {
      await wh.close();
    }
  };
  // `linked compute` counts a controller live until its promise: past the quiet spell's end (its
  // look at 12:40:10, five minutes, a heartbeat interval of grace), so it asks, and waits that long.
  expect(await outside((wh) => new ControllerStore(wh, SCHEMA).live(new Date('2030-01-07T12:45:10Z')))).toEqual([controller.id]);
  const asked = await outside((wh) => computeNow(wh, SCHEMA, 'a'));
  expect(asked).toMatchObject({ kind: 'requested', controllers: [controller.id], lookBy: new Date('2030-01-07T12:45:20Z') });
  const requestId = (asked as { requestId: string }).requestId;

  clock = new Date('2030-01-07T12:41:10Z');
  expect((await controller.tick()).runs).toEqual([]);
  clock = new Date('2030-01-07T12:45:10Z');
  expect((await controller.tick()).runs.map((r) => [r.audienceKey, r.trigger])).toEqual([['a', 'manual']]);
  expect((await outside((wh) => new ComputeRequestStore(wh, SCHEMA).read(requestId)))?.pickedAt).toBeTruthy();
});

it('serving: the delivery loop looks once after each look of the controller, not at every poll', async () => {
  const path = await twoAudiences(['a', 'b']);
  const sessions: RecordedStatement[][] = [];
  const sent = () => sessions.flat();
  const open = async () => {
    const recorded = recordingWarehouse(await openDuckDb(path));
    sessions.push(recorded.statements);
    return recorded.wh;
  };
  const daemon = new Daemon({ schema: SCHEMA, open, duckDbFile: path, tickSeconds: 1, pollMs: 200, lookEveryMs: 60_000 });
  daemon.start();
  try {
    // The first tick computes both audiences; the second finds nothing due and starts a quiet spell
    // (the delivery loop looks once more after it).
    await until(() => heartbeats(sent()) >= 2, 10_000);
    const settled = await quietFor(1_000, 5_000, () => sent().length);
    // Three more ticks and about fifteen polls of the delivery loop: nothing reaches the warehouse.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(sent().slice(settled).map((s) => s.sql.slice(0, 60))).toEqual([]);
  } finally {
    await daemon.stop();
  }
}, 20_000);

it('during a quiet spell a failed pass still retries when due; new rows wait for the controller\'s next look', async () => {
  let answers = [500];
  const server = await startServer(async (_req, _n, res) => json(res, answers.shift() ?? 200, {}));
  const path = join(tempDir(), 'w.duckdb');
  const setup = await openMigratedDuckDb(path, SCHEMA);
  await seedBank(setup, 4);
  await applyResources(setup, {
    graph: GRAPH,
    audiences: [AUDIENCE],
    destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook`, batch: true } }],
    emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered' }],
  });
  await insertOutbox(setup, [{ kind: 'entered', profileId: 'u1' }]);
  await setup.close();

  // The controller has just looked and found nothing due: quiet for a minute.
  const pacing = new LookPacing(60_000);
  pacing.looked(Date.now());
  pacing.foundNothing(Date.now(), undefined);
  // A slow lease release: a pass reports its end, then holds the file a while longer.
  const slowRelease = { pattern: /^UPDATE "\w+"\."leases" SET "holder" = NULL/, times: Number.POSITIVE_INFINITY, delayMs: 300 };
  const file = new SharedFile({ open: async () => new FaultyWarehouse(await openDuckDb(path), [slowRelease]), waitersDir: waitersDirFor(path) });
  const passes: string[] = [];
  const loop = new DeliveryLoop({
    open: async () => file.handle(),
    schema: SCHEMA,
    holder: 'daemon',
    pollMs: 100,
    pacing,
    deliver: { retry: { maxAttempts: 1 } },
    onDelivery: (report) => passes.push(report.status),
  });
  const userIds = () => server.requests.flatMap((r) => (r.body as { userId: string }[]).map((e) => e.userId));
  try {
    loop.start();
    // Its one look after the controller's found the row; the destination refused it; the retry is due 100 ms later.
    // Wait for the retry's pass to end, not for its request: a pass reads its outbox to the end
    // (the next page is read while a page is sent), so a row written while it runs goes with it.
    // Its retry is then no longer due, though the pass still releases its lease.
    await until(() => passes.includes('delivered'), 10_000);
    expect(userIds()).toEqual(['u1', 'u1']);

    // A row written meanwhile by another process (a replay) waits: no look while quiet.
    const other = await file.handle();
    await insertOutbox(other, [{ kind: 'entered', profileId: 'u2' }], 'run-2');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(userIds()).toEqual(['u1', 'u1']);
    // The controller's next look wakes the warehouse: the loop looks too.
    pacing.looked(Date.now());
    await until(() => userIds().length === 3, 10_000);
    expect(userIds()).toEqual(['u1', 'u1', 'u2']);
  } finally {
    await loop.stop();
    await file.close();
    await server.close();
  }
}, 30_000);

it('linked run --look-every: says how it looks, `linked status` when it looks again, `linked compute` waits for that look; refused where it cannot pace anything', async () => {
  const server = await startServer();
  try {
    const p = await makeProject(server.url);
    for (const [args, message] of [
      [['--once'], /--look-every paces a serving controller: drop it with --once/],
      [['--tick-seconds', '30', '--look-every', '10s'], /--look-every \(10s\) must be at least --tick-seconds \(30 s\)/],
      [['--look-every', 'soon'], /--look-every must be a duration such as 30s, 5m/],
    ] as const) {
      const r = await p.linked('run', '--look-every', '1m', ...args);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
    }
    // A short lease TTL: the heartbeat's promise is then the look interval's, not the lease's.
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--lease-ttl', '3', '--look-every', '8s');
    await daemon.waitFor(/started, computing and delivering \(tick 1 s, looking at the warehouse at most every 8s while nothing is due\)/);
    // The baseline is computed and delivered; the next tick found nothing due: quiet for 8 s.
    await daemon.waitFor(/premium-entered -> hook: 10 sent/);
    await new Promise((r) => setTimeout(r, 1_500));
    // `linked status` names the controller and when it looks again: the quiet spell's end.
    const status = await p.linked('status', '--json');
    expect(status.code, status.err).toBe(0);
    const [controller] = status.json().controllers;
    expect(controller).toMatchObject({ host: hostname(), pid: daemon.child.pid });
    expect(Date.parse(controller.aliveUntil) - Date.parse(controller.heartbeatAt)).toBeGreaterThanOrEqual(8_000);
    expect((await p.linked('status')).out).toMatch(/\nControllers:\n {2}controller:\S+ on \S+ \(pid \d+\): last beat \S+Z; next look by \S+Z\n/);
    // `linked compute` waits past its own timeout for the look the controller promised.
    const compute = await p.linked('compute', 'premium', '--wait-timeout', '1', '--json');
    expect(compute.code, compute.err).toBe(0);
    expect(compute.json()).toMatchObject({ audienceKey: 'premium', status: 'Live', trigger: 'manual' });
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  } finally {
    await server.close();
  }
}, 60_000);

it('on Snowflake, a controller started without a look interval says that its ticks keep the warehouse running', () => {
  const line = (lookEvery: string | undefined, warehouse: string) => startedLine('controller:h:1:ab', 'computing and delivering', { tickSeconds: '10', lookEvery }, warehouse);
  expect(line(undefined, 'snowflake')).toBe(
    'controller controller:h:1:ab started, computing and delivering (tick 10 s); every tick resumes the Snowflake warehouse, so it never suspends: --look-every 15m lets it while nothing is due',
  );
  expect(line('15m', 'snowflake')).toBe('controller controller:h:1:ab started, computing and delivering (tick 10 s, looking at the warehouse at most every 15m while nothing is due)');
  expect(line(undefined, 'duckdb')).toBe('controller controller:h:1:ab started, computing and delivering (tick 10 s)');
});

const heartbeats = (statements: RecordedStatement[]) => statements.filter((s) => /"controllers" SET "heartbeat_at"/.test(s.sql)).length;

async function until(ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until `count()` has not moved for `stillMs`; returns it. */
async function quietFor(stillMs: number, timeoutMs: number, count: () => number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = count();
    await new Promise((r) => setTimeout(r, stillMs));
    if (count() === n) return n;
    if (Date.now() > deadline) throw new Error('never settled');
  }
}
