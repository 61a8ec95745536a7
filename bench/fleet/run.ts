/*
 * Fleet: N audiences x M destinations through one daemon (`linked run --once`'s Daemon, in this
 * process, on a DuckDB file), against a baseline of one audience and one destination run the same
 * way in the same run. Two cycles each: from nothing (baseline: every member enters) and after a
 * change of 1 % of the profiles. Reports per cycle the wall time, the compute and delivery phases,
 * events delivered and events/s, and the ratios:
 *
 * - throughput ratio = fleet events/s / baseline events/s (1 = the fleet delivers as fast per
 *   event as one emitter alone; above 1 = emitters delivering side by side gain);
 * - cost ratio = fleet wall time / (N x M x baseline wall time) (below 1 = shared work: one tick,
 *   one file, emitters in parallel, counts in the fleet's favour).
 *
 *   npx tsx bench/fleet/run.ts [--profiles 100000] [--audiences 10] [--destinations 3] [--json]
 *
 * The webhook sink runs in a separate process (as in bench/deliver), one path per destination.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAppliedModel } from '../../src/compute/applied.js';
import { Daemon } from '../../src/controller/daemon.js';
import { Audience, DataGraph, Destination, EventEmitter } from '../../src/model/index.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { ComputeRequestStore } from '../../src/state/control/compute-requests.js';
import { migrateState } from '../../src/state/migrate.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { startSink } from '../http-sink.js';

const { values: args } = parseArgs({
  options: {
    profiles: { type: 'string', default: '100000' },
    audiences: { type: 'string', default: '10' },
    destinations: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const PROFILES = Number(args.profiles);
const SCHEMA = 'LINKED_AUDIENCES';

interface Cycle {
  wallMs: number;
  computeMs: number;
  deliverMs: number;
  runs: number;
  events: number;
  eventsPerSecond: number;
}

/**
 * A warehouse of PROFILES profiles with a score 0..999 and a plan; audience i selects a band of
 * scores (about 3 % of profiles each, the bands overlapping) and, every third one, a plan too.
 */
async function setup(dir: string, sinkUrl: string, audiences: number, destinations: number): Promise<string> {
  const db = join(dir, `fleet-${audiences}x${destinations}.duckdb`);
  const wh = await openDuckDb(db);
  try {
    await migrateState(wh, SCHEMA);
    await wh.query(
      `CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, (hash(i) % 1000)::INTEGER AS score, CASE WHEN i % 4 = 0 THEN 'premium' ELSE 'basic' END AS plan FROM range(?) t(i)`,
      [PROFILES],
    );
    const ctx = { applyId: 'a', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 'fleet' };
    await writeResource(wh, SCHEMA, 'data_graph', 'graph', DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['score', 'plan'] } }), ctx, true);
    for (let d = 0; d < destinations; d++) {
      const dest = Destination.parse({ key: `hook-${d}`, type: 'webhook', settings: { url: `${sinkUrl}/hook-${d}`, batch: true } });
      await writeResource(wh, SCHEMA, 'destination', dest.key, dest, ctx, true);
    }
    for (let a = 0; a < audiences; a++) {
      const low = (a * 37) % 970;
      const band = {
        kind: 'and',
        conditions: [
          { kind: 'trait', trait: 'score', operator: 'gte', value: { literal: low } },
          { kind: 'trait', trait: 'score', operator: 'lt', value: { literal: low + 30 } },
        ],
      };
      const condition = a % 3 === 2 ? { kind: 'and', conditions: [band, { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } }] } : band;
      const audience = Audience.parse({ key: `band-${a}`, name: `band ${a}`, enabled: true, schedule: { type: 'interval', every: '1d' }, condition });
      await writeResource(wh, SCHEMA, 'audience', audience.key, audience, ctx, true);
      for (let d = 0; d < destinations; d++) {
        const emitter = EventEmitter.parse({ key: `band-${a}-to-${d}`, audience: audience.key, destination: `hook-${d}`, trigger: 'audience_membership_changed', sendForCurrent: true });
        await writeResource(wh, SCHEMA, 'event_emitter', emitter.key, emitter, ctx, true);
      }
    }
  } finally {
    await wh.close();
  }
  return db;
}

/** One `run --once` cycle of the daemon; every audience is due (first cycle: never ran) or requested (second). */
async function cycle(db: string): Promise<Cycle> {
  let computeMs = 0;
  let runs = 0;
  const daemon = new Daemon({
    open: () => openDuckDb(db),
    schema: SCHEMA,
    duckDbFile: db,
    loadModel: (wh) => readAppliedModel(wh, SCHEMA),
    delivery: { pageSize: 5000 },
    onRun: (s) => {
      runs++;
      computeMs += s.durationMs;
    },
  });
  const started = performance.now();
  const report = await daemon.once();
  const wallMs = performance.now() - started;
  const events = report.deliveries.reduce((n, d) => n + d.sent, 0);
  const stuck = report.deliveries.filter((d) => d.status !== 'delivered');
  if (stuck.length > 0 || report.runs.some((r) => r.status !== 'Live')) throw new Error(`cycle failed: ${JSON.stringify({ runs: report.runs.filter((r) => r.status !== 'Live'), stuck })}`);
  return { wallMs, computeMs, deliverMs: wallMs - computeMs, runs, events, eventsPerSecond: events / (wallMs / 1000) };
}

/** Flips the plan of 1 % of the profiles and moves their score, then asks every audience to compute again. */
async function change(db: string): Promise<void> {
  const wh = await openDuckDb(db);
  try {
    await wh.query(
      `UPDATE main.profiles SET score = (score + 500) % 1000, plan = CASE WHEN plan = 'premium' THEN 'basic' ELSE 'premium' END WHERE hash(user_id || 'change') % 100 = 0`,
    );
    // "Compute now" for every audience, as `linked compute --request` records it.
    const requests = new ComputeRequestStore(wh, SCHEMA);
    for (const a of (await readAppliedModel(wh, SCHEMA))?.audiences ?? []) await requests.create(a.key, 'fleet-bench');
  } finally {
    await wh.close();
  }
}

async function measure(dir: string, sinkUrl: string, audiences: number, destinations: number) {
  const db = await setup(dir, sinkUrl, audiences, destinations);
  const first = await cycle(db);
  await change(db);
  const second = await cycle(db);
  return { audiences, destinations, first, second };
}

const dir = mkdtempSync(join(tmpdir(), 'linked-fleet-'));
const sink = await startSink(dir);
try {
  const N = Number(args.audiences);
  const M = Number(args.destinations);
  const baseline = await measure(dir, sink.url, 1, 1);
  const fleet = await measure(dir, sink.url, N, M);
  const ratios = (which: 'first' | 'second') => ({
    throughput: fleet[which].eventsPerSecond / baseline[which].eventsPerSecond,
    cost: fleet[which].wallMs / (N * M * baseline[which].wallMs),
  });
  const result = { profiles: PROFILES, baseline, fleet, ratios: { first: ratios('first'), second: ratios('second') } };
  if (args.json) console.log(JSON.stringify(result, null, 2));
  else {
    const line = (name: string, c: Cycle) =>
      `  ${name.padEnd(28)} ${c.wallMs.toFixed(0).padStart(7)} ms  (compute ${c.computeMs.toFixed(0)} ms, deliver ${c.deliverMs.toFixed(0)} ms)  ${String(c.events).padStart(8)} events  ${c.eventsPerSecond.toFixed(0).padStart(7)} events/s`;
    console.log(`fleet bench: ${PROFILES} profiles`);
    for (const which of ['first', 'second'] as const) {
      console.log(which === 'first' ? 'cycle 1 (from nothing: every member enters)' : 'cycle 2 (after a 1 % change)');
      console.log(line('baseline 1 x 1', baseline[which]));
      console.log(line(`fleet ${N} x ${M}`, fleet[which]));
      const r = result.ratios[which];
      console.log(`  throughput ratio ${r.throughput.toFixed(2)}; cost ratio ${r.cost.toFixed(2)} (fleet / ${N * M} x baseline)`);
    }
  }
} finally {
  sink.stop();
}
