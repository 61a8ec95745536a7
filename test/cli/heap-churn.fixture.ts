/**
 * Run by heap.test.ts in a child process (V8 flags are per process): keeps a live set, then churns
 * through objects that live long enough to be promoted to the old generation and die there, as a
 * delivery's in-flight pages do, and prints the live heap after a full GC and the peak committed
 * heap. With `limit` as argument it first applies the CLI's heap growth limit.
 */
import { limitHeapGrowth } from '../../src/cli/heap.js';

if (process.argv.includes('limit')) limitHeapGrowth();
const live: unknown[] = [];
for (let i = 0; i < 400_000; i++) live.push({ id: i, name: `live-${i}`, tags: [i, i + 1] });
const inFlight: unknown[] = new Array(200_000);
let peak = 0;
// Ten turns of the in-flight ring: without the limit the peak is past 4x the live heap by then,
// and more turns only repeat it.
for (let i = 0; i < 2_000_000; i++) {
  inFlight[i % inFlight.length] = { i, text: `garbage-${i}`, list: [i, i * 2, i * 3] };
  if (i % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal);
}
(globalThis as { gc?: () => void }).gc!();
process.stdout.write(JSON.stringify({ live: process.memoryUsage().heapUsed, peak, kept: live.length + inFlight.length }));
