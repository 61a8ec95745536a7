/*
 * Fleet: the whole cycle as a user runs it. 30 enabled audiences over the bank (bench/fleet/
 * audiences.ts: the bank example's four and generated variations with nested entity conditions,
 * events in windows and audience references), each with one emitter to a local webhook (a
 * separate process, bench/http-sink.ts), run by `Daemon.once()`, the code `linked run --once`
 * runs, in this process, on the DuckDB file (shared as the CLI shares it). Two cycles: from the
 * baseline (nothing computed yet: every current member is sent), then after a change of 1 % of the
 * rows of every table (bench/bank-change.ts) and a compute request for every audience.
 *
 * Per cycle: wall time, the compute phase (start to the last run's commit; also the sum of the
 * runs' own durations) and the delivery phase (the rest: draining every outbox, then stopping),
 * runs, events, events/s, peak RSS of this process (sampled every 20 ms). The baseline for the
 * ratio, in the same run and on the same data: the 30 bare membership queries, each compiled and
 * materialized (CREATE TEMP TABLE AS, as bench/compute times them), once right before the cycle and
 * once right after it; ratio = cycle wall time / the mean of the two sums (goal <= 1.5), and the
 * 1 % cycle's wall time against the goal of 30 s. Also the statements the daemon ran and its
 * transactions (counts the machine's load cannot move); `--statements` lists the kinds that took
 * longest in all.
 *
 *   npx tsx bench/fleet/run.ts [--profiles 1000000] [--audiences 30] [--page-size 2000] [--statements] [--trace FILE] [--json]
 *   (--trace writes the 1 % cycle's statements to FILE, one JSON line each, in the order they were sent)
 *   BANK_DB=/tmp/bank-1m.duckdb npx tsx bench/fleet/run.ts   (generate once, copy on later runs)
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import type { ComputeModel } from '../../src/compute/model.js';
import type { RunSummary } from '../../src/compute/types.js';
import { Daemon } from '../../src/controller/daemon.js';
import { checkDesired } from '../../src/model/checks.js';
import { Desired, RESOURCE_KINDS } from '../../src/model/desired.js';
import { snapshotCatalog } from '../../src/graph/catalog.js';
import { CatalogSnapshotStore } from '../../src/state/apply/catalog-snapshots.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { ComputeRequestStore } from '../../src/state/control/compute-requests.js';
import { migrateState } from '../../src/state/migrate.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { changeOnePercent } from '../bank-change.js';
import { prepareBankWarehouse } from '../bank-warehouse.js';
import { recordingWarehouse, type RecordedStatement } from '../../test/support/recording-warehouse.js';
import { startSink } from '../http-sink.js';
import { slowestKinds } from '../statement-kinds.js';
import { fleetDesired } from './audiences.js';

const { values: args } = parseArgs({
  options: {
    profiles: { type: 'string', default: '1000000' },
    audiences: { type: 'string', default: '30' },
    'page-size': { type: 'string', default: '2000' },
    json: { type: 'boolean', default: false },
    statements: { type: 'boolean', default: false },
    trace: { type: 'string' },
  },
});
const PROFILES = Number(args.profiles);
const AUDIENCES = Number(args.audiences);
const PAGE_SIZE = Number(args['page-size']);
const SCHEMA = 'LINKED_AUDIENCES';
const GOAL_SECONDS = 30;
const GOAL_RATIO = 1.5;

interface Cycle {
  wallMs: number;
  /** CPU time of this process (its JavaScript and DuckDB's threads) during the cycle: over wallMs, the cores it kept busy. */
  cpuMs: number;
  /** Start of the cycle to the last run's commit. */
  computeMs: number;
  /** The runs' own durations, summed. */
  runsMs: number;
  /** After the last run: draining the outboxes, then stopping (the file's close and checkpoint). */
  deliverMs: number;
  runs: number;
  entered: number;
  exited: number;
  events: number;
  eventsPerSecond: number;
  passes: number;
  /** Statements the daemon ran on the warehouse, and how many of them committed on their own. */
  statements: number;
  transactions: number;
  /** The statement kinds that took longest in all, with `--statements`. */
  slowest: string[];
  recorded: RecordedStatement[];
  peakRssMb: number;
  /** The 30 bare membership queries right before and right after the cycle, summed. */
  bareBeforeMs: number;
  bareAfterMs: number;
  bare: Record<string, number>;
  ratio: number;
}

/** Progress on stderr, so a long run shows where it is (stdout keeps the report). */
const progress = (line: string) => process.stderr.write(`[fleet ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const f = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);

/** Writes the fleet's resources as an apply would (same stores), checked first. */
async function applyFleet(wh: Warehouse, desired: Desired): Promise<void> {
  const errors = checkDesired(desired).filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`fleet audiences do not check: ${errors.map((d) => `${d.resource}.${d.attribute}: ${d.message}`).join('; ')}`);
  const ctx = { applyId: 'fleet-bench', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: desired.stack };
  const byKind = {
    data_graph: [desired.graph],
    classic_audience: desired.classicAudiences,
    audience: desired.audiences,
    destination: desired.destinations,
    event_emitter: desired.emitters,
  } as const;
  for (const kind of RESOURCE_KINDS) for (const r of byKind[kind]) await writeResource(wh, SCHEMA, kind, 'key' in r ? r.key : 'graph', r, ctx, true);
  // The column types apply records with them (compute and delivery read which keys need a cast).
  await new CatalogSnapshotStore(wh, SCHEMA).write(desired.stack, desired.graph.key, await snapshotCatalog(desired.graph, wh, desired.classicAudiences), ctx.appliedAt, ctx.applyId);
}

/** Each audience's compiled membership query, materialized, in dependency order (references read the state). */
async function bareQueries(db: string, model: ComputeModel): Promise<Record<string, number>> {
  const wh = await openDuckDb(db);
  const out: Record<string, number> = {};
  try {
    const now = new Date();
    for (const a of model.audiences) {
      const q = compileAudience(model, a.key, { dialect: 'duckdb', stateSchema: SCHEMA, now }).membership;
      const t0 = performance.now();
      await wh.query(`CREATE OR REPLACE TEMP TABLE bare_membership AS ${q.sql}`, q.params);
      out[a.key] = performance.now() - t0;
      progress(`bare ${a.key}: ${f(out[a.key]!)}`);
    }
    await wh.query('DROP TABLE IF EXISTS bare_membership');
  } finally {
    await wh.close();
  }
  return out;
}

/** One `run --once` of the daemon, as the CLI builds it (its defaults: page size, lease TTL). */
async function cycle(db: string): Promise<Omit<Cycle, 'bareBeforeMs' | 'bareAfterMs' | 'bare' | 'ratio'>> {
  const runs: RunSummary[] = [];
  let lastRunAt = 0;
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  // Counted because they are what the machine's noise cannot hide: each costs a round trip (and,
  // when it writes, a commit) whatever the load.
  const recorded: RecordedStatement[] = [];
  let transactions = 0;
  const opened: (() => void)[] = [];
  const daemon = new Daemon({
    open: async () => {
      const { wh, statements, transactionCount } = recordingWarehouse(await openDuckDb(db));
      opened.push(() => {
        recorded.push(...statements);
        transactions += transactionCount();
      });
      return wh;
    },
    schema: SCHEMA,
    duckDbFile: db,
    loadModel: (wh) => readAppliedModel(wh, SCHEMA),
    delivery: { pageSize: PAGE_SIZE },
    onRun: (s) => {
      runs.push(s);
      lastRunAt = performance.now();
      progress(`run ${runs.length}: ${s.audienceKey} ${s.status} +${s.entered ?? 0} -${s.exited ?? 0} in ${f(s.durationMs)}`);
    },
    onDelivery: (d) => progress(`delivered ${d.emitterKey}: ${d.sent} events in ${f(d.durationMs)}`),
  });
  const report = await daemon.once();
  progress(`trait reads: ${daemon.delivery?.traitReads.reads} for ${daemon.delivery?.traitReads.requests} pages`);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  for (const collect of opened) collect();
  clearInterval(sampler);
  const failed = report.runs.filter((r) => r.status !== 'Live');
  const stuck = report.deliveries.filter((d) => d.status !== 'delivered' || d.deadLettered > 0);
  if (failed.length > 0 || stuck.length > 0) throw new Error(`cycle failed: ${JSON.stringify({ failed: failed.map((r) => [r.audienceKey, r.error]), stuck })}`);
  const events = report.deliveries.reduce((n, d) => n + d.sent, 0);
  const computeMs = (lastRunAt || started) - started;
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    computeMs,
    runsMs: runs.reduce((n, r) => n + r.durationMs, 0),
    deliverMs: wallMs - computeMs,
    runs: runs.length,
    entered: runs.reduce((n, r) => n + (r.entered ?? 0), 0),
    exited: runs.reduce((n, r) => n + (r.exited ?? 0), 0),
    events,
    eventsPerSecond: events / (wallMs / 1000),
    passes: report.deliveries.length,
    statements: recorded.length,
    transactions,
    slowest: slowestKinds(recorded, 25),
    recorded: recorded.sort((a, b) => a.at - b.at),
    peakRssMb: peakRss / 2 ** 20,
  };
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

async function measuredCycle(db: string, model: ComputeModel, before: boolean): Promise<Cycle> {
  // Before the baseline cycle nothing is computed, so references would read empty snapshots: the
  // baseline's bare queries run after it only.
  const pre = before ? await bareQueries(db, model) : undefined;
  const c = await cycle(db);
  const post = await bareQueries(db, model);
  const bareBeforeMs = pre ? sum(pre) : sum(post);
  const bareAfterMs = sum(post);
  const bare = Object.fromEntries(Object.keys(post).map((k) => [k, pre ? (pre[k]! + post[k]!) / 2 : post[k]!]));
  return { ...c, bareBeforeMs, bareAfterMs, bare, ratio: c.wallMs / ((bareBeforeMs + bareAfterMs) / 2) };
}

const dir = mkdtempSync(join(tmpdir(), 'linked-fleet-'));
const sink = await startSink(dir);
try {
  const db = join(dir, 'bank.duckdb');
  const genMs = await prepareBankWarehouse(db, PROFILES);
  const desired = Desired.parse(fleetDesired(AUDIENCES, sink.url));
  let model: ComputeModel;
  {
    const wh = await openDuckDb(db);
    try {
      await migrateState(wh, SCHEMA);
      await applyFleet(wh, desired);
      model = (await readAppliedModel(wh, SCHEMA))!;
      await wh.query('CHECKPOINT');
    } finally {
      await wh.close();
    }
  }
  const load = () => loadavg()[0]!.toFixed(1);
  const loads: string[] = [load()];
  const baseline = await measuredCycle(db, model, false);
  loads.push(load());
  {
    const wh = await openDuckDb(db);
    try {
      await changeOnePercent(wh, 'fleet');
      // "Compute now" for every audience, as `linked compute --request` records it.
      const requests = new ComputeRequestStore(wh, SCHEMA);
      for (const a of model.audiences) await requests.create(a.key, 'fleet-bench');
      await wh.query('CHECKPOINT');
    } finally {
      await wh.close();
    }
  }
  const changed = await measuredCycle(db, model, true);
  loads.push(load());
  const fileMb = statSync(db).size / 2 ** 20;
  if (args.trace) writeFileSync(args.trace, changed.recorded.map((r) => JSON.stringify({ ...r, at: r.at - changed.recorded[0]!.at, sql: r.sql.replace(/\s+/g, ' ') })).join('\n') + '\n');
  for (const c of [baseline, changed]) c.recorded = [];
  const result = { profiles: PROFILES, audiences: AUDIENCES, pageSize: PAGE_SIZE, generatedMs: genMs, loadAverage: loads, fileMb, baseline, changed, goals: { changedCycleSeconds: GOAL_SECONDS, ratio: GOAL_RATIO } };
  if (args.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`fleet bench: ${PROFILES.toLocaleString('en-US')} profiles, ${AUDIENCES} audiences, page ${PAGE_SIZE}; bank ready in ${f(genMs)}; load average ${loads.join(' → ')}`);
    for (const [name, c] of [
      ['baseline cycle (from nothing)', baseline],
      ['1 % cycle (after 1 % of every table changed)', changed],
    ] as const) {
      console.log(`${name}:`);
      console.log(`  wall ${f(c.wallMs)}: compute ${f(c.computeMs)} (runs ${f(c.runsMs)}, ${c.runs} runs, +${c.entered} -${c.exited}), deliver ${f(c.deliverMs)} (${c.passes} emitters); CPU ${f(c.cpuMs)}, ${(c.cpuMs / c.wallMs).toFixed(2)} cores`);
      console.log(`  ${c.events.toLocaleString('en-US')} events, ${c.eventsPerSecond.toFixed(0)} events/s; peak RSS ${c.peakRssMb.toFixed(0)} MB`);
      console.log(`  ${c.statements.toLocaleString('en-US')} statements on the warehouse, ${c.transactions} transactions`);
      if (args.statements) for (const line of c.slowest) console.log(`    ${line}`);
      console.log(`  bare membership queries: ${f(c.bareBeforeMs)} before, ${f(c.bareAfterMs)} after; ratio cycle / bare ${c.ratio.toFixed(2)} (goal <= ${GOAL_RATIO})`);
      const slowest = Object.entries(c.bare).sort((a, b) => b[1] - a[1]).slice(0, 5);
      console.log(`  slowest bare: ${slowest.map(([k, v]) => `${k} ${f(v)}`).join(', ')}`);
    }
    console.log(`1 % cycle ${f(changed.wallMs)} (goal < ${GOAL_SECONDS} s: ${changed.wallMs < GOAL_SECONDS * 1000 ? 'met' : 'not met'}); ratio ${changed.ratio.toFixed(2)} (goal <= ${GOAL_RATIO}: ${changed.ratio <= GOAL_RATIO ? 'met' : 'not met'}); file ${fileMb.toFixed(0)} MB`);
  }
} finally {
  sink.stop();
  rmSync(dir, { recursive: true, force: true });
}
