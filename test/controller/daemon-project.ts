import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Audience, DataGraph, Desired } from '../../src/model/index.js';
import { Destination } from '../../src/model/destination.js';
import { EventEmitter } from '../../src/model/emitter.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { whileWaiting } from '../../src/controller/file-waiters.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linkedInProcess } from '../support/linked-cli.js';
import { startServer, type TestServer } from '../activation/helpers.js';
import { writeManifest } from '../plan/fixtures.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';

/*
 * A small project for the daemon's CLI tests: `profiles` (plan premium for every fifth user), the
 * audience "premium" (every minute) with an emitter of its entered events to a webhook, applied
 * as `linked apply` leaves it. The daemon runs as a real child process on the real DuckDB file; the
 * short commands beside it run inside the test's process (test/support/linked-cli.ts).
 */
export const SCHEMA = 'LINKED_AUDIENCES';
const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/linked.js');

export interface DaemonProject {
  dir: string;
  db: string;
  /** Runs the CLI to its end (asynchronously: the test's webhook lives in this process). */
  linked(...args: string[]): Promise<{ code: number | null; out: string; err: string; json: () => any }>;
  spawnLinked(...args: string[]): Spawned;
}

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; out: string; err: string }>;
}

export async function makeProject(webhookUrl: string, opts: { users?: number; batch?: boolean } = {}): Promise<DaemonProject> {
  const dir = mkdtempSync(join(tmpdir(), 'linked-daemon-'));
  const db = join(dir, 'w.duckdb');
  const graph = DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } });
  const audience = Audience.parse({
    key: 'premium',
    name: 'Premium',
    enabled: true,
    schedule: { type: 'interval', every: '1h' },
    condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } },
  });
  const destination = Destination.parse({ key: 'hook', type: 'webhook', settings: { url: `${webhookUrl}/hook`, batch: opts.batch ?? false } });
  const emitter = EventEmitter.parse({ key: 'premium-entered', audience: 'premium', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true });
  const desired = Desired.parse({ stack: 'bank', warehouse: { type: 'duckdb', path: 'w.duckdb' }, graph, audiences: [audience], destinations: [destination], emitters: [emitter] });
  writeManifest(dir, desired);
  const wh = await openMigratedDuckDb(db, SCHEMA);
  try {
    await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 5 = 0 THEN 'premium' ELSE 'basic' END AS plan FROM range(?) t(i)`, [opts.users ?? 50]);
    const ctx = { applyId: 'a', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 'bank' };
    await writeResource(wh, SCHEMA, 'data_graph', 'graph', desired.graph, ctx, true);
    await writeResource(wh, SCHEMA, 'audience', audience.key, audience, ctx, true);
    await writeResource(wh, SCHEMA, 'destination', destination.key, destination, ctx, true);
    await writeResource(wh, SCHEMA, 'event_emitter', emitter.key, emitter, ctx, true);
  } finally {
    await wh.close();
  }
  const children: ChildProcess[] = [];
  return {
    dir,
    db,
    linked: async (...args) => {
      const r = await linkedInProcess([...args, '--dir', dir]);
      return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
    },
    spawnLinked: (...args) => {
      const child = spawn(process.execPath, [BIN, ...args, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (err += d));
      const exited = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
      const waitFor = async (re: RegExp, timeoutMs = 60_000) => {
        const until = Date.now() + timeoutMs;
        while (!re.test(out)) {
          if (Date.now() > until || child.exitCode !== null) throw new Error(`no ${re} in: ${out}\n${err}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      return { child, output: () => out, waitFor, exited };
    },
  };
}

/** Kills the daemons a test left running (one that failed before they exited): for its afterEach. */
export function killLeftRunning(running: Spawned[]): void {
  for (const s of running.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
}

/**
 * For a test file whose tests start daemons and webhooks: after each test, the daemons it pushed
 * on `running` are killed and the webhooks `serve` started are closed.
 */
export function cleanUpAfterEach(): { running: Spawned[]; serve: typeof startServer } {
  const running: Spawned[] = [];
  const servers: TestServer[] = [];
  afterEach(async () => {
    killLeftRunning(running);
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return { running, serve: async (respond) => servers[servers.push(await startServer(respond)) - 1] };
}

/** Reads the DuckDB file from the test process (the children must not hold it). */
export async function query<T>(db: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const wh = await openDuckDb(db);
  try {
    return (await wh.query<T>(sql, params)).rows;
  } finally {
    await wh.close();
  }
}

/** A port free on 127.0.0.1 a moment ago: for a child's --listen. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Makes these users premium while a daemon holds the file, opening it as a waiting command does. */
export async function promote(db: string, users: string[]): Promise<void> {
  const wh = await whileWaiting(db, () => openDuckDb(db));
  try {
    await wh.query(`UPDATE main.profiles SET plan = 'premium' WHERE user_id IN (${users.map(() => '?').join(', ')})`, users);
  } finally {
    await wh.close();
  }
}

/** The `delivery` records a daemon started with `--log-format json` logged so far. */
export function deliveryRecords<T = Record<string, unknown>>(d: Spawned): T[] {
  return d
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T & { msg: string })
    .filter((r) => r.msg === 'delivery');
}

/** Waits until `done` (within 90 s, while the daemon runs); the error shows its output. */
export async function untilDaemon(what: string, done: () => boolean, d: Spawned): Promise<void> {
  const end = Date.now() + 90_000;
  while (!done()) {
    if (Date.now() > end || d.child.exitCode !== null) throw new Error(`no ${what}:\n${d.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
