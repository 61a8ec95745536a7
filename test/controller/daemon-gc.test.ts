import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GcLoop, type GcReport } from '../../src/controller/gc-loop.js';
import { DaemonObservability } from '../../src/observe/daemon.js';
import { collectGarbage } from '../../src/state/retention/retention.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { startServer, tempDir, type TestServer } from '../activation/helpers.js';
import { freePort, makeProject, query, SCHEMA, type Spawned } from './daemon-project.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';

/*
 * Retention in the background of `linked run`: a real daemon on a real DuckDB file with run history
 * fifty days old collects it on its own (--gc-every), counts it on /metrics, and keeps it with
 * --no-gc; a collection that fails is reported and the loop goes on.
 */
let server: TestServer | undefined;
const running: Spawned[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  await server?.close();
  server = undefined;
});

/** Two runs of an audience disabled fifty days ago (the older is history; an audience's last run stays), and a served request as old. */
async function oldHistory(db: string): Promise<void> {
  const wh = await openDuckDb(db);
  try {
    await wh.query(
      `INSERT INTO "${SCHEMA}"."runs" (id, audience_key, status, started_at, ended_at, trigger) VALUES
        ('old-1', 'gone', 'Live', now() - INTERVAL 51 DAY, now() - INTERVAL 51 DAY, 'schedule'),
        ('old-2', 'gone', 'Live', now() - INTERVAL 50 DAY, now() - INTERVAL 50 DAY, 'schedule')`,
    );
    await wh.query(`INSERT INTO "${SCHEMA}"."audience_status" (audience_key, status, paused, last_run_id, last_run_at) VALUES ('gone', 'Disabled', false, 'old-2', now() - INTERVAL 50 DAY)`);
    await wh.query(
      `INSERT INTO "${SCHEMA}"."compute_requests" (audience_key, requested_at, requested_by, picked_at, id, run_id) VALUES ('gone', now() - INTERVAL 50 DAY, 'cli', now() - INTERVAL 50 DAY, 'q-old', 'old-2')`,
    );
  } finally {
    await wh.close();
  }
}

const oldRows = async (db: string) => ({
  runs: (await query<{ id: string }>(db, `SELECT id FROM "${SCHEMA}"."runs" WHERE audience_key = 'gone' ORDER BY id`)).map((r) => r.id),
  requests: (await query<{ id: string }>(db, `SELECT id FROM "${SCHEMA}"."compute_requests" WHERE audience_key = 'gone'`)).map((r) => r.id),
});

const sample = (text: string, name: string, labels = '') => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
};

describe('linked run: garbage collection in the background', () => {
  it('collects old history on its own, counts it on /metrics, and never touches what the retention keeps', async () => {
    server = await startServer();
    const p = await makeProject(server.url);
    await oldHistory(p.db);
    const port = await freePort();
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--gc-every', '1s', '--retention-days', '30', '--listen', `127.0.0.1:${port}`);
    running.push(daemon);
    await daemon.waitFor(/gc: removed [1-9]\d* row/);
    await daemon.waitFor(/premium-entered -> hook: 10 sent/);

    // Every series carries the stack the daemon serves.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(sample(metrics, 'linked_gc_removed_rows_total', '{area="runs",stack="bank"}')).toBe(1);
    expect(sample(metrics, 'linked_gc_removed_rows_total', '{area="compute_requests",stack="bank"}')).toBe(1);
    expect(sample(metrics, 'linked_gc_runs_total', '{outcome="ok",stack="bank"}')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'linked_gc_runs_total', '{outcome="failed",stack="bank"}')).toBe(0);
    const last = sample(metrics, 'linked_gc_last_success_timestamp_seconds', '{stack="bank"}')!;
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(60);

    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    // The older run of "gone" and the old request went; its last run stays; today's run is young.
    expect(await oldRows(p.db)).toEqual({ runs: ['old-2'], requests: [] });
    expect((await query(p.db, `SELECT id FROM "${SCHEMA}"."runs" WHERE audience_key = 'premium'`)).length).toBe(1);
    expect(server.requests).toHaveLength(10);
  }, 120_000);

  it('--no-gc keeps everything', async () => {
    server = await startServer();
    const p = await makeProject(server.url);
    await oldHistory(p.db);
    const started = Date.now();
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--gc-every', '1s', '--no-gc');
    running.push(daemon);
    await daemon.waitFor(/premium-entered -> hook: 10 sent/);
    // Several --gc-every intervals since the start, had the loop been on (it collects one interval
    // after the start, then every interval); the compute and the delivery took part of them.
    await new Promise((r) => setTimeout(r, Math.max(0, started + 3000 - Date.now())));
    daemon.child.kill('SIGTERM');
    const end = await daemon.exited;
    expect(end.code).toBe(0);
    expect(end.out).not.toMatch(/gc/);
    expect(await oldRows(p.db)).toEqual({ runs: ['old-1', 'old-2'], requests: ['q-old'] });
  }, 120_000);

  it('refuses a retention under a day and an interval under a second, naming the flag', async () => {
    server = await startServer();
    const p = await makeProject(server.url);
    const days = await p.linked('run', '--once', '--retention-days', '0');
    expect(days.code).toBe(1);
    expect(days.err).toMatch(/--retention-days must be .* at least 1/);
    const every = await p.linked('run', '--once', '--gc-every', '10ms');
    expect(every.code).toBe(1);
    expect(every.err).toMatch(/--gc-every must be at least 1s/);
  }, 60_000);

  it('a collection that fails is reported (log, metrics) and the next one runs as usual', async () => {
    const db = join(tempDir(), 'w.duckdb');
    const setup = await openMigratedDuckDb(db, SCHEMA);
    await setup.close();
    await oldHistory(db);

    const observe = new DaemonObservability({ schema: SCHEMA, staleAfterMs: 60_000 });
    const reports: GcReport[] = [];
    const lines: string[] = [];
    let calls = 0;
    const done = new Promise<void>((resolve) => {
      const loop = new GcLoop({
        open: () => openDuckDb(db),
        schema: SCHEMA,
        everyMs: 50,
        firstAfterMs: 0,
        retentionMs: 30 * 86_400_000,
        // The first collection looks in a schema that does not exist: the warehouse's own error.
        collect: (wh, schema, o) => collectGarbage(wh, ++calls === 1 ? 'NO_SUCH_SCHEMA' : schema, o),
        onGc: (r) => {
          reports.push(r);
          observe.onGc(r);
          if (reports.length === 2) void loop.stop().then(resolve);
        },
        log: (l) => lines.push(l),
      });
      loop.start();
    });
    await done;
    expect(reports.map((r) => r.ok)).toEqual([false, true]);
    expect(reports[0].error).toMatch(/NO_SUCH_SCHEMA/i);
    expect(lines[0]).toMatch(/^gc failed \(next attempt in 0 s\): .*NO_SUCH_SCHEMA/i);
    expect(reports[1]).toMatchObject({ total: 2, removed: { runs: 1, computeRequests: 1 } });
    const metrics = await observe.metrics.text();
    expect(sample(metrics, 'linked_gc_runs_total', '{outcome="failed"}')).toBe(1);
    expect(sample(metrics, 'linked_gc_runs_total', '{outcome="ok"}')).toBe(1);
    expect(sample(metrics, 'linked_gc_removed_rows_total', '{area="runs"}')).toBe(1);
    expect(await oldRows(db)).toEqual({ runs: ['old-2'], requests: [] });
  }, 60_000);
});
