import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full GC before it collects
 * again: 50 % (V8's `--heap-growing-percent`).
 *
 * Why: on a machine with a large heap limit V8 grows the old generation up to 4× the live heap
 * between full GCs. Delivering events keeps little alive but promotes a page's events while they
 * are in flight, so the committed heap (and the process's memory) would be several times the live
 * data. At 1.5× it stays close to the live heap, at no throughput cost the bench can tell apart
 * (bench/deliver).
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Applies the heap growth limit to this process. The flag is read at every full GC, so setting it
 * at run time (rather than on node's command line, which `npx linked` does not control) takes
 * effect for everything allocated afterwards. Called where the long-running commands start
 * (`linked deliver`, `linked run`); bench/deliver's delivering process calls it the same way.
 */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
