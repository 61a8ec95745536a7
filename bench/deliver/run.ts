/**
 * Delivery throughput and memory (issue 6): events per second to a loopback webhook in batch
 * mode, against a bare HTTP loop posting bodies of the same events in the same run, and peak RSS
 * while delivering N events (default 1,000,000).
 *
 *   npx tsx bench/deliver/run.ts [events=1000000] [pageSize=5000] [batchSize=1000]
 *
 * The sink is a separate process so that it does not share this process's event loop or RSS, and
 * so is the delivery, which opens the prepared DuckDB file fresh as `linked deliver` would. Its
 * RSS includes DuckDB's buffer pool (BENCH_DUCKDB_MEMORY=128MB caps it); the JS heap is printed
 * along the way to tell them apart.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { deliverAll } from '../../src/activation/deliver.js';
import { limitHeapGrowth } from '../../src/cli/heap.js';
import { buildEvent } from '../../src/activation/build-event.js';
import type { EnrichmentData } from '../../src/activation/enrich/fetch.js';
import { planEnrichment } from '../../src/activation/enrich/plan.js';
import { Audience } from '../../src/model/audience.js';
import { Destination } from '../../src/model/destination.js';
import { EventEmitter } from '../../src/model/emitter.js';
import { DataGraph } from '../../src/model/graph.js';
import { migrateState } from '../../src/state/migrate.js';
import { snapshotCatalog } from '../../src/graph/catalog.js';
import { CatalogSnapshotStore } from '../../src/state/apply/catalog-snapshots.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { recordingWarehouse } from '../../test/support/recording-warehouse.js';
import { slowestKinds } from '../statement-kinds.js';
import { fixtureArgs } from '../../test/support/fixture-process.js';
import { keepAlivePoster, startSink } from '../http-sink.js';

// The delivering child gets the sizes through the environment (its argv names the database).
const N = Number(process.env.BENCH_EVENTS ?? (process.env.BENCH_EVENTS = process.argv[2] ?? '1000000'));
const PAGE_SIZE = Number(process.env.BENCH_PAGE ?? (process.env.BENCH_PAGE = process.argv[3] ?? '5000'));
const BATCH = Number(process.env.BENCH_BATCH ?? (process.env.BENCH_BATCH = process.argv[4] ?? '1000'));
const CONCURRENCY = 4;
const DUCKDB_MEMORY = process.env.BENCH_DUCKDB_MEMORY;
// The delivery runs compiled, as `linked deliver` does; BENCH_CHILD=tsx runs it through tsx's loader instead.
const THROUGH_TSX = process.env.BENCH_CHILD === 'tsx';
const SCHEMA = 'LINKED_AUDIENCES';

const graph = DataGraph.parse({
  profile: { table: 'main.profiles', id: 'user_id', traits: ['email', 'plan'], identifiers: ['user_id'] },
});
const audience = Audience.parse({ key: 'bench', name: 'Bench', condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } } });

/**
 * Peak RSS, and apart the peaks of V8's committed heap and of the rest (DuckDB, malloc, buffers,
 * code). RSS is sampled every 20 ms (cheap); the heap's split every 100 ms, since
 * process.memoryUsage() walks the heap's spaces and would weigh on the delivery it measures.
 */
function peakRss(): { stop(): { rss: number; heap: number; native: number } } {
  const peak = { rss: 0, heap: 0, native: 0 };
  let ticks = 0;
  const sample = () => {
    if (ticks++ % 5 === 0) {
      const m = process.memoryUsage();
      peak.rss = Math.max(peak.rss, m.rss);
      peak.heap = Math.max(peak.heap, m.heapTotal);
      peak.native = Math.max(peak.native, m.rss - m.heapTotal);
    } else {
      peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
    }
  };
  sample();
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      ticks = 0;
      sample();
      return peak;
    },
  };
}

/** The baseline: the same events, serialized in the same batches, posted by a bare keep-alive loop. */
async function bareLoop(url: string, emitter: EventEmitter): Promise<{ seconds: number; cpuSeconds: number }> {
  const plan = planEnrichment(graph, audience, emitter);
  const { post, close: closePoster } = keepAlivePoster(url, CONCURRENCY);
  const ctx = { emitter, plan, namespace: 'bench', backfillEpoch: '' };
  const started = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    for (;;) {
      const from = next;
      if (from >= N) return;
      next += BATCH;
      const data: EnrichmentData = { traits: new Map(), chains: new Map(), others: new Map(), links: new Map() };
      const events = [];
      for (let i = from; i < Math.min(N, from + BATCH); i++) {
        const id = `u${i + 1}`;
        data.traits.set(id, { email: `${id}@example.com`, plan: 'premium' });
        events.push(
          buildEvent(ctx, { source: 'outbox', id: i + 1, audienceKey: 'bench', kind: 'entered', profileId: id, entityPath: null, entityId: null, createdAt: new Date().toISOString() }, data),
        );
      }
      await post(JSON.stringify(events));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  closePoster();
  return { seconds, cpuSeconds: cpuSecondsSince(cpu) };
}

/** User + system CPU time of the calling thread, in seconds (Linux: /proc; 0 elsewhere). */
function threadCpuSeconds(): number {
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** User + system CPU time of this process since `start`, in seconds. */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

interface DeliveryFigures {
  sent: number;
  seconds: number;
  cpuSeconds: number;
  /** Of cpuSeconds, the main thread's (JS, and the GC work it does itself); the rest is V8's GC helpers, libuv and DuckDB threads. */
  mainCpuSeconds: number;
  rssBefore: number;
  heapBefore: number;
  peak: number;
  peakHeap: number;
  peakNative: number;
}

/**
 * The delivery itself runs in a fresh process of compiled code, as `linked deliver` does: the
 * parent's setup (a million outbox rows written through DuckDB) would otherwise count in the RSS.
 */
async function deliverInChild(dbFile: string): Promise<DeliveryFigures> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the delivering process there (open it in Chrome's DevTools).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_NODE_FLAGS: more node flags for the delivering process (e.g. --single-threaded-gc).
  if (process.env.BENCH_NODE_FLAGS) profile.push(...process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean));
  const self = fileURLToPath(import.meta.url);
  // Compiled as the test suite compiles the processes it starts: esbuild, our modules inlined.
  const [entry, execArgv] = THROUGH_TSX ? [self, ['--import', 'tsx', ...profile]] : [fixtureArgs(self)[0]!, profile];
  const child = fork(entry, ['--child', dbFile], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as DeliveryFigures));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`the delivering process exited with ${code}`))));
  });
}

/**
 * BENCH_HEAP_PROF=<file>: a sampling profile of what the delivery allocates, by call site (one
 * sample per 16 KB allocated on average), collected objects included: node's --heap-prof keeps only
 * what is still alive at exit. Open it in Chrome's DevTools (Memory tab). Returns the stop.
 */
async function sampleAllocations(): Promise<(() => Promise<void>) | undefined> {
  const file = process.env.BENCH_HEAP_PROF;
  if (!file) return undefined;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

async function childMain(dbFile: string) {
  // What `linked deliver` does before it opens the project (src/cli/commands/deliver.ts).
  limitHeapGrowth();
  // BENCH_V8_FLAGS: V8 flags set at run time, as `linked` could without a new process (e.g. --no-parallel-scavenge).
  if (process.env.BENCH_V8_FLAGS) setFlagsFromString(process.env.BENCH_V8_FLAGS);
  const opened = await openDuckDb(dbFile);
  // BENCH_TRACE: each statement's time (queued behind others included), summed by its shape.
  const traced = process.env.BENCH_TRACE ? recordingWarehouse(opened) : undefined;
  const wh = traced?.wh ?? opened;
  try {
    // DuckDB's buffer pool lives in this process; BENCH_DUCKDB_MEMORY caps it (e.g. 128MB).
    if (DUCKDB_MEMORY) await wh.query(`SET memory_limit = '${DUCKDB_MEMORY.replace(/[^0-9A-Za-z.]/g, '')}'`);
    const { rss: rssBefore, heapTotal: heapBefore } = process.memoryUsage();
    const rss = peakRss();
    const started = performance.now();
    const heapProfile = await sampleAllocations();
    const cpu = process.cpuUsage();
    const mainCpu = threadCpuSeconds();
    let nextTrace = 0;
    const summary = await deliverAll(wh, SCHEMA, {
      pageSize: PAGE_SIZE,
      // BENCH_READ_PAGES: pages read and enriched per warehouse read (deliverAll's readPages).
      readPages: process.env.BENCH_READ_PAGES ? Number(process.env.BENCH_READ_PAGES) : undefined,
      concurrency: CONCURRENCY,
      // Heap vs RSS along the way: a growing heap would be delivery holding on to events.
      onProgress: (p) => {
        if (p.sent < nextTrace) return;
        nextTrace += N / 5;
        const m = process.memoryUsage();
        console.log(`  ${p.sent.toLocaleString('en-US')} sent: heap ${Math.round(m.heapUsed / 1048576)} of ${Math.round(m.heapTotal / 1048576)} MB, external ${Math.round(m.external / 1048576)} MB, rss ${Math.round(m.rss / 1048576)} MB`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = cpuSecondsSince(cpu);
    const mainCpuSeconds = threadCpuSeconds() - mainCpu;
    const peak = rss.stop();
    await heapProfile?.();
    const figures: DeliveryFigures = { sent: summary.sent, seconds, cpuSeconds, mainCpuSeconds, rssBefore, heapBefore, peak: peak.rss, peakHeap: peak.heap, peakNative: peak.native };
    if (summary.sent !== N) console.error(JSON.stringify(summary.emitters));
    if (traced) for (const line of slowestKinds(traced.statements, 12)) console.log(`  ${line}`);
    process.send!(figures);
  } finally {
    await wh.close();
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-deliver-'));
  const sink = await startSink(dir);
  const hookUrl = `${sink.url}/hook`;
  const dbFile = join(dir, 'bench.duckdb');
  const wh = await openDuckDb(dbFile);
  let emitter: EventEmitter;
  try {
    await migrateState(wh, SCHEMA);
    await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, 'u' || i || '@example.com' AS email, 'premium' AS plan FROM range(1, ? + 1) t(i)`, [N]);
    const applied = new Date(Date.now() - 60_000);
    const ctx = { applyId: 'bench', appliedAt: applied, appliedBy: 'bench', commitSha: null, stack: 'bench' };
    emitter = EventEmitter.parse({ key: 'bench-entered', audience: 'bench', destination: 'sink', trigger: 'audience_entered', enrich: { traits: ['email', 'plan'] } });
    const destination = Destination.parse({ key: 'sink', type: 'webhook', batchSize: BATCH, settings: { url: hookUrl, batch: true } });
    await writeResource(wh, SCHEMA, 'data_graph', 'graph', graph, ctx, true);
    await writeResource(wh, SCHEMA, 'audience', 'bench', audience, ctx, true);
    await writeResource(wh, SCHEMA, 'destination', 'sink', destination, ctx, true);
    await writeResource(wh, SCHEMA, 'event_emitter', emitter.key, emitter, ctx, true);
    // The column types apply records with them (delivery reads which keys need a cast).
    await new CatalogSnapshotStore(wh, SCHEMA).write(ctx.stack, graph.key, await snapshotCatalog(graph, wh), applied, ctx.applyId);
    await wh.query(
      `INSERT INTO "${SCHEMA}"."outbox" (id, audience_key, run_id, kind, profile_id, entity_path, entity_id, baseline, created_at)
       SELECT i, 'bench', 'run-1', 'entered', 'u' || i, NULL, NULL, FALSE, CURRENT_TIMESTAMP FROM range(1, ? + 1) t(i)`,
      [N],
    );
    await wh.query('CHECKPOINT');
  } finally {
    await wh.close();
  }
  try {
    const d = await deliverInChild(dbFile);
    if (d.sent !== N) throw new Error(`delivered ${d.sent} of ${N}`);
    const bare = await bareLoop(hookUrl, emitter);
    const bareSeconds = bare.seconds;
    const rate = N / d.seconds;
    const bareRate = N / bareSeconds;
    const mb = (b: number) => `${Math.round(b / 1024 / 1024)} MB`;
    console.log(`events: ${N.toLocaleString('en-US')}, page ${PAGE_SIZE}, webhook batch ${BATCH}, ${CONCURRENCY} requests in flight`);
    console.log(`bare HTTP loop (same events, same batches): ${Math.round(bareRate).toLocaleString('en-US')} events/s (${bareSeconds.toFixed(1)} s)`);
    console.log(`deliverAll (outbox -> enrich -> event -> mapping -> actions-core -> record): ${Math.round(rate).toLocaleString('en-US')} events/s (${d.seconds.toFixed(1)} s)`);
    console.log(`ratio deliverAll / bare loop: ${(rate / bareRate).toFixed(2)}`);
    // CPU time moves far less than wall time with the load of a shared machine: what each side costs per event.
    const us = (cpuSeconds: number) => `${((cpuSeconds * 1e6) / N).toFixed(1)} µs`;
    console.log(`CPU per event (user + system of the sending process): deliverAll ${us(d.cpuSeconds)} (main thread ${us(d.mainCpuSeconds)}, other threads ${us(d.cpuSeconds - d.mainCpuSeconds)}), bare loop ${us(bare.cpuSeconds)}; ratio bare / deliverAll ${(bare.cpuSeconds / d.cpuSeconds).toFixed(2)}`);
    console.log(`delivering process (${THROUGH_TSX ? 'through tsx' : 'compiled'}): RSS at start ${mb(d.rssBefore)} (DuckDB memory_limit ${DUCKDB_MEMORY ?? 'default'}), peak during delivery ${mb(d.peak)}`);
    console.log(`  V8 heap committed: ${mb(d.heapBefore)} at start, peak ${mb(d.peakHeap)}; RSS beside it (DuckDB, malloc, buffers, code): ${mb(d.rssBefore - d.heapBefore)} at start, peak ${mb(d.peakNative)}`);
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(`goals: >= 50,000 events/s: ${met(rate >= 50_000)}; >= 0.40 of the bare loop: ${met(rate / bareRate >= 0.4)}; RSS < 256 MB: ${met(d.peak < 256 * 1024 * 1024)}`);
  } finally {
    sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await childMain(process.argv[3]!);
else await main();
