import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixtureArgs } from '../support/fixture-process.js';

const FIXTURE = fileURLToPath(new URL('./heap-churn.fixture.ts', import.meta.url));

async function churn(...args: string[]): Promise<{ live: number; peak: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', ...fixtureArgs(FIXTURE), ...args]);
  return JSON.parse(stdout);
}

describe('limitHeapGrowth (linked deliver, linked run)', () => {
  // V8's default on a large machine lets the old generation reach about 4x what survived the last
  // full GC (this churn peaks just above 4x its live heap without the limit, about 2x with it).
  it('keeps the committed heap within a small multiple of the live heap under promotion churn', async () => {
    const limited = await churn('limit');
    expect(limited.peak).toBeLessThan(3 * limited.live);
  }, 60_000);
});
