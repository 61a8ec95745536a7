import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import type { RunSummary } from '../../src/compute/types.js';
import { Daemon, type DaemonOptions } from '../../src/controller/daemon.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { applyResources, AUDIENCE, GRAPH, json, SCHEMA, seedBank, startServer, tempDir, type TestServer } from '../activation/helpers.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';
import { recordingWarehouse } from '../support/recording-warehouse.js';

/*
 * When `run --once` delivers an audience's events: with connections of their own (Snowflake's),
 * while the next audiences compute; on the shared DuckDB file, where a delivery would only
 * interleave with the computes, after the tick's last run, all emitters together.
 */
describe('linked run --once', () => {
  /** Two audiences (`later` references `overdue-cards`, so it computes second), an emitter each, selecting a trait. */
  async function setUp(onRequest: () => void): Promise<{ path: string; server: TestServer }> {
    const server = await startServer((_req, _n, res) => {
      onRequest();
      json(res, 200, {});
    });
    const path = join(tempDir(), 'w.duckdb');
    const setup = await openMigratedDuckDb(path, SCHEMA);
    await seedBank(setup, 4);
    const later = { key: 'later', name: 'Later', enabled: true, condition: { kind: 'audience', audience: 'overdue-cards', source: 'linked', negate: false } };
    await applyResources(setup, {
      graph: GRAPH,
      audiences: [later, AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook` } }],
      emitters: [
        { key: 'overdue-entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true, enrich: { traits: ['email'] } },
        { key: 'later-entered', audience: 'later', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true, enrich: { traits: ['email'] } },
      ],
    });
    await setup.close();
    return { path, server };
  }

  const daemonOptions = (compile?: DaemonOptions['compile']) => ({
    schema: SCHEMA,
    loadModel: (wh: Warehouse) => readAppliedModel(wh, SCHEMA),
    compile: compile ?? ((model, key, _wh, now) => compileAudience(model, key, { dialect: 'duckdb', stateSchema: SCHEMA, now })),
  }) satisfies Partial<DaemonOptions>;

  function expectEverythingDeliveredOnce(report: Awaited<ReturnType<Daemon['once']>>, server: TestServer) {
    expect(report.runs.map((r) => [r.audienceKey, r.status, r.entered])).toEqual([
      ['overdue-cards', 'Live', 4],
      ['later', 'Live', 4],
    ]);
    // Every event delivered once: an early drain and the final one never both send an emitter.
    expect(report.deliveries).toMatchObject([
      { emitterKey: 'later-entered', status: 'delivered', sent: 4 },
      { emitterKey: 'overdue-entered', status: 'delivered', sent: 4 },
    ]);
    expect(server.requests).toHaveLength(8);
    for (const r of server.requests) expect(r.body).toMatchObject({ properties: { email: expect.stringMatching(/^u\d@example\.com$/) } });
  }

  /**
   * Compiles `later` only once the first audience's events reached the destination (true), or
   * after 10 s (false); `onRequest` is the destination's signal.
   */
  function waitingForDelivery() {
    let onRequest!: () => void;
    const requested = new Promise<void>((r) => (onRequest = r));
    const seen = { deliveredBeforeLater: false };
    const compile: DaemonOptions['compile'] = async (model, key, _wh, now) => {
      if (key === 'later') {
        seen.deliveredBeforeLater = await Promise.race([requested.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
      }
      return compileAudience(model, key, { dialect: 'duckdb', stateSchema: SCHEMA, now });
    };
    return { onRequest, seen, compile };
  }

  it('with connections of its own, starts delivering an audience as soon as its run commits, before the next audience has compiled', async () => {
    const { onRequest, seen, compile } = waitingForDelivery();
    const { path, server } = await setUp(onRequest);
    // One connection kept open for everything, as a Snowflake daemon keeps its sessions.
    const wh = await openDuckDb(path);
    const kept: Warehouse = {
      dialect: 'duckdb',
      query: (sql, params, options) => wh.query(sql, params, options),
      stream: (sql, params, pageSize, options) => wh.stream(sql, params, pageSize, options),
      transaction: (fn) => wh.transaction(fn),
      describeTable: (table) => wh.describeTable(table),
      tableNames: (near) => wh.tableNames(near),
      close: async () => undefined,
    };
    // Run one after the other (delivery after the last run), `later` would wait the 10 s out.
    const daemon = new Daemon({ open: async () => kept, ...daemonOptions(compile) });
    try {
      const report = await daemon.once();
      expect(seen.deliveredBeforeLater).toBe(true);
      expectEverythingDeliveredOnce(report, server);
    } finally {
      await wh.close();
      await server.close();
    }
  }, 60_000);

  it('on the shared DuckDB file, a long tick holds back what its first runs changed no longer than deliveryHoldMs', async () => {
    const { onRequest, seen, compile } = waitingForDelivery();
    const { path, server } = await setUp(onRequest);
    const daemon = new Daemon({ open: () => openDuckDb(path), duckDbFile: path, deliveryHoldMs: 100, ...daemonOptions(compile) });
    try {
      const report = await daemon.once();
      expect(seen.deliveredBeforeLater).toBe(true);
      expectEverythingDeliveredOnce(report, server);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('serving on the shared DuckDB file, the looks between ticks wait too: the tick\'s emitters start together after its last run', async () => {
    const runs: RunSummary[] = [];
    let runsBeforeFirstRequest: number | undefined;
    const { path, server } = await setUp(() => (runsBeforeFirstRequest ??= runs.length));
    // `later` takes a while, and the loop looks every 20 ms meanwhile.
    const compile: DaemonOptions['compile'] = async (model, key, _wh, now) => {
      if (key === 'later') await new Promise((r) => setTimeout(r, 500));
      return compileAudience(model, key, { dialect: 'duckdb', stateSchema: SCHEMA, now });
    };
    const daemon = new Daemon({ open: () => openDuckDb(path), duckDbFile: path, tickSeconds: 1, pollMs: 20, onRun: (s) => runs.push(s), ...daemonOptions(compile) });
    try {
      daemon.start();
      const deadline = Date.now() + 20_000;
      while (server.requests.length < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(server.requests).toHaveLength(8);
      expect(runsBeforeFirstRequest).toBe(2);
      expect({ reads: daemon.delivery!.traitReads.reads, pages: daemon.delivery!.traitReads.requests }).toEqual({ reads: 1, pages: 2 });
    } finally {
      await daemon.stop();
      await server.close();
    }
  }, 60_000);

  it('on the shared DuckDB file, delivers after the last run, every emitter together, with one read of their traits and one take of their leases', async () => {
    const runs: RunSummary[] = [];
    let runsBeforeFirstRequest: number | undefined;
    const { path, server } = await setUp(() => (runsBeforeFirstRequest ??= runs.length));
    const recorded: { sql: string }[][] = [];
    const open = async () => {
      const { wh, statements } = recordingWarehouse(await openDuckDb(path));
      recorded.push(statements);
      return wh;
    };
    const daemon = new Daemon({ open, duckDbFile: path, onRun: (s) => runs.push(s), ...daemonOptions() });
    try {
      const report = await daemon.once();
      expect(runsBeforeFirstRequest).toBe(2);
      expectEverythingDeliveredOnce(report, server);
      expect({ reads: daemon.delivery!.traitReads.reads, pages: daemon.delivery!.traitReads.requests }).toEqual({ reads: 1, pages: 2 });
      // The two emitters' leases are taken by one statement (an audience's lease is taken by its key alone).
      const takes = recorded.flat().map((r) => r.sql).filter((sql) => /^UPDATE "\w+"\."leases" SET "holder" = \?/.test(sql));
      expect(takes.filter((sql) => sql.includes('IN (?, ?)'))).toHaveLength(1);
      expect(takes.filter((sql) => sql.includes('IN ('))).toHaveLength(1);
    } finally {
      await server.close();
    }
  }, 60_000);
});
