import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverAll } from '../../src/activation/deliver.js';
import { Audience, DataGraph, Desired, Destination, EventEmitter } from '../../src/model/index.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { requestDirFor, writeRequestFile } from '../../src/controller/request-files.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { writeManifest } from '../plan/fixtures.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';

/*
 * The parts of the whole-daemon crash test (and bench/crash): a DuckDB project whose audience
 * "premium" has one emitter of membership changes to a webhook, a webhook that records every event
 * it receives, `linked run` as a real child process, and the checks that read what arrived against
 * what the warehouse says.
 *
 * Between two lives of the daemon the test changes profiles and asks for a compute without opening
 * the DuckDB file (opening, writing and checkpointing it from the test took about a second a
 * cycle): the profiles table is a view over a CSV file the test rewrites, and the request is a
 * request file, as `linked compute` leaves one while a controller holds the file.
 */
export const SCHEMA = 'LINKED_AUDIENCES';
export const AUDIENCE = 'premium';
export const EMITTER = 'premium-changes';
const BIN = new URL('../../bin/linked.js', import.meta.url).pathname;

/** One event as the webhook received it. */
export interface ReceivedEvent {
  messageId: string;
  userId: string;
  /** The membership the event says: traits.premium. */
  member: boolean;
  /** The event as received, for comparing duplicates. */
  raw: string;
}

export interface Recorder {
  url: string;
  events: ReceivedEvent[];
  /** Requests processed (recorded and answered). */
  requests: number;
  /** Requests whose sender was gone before they were processed (not recorded). */
  dropped: number;
  /** Requests whose body arrived (processed, dropped or in processing). */
  arrivals: number;
  /**
   * The sender is about to be killed: the requests in processing now are dropped unprocessed (the
   * socket's end would tell the same, but only after the kernel, the network stack and the event
   * loop pass it on, which on a loaded machine can be after the processing time).
   */
  cutInProcessing(): void;
  /** Resolves when the `n`th request arrived, false when time runs out or `gaveUp` says so first. */
  waitForArrival(n: number, timeoutMs: number, gaveUp: () => boolean): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A webhook on 127.0.0.1 that records every event of every request (batches are arrays). It takes
 * `delayMs` to process a request, as a destination does; a request whose sender vanished meanwhile
 * (killed) is dropped unprocessed, as a destination behind a proxy that aborts on a client's
 * disconnect drops it. So a daemon that marked a page delivered before the destination processed
 * it loses that page to a kill during the whole processing time, not only during the
 * milliseconds the body is in transit.
 */
export async function startRecorder(delayMs: number): Promise<Recorder> {
  const arrivalWaiters = new Set<() => void>();
  const rec: Recorder = {
    url: '',
    events: [],
    requests: 0,
    dropped: 0,
    arrivals: 0,
    waitForArrival: (n, timeoutMs, gaveUp) =>
      new Promise<boolean>((resolve) => {
        const deadline = Date.now() + timeoutMs;
        const check = () => {
          const done = rec.arrivals >= n ? true : Date.now() > deadline || gaveUp() ? false : undefined;
          if (done === undefined) return;
          arrivalWaiters.delete(check);
          clearInterval(timer);
          resolve(done);
        };
        // Checked on every arrival; the interval only notices a timeout or a sender that ended.
        const timer = setInterval(check, 50);
        arrivalWaiters.add(check);
        check();
      }),
    cutInProcessing: () => {
      for (const p of inProcessing) p.cut = true;
    },
    close: async () => undefined,
  };
  const inProcessing = new Set<{ cut: boolean }>();
  // The server keeps a connection half open after its sender ended: each connection's end is watched once.
  const senderGone = new WeakSet<object>();
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      rec.arrivals++;
      const processing = { cut: false };
      inProcessing.add(processing);
      for (const check of [...arrivalWaiters]) check();
      setTimeout(() => {
        inProcessing.delete(processing);
        if (processing.cut || senderGone.has(req.socket) || req.socket.destroyed) {
          rec.dropped++;
          return;
        }
        rec.requests++;
        const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
        for (const e of (Array.isArray(body) ? body : [body]) as { messageId: string; userId: string; traits?: Record<string, unknown> }[]) {
          rec.events.push({ messageId: e.messageId, userId: e.userId, member: e.traits?.[AUDIENCE] === true, raw: JSON.stringify(e) });
        }
        // Recorded, then answered: a kill before the answer is read and its page committed leaves
        // the events delivered, unacknowledged (they are resent: the duplicates a crash may cause).
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }, delayMs);
    });
  });
  server.on('connection', (socket) => {
    const gone = () => senderGone.add(socket);
    socket.once('end', gone);
    socket.once('close', gone);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rec.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return rec;
}

export interface CrashProject {
  dir: string;
  db: string;
  /** The profiles' plans by user index: the CSV behind main.profiles, as last written. */
  plans: string[];
  csv: string;
}

/** `users` profiles, a fifth of them premium; the audience and its emitter applied (batches to the webhook). */
export async function createProject(webhookUrl: string, users: number): Promise<CrashProject> {
  const dir = mkdtempSync(join(tmpdir(), 'linked-crash-'));
  const db = join(dir, 'w.duckdb');
  const csv = join(dir, 'profiles.csv');
  const project: CrashProject = { dir, db, csv, plans: Array.from({ length: users }, (_, i) => (i % 5 === 0 ? 'premium' : 'basic')) };
  writeProfiles(project);
  const graph = DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } });
  const audience = Audience.parse({
    key: AUDIENCE,
    name: 'Premium',
    enabled: true,
    // Computed on requests, after each change; the schedule never comes due during a test.
    schedule: { type: 'interval', every: '1d' },
    condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } },
  });
  const destination = Destination.parse({ key: 'hook', type: 'webhook', settings: { url: `${webhookUrl}/hook`, batch: true } });
  const emitter = EventEmitter.parse({ key: EMITTER, audience: AUDIENCE, destination: 'hook', trigger: 'audience_membership_changed', sendForCurrent: true });
  const desired = Desired.parse({ stack: 'crash', warehouse: { type: 'duckdb', path: 'w.duckdb' }, graph, audiences: [audience], destinations: [destination], emitters: [emitter] });
  writeManifest(dir, desired);
  const wh = await openMigratedDuckDb(db, SCHEMA);
  try {
    // DDL cannot bind the path; mkdtemp's name holds no quote.
    await wh.query(`CREATE VIEW main.profiles AS SELECT * FROM read_csv('${csv}', header = true, columns = {'user_id': 'VARCHAR', 'plan': 'VARCHAR'})`);
    const ctx = { applyId: 'a', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 'crash' };
    await writeResource(wh, SCHEMA, 'data_graph', 'graph', graph, ctx, true);
    await writeResource(wh, SCHEMA, 'audience', audience.key, audience, ctx, true);
    await writeResource(wh, SCHEMA, 'destination', destination.key, destination, ctx, true);
    await writeResource(wh, SCHEMA, 'event_emitter', emitter.key, emitter, ctx, true);
    // The emitter starts its cursor before the first compute (nobody is a member yet, so nothing
    // to backfill): every change, the baseline included, then reaches it through the outbox, and
    // each outbox row is one event with its own messageId.
    await deliverAll(wh, SCHEMA);
  } finally {
    await wh.close();
  }
  return project;
}

/** Rewrites the CSV behind main.profiles (renamed into place: a compute never reads half a file). */
function writeProfiles(p: CrashProject): void {
  const tmp = `${p.csv}.tmp`;
  writeFileSync(tmp, 'user_id,plan\n' + p.plans.map((plan, i) => `u${i},${plan}\n`).join(''));
  renameSync(tmp, p.csv);
}

/**
 * Flips the plan of `count` users drawn by `random` and asks for a compute of the audience, as
 * `linked compute --request` does beside a running controller (a request file); done while no
 * daemon runs, so every life starts with something to compute and deliver.
 */
export function changeAndRequest(p: CrashProject, count: number, random: () => number): void {
  const users = p.plans.length;
  const picked = new Set<number>();
  while (picked.size < Math.min(count, users)) picked.add(Math.floor(random() * users));
  for (const i of picked) p.plans[i] = p.plans[i] === 'premium' ? 'basic' : 'premium';
  writeProfiles(p);
  writeRequestFile(requestDirFor(p.db), AUDIENCE, 'crash-harness');
}

export interface Daemon {
  child: ChildProcess;
  output(): string;
  /** Resolves when `re` appears in the output, false when the process exits first or time runs out. */
  waitFor(re: RegExp, timeoutMs: number): Promise<boolean>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

/** `linked <args> --dir <dir>` as a child process. */
export function spawnLinked(dir: string, args: string[]): Daemon {
  const child = spawn(process.execPath, [BIN, ...args, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out, err })),
  );
  // Resolves on the output that matches (no polling interval added to every wait).
  const waitFor = (re: RegExp, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      if (re.test(out)) return resolve(true);
      if (child.exitCode !== null || child.signalCode !== null) return resolve(false);
      const done = (found: boolean) => {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        resolve(found);
      };
      const onData = () => re.test(out) && done(true);
      const onExit = () => done(re.test(out));
      const timer = setTimeout(() => done(false), timeoutMs);
      child.stdout!.on('data', onData);
      child.on('exit', onExit);
    });
  return { child, output: () => out, waitFor, exited };
}

/** The messageId of an outbox row for an emitter (decision D7), computed here, not read from the code under test. */
export const outboxMessageId = (emitterKey: string, outboxId: number) => createHash('md5').update(`${emitterKey}:outbox:${outboxId}`).digest('hex');

export interface Verdict {
  /** Outbox rows of the audience: each is an event the emitter owes. */
  expected: number;
  /** Distinct messageIds received. */
  delivered: number;
  /** Owed and never received. */
  lost: number;
  /** Received, yet no outbox row has that messageId. */
  unexpected: number;
  /** Receipts beyond the first of a messageId (resends after a kill). */
  duplicates: number;
  /** Duplicates whose body differs from the first receipt. */
  duplicatesDiffering: number;
  /** Members by the last event each user got, against members by the final profiles table. */
  membersAtDestination: number;
  membersInWarehouse: number;
  /** Users on whom the destination and the warehouse disagree. */
  membershipMismatches: number;
  /** Left behind after the final clean stop: leases still held (their keys and holders), requests, records. */
  leases: number;
  heldLeases: string[];
  pendingRequests: number;
  runningDeliveryRuns: number;
  computingRuns: number;
}

/** Request files no controller imported. */
function requestFilesLeft(db: string): number {
  try {
    return readdirSync(requestDirFor(db)).filter((n) => n.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

/** Reads the file (no daemon may hold it) and compares it with what the webhook received. */
export async function verify(db: string, events: readonly ReceivedEvent[]): Promise<Verdict> {
  const wh = await openDuckDb(db);
  try {
    const q = async <T>(sql: string, params: unknown[] = []) => (await wh.query<T>(sql, params)).rows;
    const count = async (sql: string, params: unknown[] = []) => Number((await q<{ n: number }>(sql, params))[0]?.n ?? 0);
    const backfilled = await count(`SELECT count(*) AS n FROM "${SCHEMA}"."delivery_backfill"`);
    if (backfilled > 0) throw new Error('the emitter backfilled: its cursor did not start before the first compute (see createProject)');
    const outbox = await q<{ id: number }>(`SELECT id FROM "${SCHEMA}"."outbox" WHERE audience_key = ? AND kind IN ('entered', 'exited')`, [AUDIENCE]);
    const owed = new Set(outbox.map((r) => outboxMessageId(EMITTER, Number(r.id))));
    const first = new Map<string, string>();
    let duplicates = 0;
    let duplicatesDiffering = 0;
    for (const e of events) {
      const seen = first.get(e.messageId);
      if (seen === undefined) first.set(e.messageId, e.raw);
      else {
        duplicates++;
        if (seen !== e.raw) duplicatesDiffering++;
      }
    }
    // What the destination ends up believing: each user's last event, in arrival order.
    const atDestination = new Map<string, boolean>();
    for (const e of events) atDestination.set(e.userId, e.member);
    const held = await q<{ k: string; h: string }>(`SELECT audience_key AS k, holder AS h FROM "${SCHEMA}"."leases" WHERE holder IS NOT NULL`);
    const truth = new Set((await q<{ u: string }>(`SELECT user_id AS u FROM main.profiles WHERE plan = 'premium'`)).map((r) => r.u));
    const users = new Set([...atDestination.keys(), ...truth]);
    return {
      expected: owed.size,
      delivered: first.size,
      lost: [...owed].filter((m) => !first.has(m)).length,
      unexpected: [...first.keys()].filter((m) => !owed.has(m)).length,
      duplicates,
      duplicatesDiffering,
      membersAtDestination: [...atDestination.values()].filter(Boolean).length,
      membersInWarehouse: truth.size,
      membershipMismatches: [...users].filter((u) => (atDestination.get(u) ?? false) !== truth.has(u)).length,
      leases: held.length,
      heldLeases: held.map((l) => `${l.k} by ${l.h}`),
      pendingRequests: (await count(`SELECT count(*) AS n FROM "${SCHEMA}"."compute_requests" WHERE picked_at IS NULL`)) + requestFilesLeft(db),
      runningDeliveryRuns: await count(`SELECT count(*) AS n FROM "${SCHEMA}"."delivery_runs" WHERE status = 'running'`),
      computingRuns: await count(`SELECT count(*) AS n FROM "${SCHEMA}"."runs" WHERE status = 'Computing'`),
    };
  } finally {
    await wh.close();
  }
}
