import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Audience, DataGraph, Desired, Destination, EventEmitter } from '../../src/model/index.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { writeManifest } from '../plan/fixtures.js';
import { json, startServer, type TestServer } from '../activation/helpers.js';
import { parseMetrics } from './prometheus.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';
import { waitersDirFor, whileWaiting } from '../../src/controller/file-waiters.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { freePort } from '../controller/daemon-project.js';

/*
 * `linked run --listen` as a platform team runs it: a real process on a real DuckDB file, its
 * endpoint fetched and the Prometheus text parsed; `--log-format json` lines parsed, with a secret
 * the stack references set in the environment and looked for in the output.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const SCHEMA = 'LINKED_AUDIENCES';
const CANARY = 'canary-secret-7f3a9c';
let dir: string;
let child: ChildProcess;
let base: string;
const lines: string[] = [];
let stderr = '';
let hook: TestServer;

/** Resolves when a log line satisfies `test` (the process writes one JSON line per record). */
function waitForLine(test: (record: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const check = () => {
      for (const l of lines) {
        const rec = JSON.parse(l) as Record<string, unknown>;
        if (test(rec)) return resolve(rec), true;
      }
      return false;
    };
    if (check()) return;
    const onLine = () => check() && child.stdout!.off('data', onLine);
    child.stdout!.on('data', () => setImmediate(onLine));
    child.once('exit', (code) => reject(new Error(`linked run exited (${code}) before the line came:\n${lines.join('\n')}`)));
  });
}

beforeAll(async () => {
  // A destination that is down and asks to be retried in an hour: delivery gives up on the first
  // answer, so the baseline's events stay in the outbox, and a SIGTERM does not wait out the
  // retries and backoffs a destination that merely refused connections would get.
  hook = await startServer((_req, _n, res) => json(res, 503, { error: 'down for maintenance' }, { 'retry-after': '3600' }));
  dir = mkdtempSync(join(tmpdir(), 'linked-observe-'));
  const graph = DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } });
  const audience = Audience.parse({
    key: 'premium',
    name: 'premium',
    enabled: true,
    schedule: { type: 'interval', every: '15m' },
    condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } },
  });
  const destination = Destination.parse({ key: 'hook', type: 'webhook', settings: { url: `${hook.url}/hook`, headers: { Authorization: { secret: 'HOOK_TOKEN' } } } });
  const emitter = EventEmitter.parse({ key: 'premium-entered', audience: 'premium', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true });
  const desired = Desired.parse({ stack: 'bank', warehouse: { type: 'duckdb', path: 'w.duckdb' }, graph, audiences: [audience], destinations: [destination], emitters: [emitter] });
  writeManifest(dir, desired);
  const wh = await openMigratedDuckDb(join(dir, 'w.duckdb'), SCHEMA);
  await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 5 = 0 THEN 'premium' ELSE 'basic' END AS plan FROM range(50) t(i)`);
  const ctx = { applyId: 'a', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 'bank' };
  await writeResource(wh, SCHEMA, 'data_graph', 'graph', graph, ctx, true);
  await writeResource(wh, SCHEMA, 'audience', 'premium', audience, ctx, true);
  await writeResource(wh, SCHEMA, 'destination', 'hook', destination, ctx, true);
  await writeResource(wh, SCHEMA, 'event_emitter', 'premium-entered', emitter, ctx, true);
  await wh.close();

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [join(ROOT, 'bin/linked.js'), 'run', '--dir', dir, '--listen', `127.0.0.1:${port}`, '--log-format', 'json', '--tick-seconds', '1'], {
    env: { ...process.env, HOOK_TOKEN: CANARY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  // stderr is not the log, but must hold no secret either.
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await hook?.close();
});

describe('linked run --listen / --log-format json', () => {
  it('serves health, readiness and the named metrics with values from the run', async () => {
    const run = await waitForLine((r) => r.msg === 'run');
    expect(run).toMatchObject({ audience: 'premium', status: 'Live', members: 10, entered: 10 });
    // The gauges are read when a tick closes the warehouse: poll until the first such tick.
    let samples = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    for (let i = 0; i < 50 && !samples.some((s) => s.name === 'linked_outbox_depth'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      samples = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    }
    const one = (name: string, labels: Record<string, string> = {}) => {
      const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
      return found[0].value;
    };
    expect(one('linked_runs_total', { audience: 'premium', status: 'Live' })).toBe(1);
    expect(one('linked_run_duration_seconds_count', { audience: 'premium', status: 'Live' })).toBe(1);
    expect(one('linked_run_duration_seconds_sum', { audience: 'premium', status: 'Live' })).toBeGreaterThan(0);
    expect(one('linked_audience_members', { audience: 'premium' })).toBe(10);
    expect(one('linked_audience_entered_total', { audience: 'premium' })).toBe(10);
    expect(one('linked_audience_exited_total', { audience: 'premium' })).toBe(0);
    // The emitter sends for current members: the baseline's 10 rows are its backlog.
    expect(one('linked_outbox_depth', { emitter: 'premium-entered', destination: 'hook' })).toBe(10);
    expect(one('linked_outbox_lag_seconds', { emitter: 'premium-entered', destination: 'hook' })).toBeGreaterThanOrEqual(0);
    expect(one('linked_ready')).toBe(1);
    expect(one('linked_process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    // Declared even before any delivery: HELP/TYPE lines.
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['linked_events_sent_total', 'linked_events_failed_total', 'linked_events_dead_lettered_total', 'linked_destination_request_duration_seconds', 'linked_lease_holder']) {
      expect(text).toContain(`# TYPE ${name} `);
    }

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);

    // Bound to loopback, it answers only to a loopback name: a DNS name rebound to 127.0.0.1
    // would let a page of any site read the metrics.
    const port = new URL(base).port;
    const byName = (path: string, host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.request(`${base}${path}`, { headers: { host } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        }).on('error', reject).end();
      });
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      const refused = await byName(path, `attacker.example:${port}`);
      expect([refused.status, refused.body.includes('premium')], path).toEqual([421, false]);
      expect((await byName(path, `localhost:${port}`)).status, path).toBe(200);
    }
  }, 60_000);

  it('logs one JSON line per record, none holding the secret, nothing else even when ticks outlast the interval; SIGTERM is logged and stops it cleanly', async () => {
    // The secret was in use: delivery sent it to the destination, and logged the refusal.
    for (let i = 0; i < 300 && hook.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(hook.requests[0]?.headers.authorization).toBe(CANARY);
    // Another process holds the file for a few seconds: the tick waiting for it spans several
    // firings of the one-second schedule, which pass without a word.
    const db = join(dir, 'w.duckdb');
    const held = await whileWaiting(waitersDirFor(db), () => openDuckDb(db));
    const ticked = lines.length;
    await new Promise((r) => setTimeout(r, 3_500));
    await held.close();
    // It goes on ticking once the file is free: the next tick reads the gauges again.
    const refreshed = async () => parseMetrics(await (await fetch(`${base}/metrics`)).text()).find((x) => x.name === 'linked_state_gauges_refreshed_timestamp_seconds')?.value ?? 0;
    const released = Date.now() / 1000;
    for (let i = 0; i < 100 && (await refreshed()) < released; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await refreshed()).toBeGreaterThanOrEqual(released);
    expect(lines.slice(ticked).filter((l) => l.includes('scheduler'))).toEqual([]);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toContain('NODE-CRON');
    expect(stderr).not.toContain('\x1b[');
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) {
      const rec = JSON.parse(l) as Record<string, unknown>;
      expect(typeof rec.ts).toBe('string');
      expect(typeof rec.msg).toBe('string');
      expect(l).not.toContain(CANARY);
    }
    expect(stderr).not.toContain(CANARY);
    const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(expect.arrayContaining(['listening', 'started', 'run', 'stopping', 'stopped']));
    // The drain's start is on record before its end.
    expect(JSON.parse(lines[msgs.indexOf('stopping')]!)).toMatchObject({ level: 'info', signal: 'SIGTERM' });
    expect(msgs.indexOf('stopping')).toBeLessThan(msgs.indexOf('stopped'));
  }, 30_000);
});
