import { copyFileSync, existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { generateBankWarehouse } from '../examples/bank/data.js';

/**
 * Writes the bank example's warehouse to `path` for a bench: generated, or, with
 * BANK_DB=<file>, generated once into <file> and copied from it on later runs.
 * Returns how long it took, in milliseconds.
 */
export async function prepareBankWarehouse(path: string, profiles: number): Promise<number> {
  const started = performance.now();
  const cached = process.env.BANK_DB;
  if (cached && existsSync(cached)) copyFileSync(cached, path);
  else {
    await generateBankWarehouse(path, { profiles });
    if (cached) copyFileSync(path, cached);
  }
  return performance.now() - started;
}
