import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full GC before it collects
 * again: 50 % (V8's `--heap-growing-percent`).
 *
 * Why: on a machine with a large heap limit V8 grows the old generation up to 4× the live heap
 * between full GCs. Delivering events keeps little alive (about 25 MB) but promotes a page's events
 * while they are in flight, so `linked deliver` committed up to 136 MB of heap for 25 MB live
 * (issue 6: peak RSS under 256 MB for a million events). At 1.5× its committed peak fell to about
 * 80 MB with no throughput lost that the bench could tell from run-to-run noise (bench/README.md).
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
