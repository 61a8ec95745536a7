import { describe, expect, it } from 'vitest';
import { readRuns, readStatus } from '../../src/compute/status.js';
import { Controller } from '../../src/controller/controller.js';
import { WarehouseError } from '../../src/warehouse/errors.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { SCHEMA } from '../compute/helpers.js';
import { FaultyWarehouse, type Fault } from '../compute/faulty.js';
import { twoAudiences } from './two-audiences.js';

/*
 * A run that cannot start is never dropped from a tick: it is recorded as Failed when its kickoff
 * fails (the run's row is written even though the kickoff never wrote it), and reported with the
 * reason when it could not start at all (here: its lease cannot be read).
 */
const FAST = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 };
const busy = () => new WarehouseError('WAREHOUSE_INTERNAL', 'the warehouse is busy (injected)', true);
const broken = () => new WarehouseError('WAREHOUSE', 'lease table unreadable (injected)', false);

const project = () => twoAudiences();

function controllerWith(path: string, faults: Fault[], log: string[]) {
  return new Controller({ open: async () => new FaultyWarehouse(await openDuckDb(path), faults), schema: SCHEMA, retry: FAST, log: (l) => log.push(l) });
}

describe('a run that fails to start', () => {
  it('fails at kickoff: recorded as Failed (KICKOFF_FAILED) and reported; the other audience runs', async () => {
    const path = await project();
    // Both attempts of the first kickoff (its first statement closes abandoned runs) fail transiently.
    const fault: Fault = { pattern: /RUN_ABANDONED/, times: FAST.maxAttempts, error: busy };
    const log: string[] = [];
    const report = await controllerWith(path, [fault], log).tick();
    const byKey = Object.fromEntries(report.runs.map((r) => [r.audienceKey, r]));
    expect(Object.keys(byKey).sort()).toEqual(['first', 'second']);
    expect(byKey.first).toMatchObject({ status: 'Failed', error: { code: 'KICKOFF_FAILED' } });
    expect(byKey.first!.unrecorded).toBeUndefined();
    expect(byKey.second!.status).toBe('Live');
    const wh = await openDuckDb(path);
    try {
      const runs = await readRuns(wh, SCHEMA, { audienceKey: 'first' });
      expect(runs.map((r) => [r.id, r.status, r.errorCode])).toEqual([[byKey.first!.runId, 'Failed', 'KICKOFF_FAILED']]);
      expect((await readStatus(wh, SCHEMA, 'first'))?.status).toBe('Failed');
    } finally {
      await wh.close();
    }
    expect(log.some((l) => /first: Failed \[KICKOFF_FAILED\]/.test(l))).toBe(true);
  });

  it('cannot start at all: reported as Failed with the reason, never silently missing', async () => {
    const path = await project();
    const fault: Fault = { pattern: /"leases"/, times: Infinity, error: broken };
    const log: string[] = [];
    const report = await controllerWith(path, [fault], log).tick();
    expect(report.runs.map((r) => [r.audienceKey, r.status]).sort()).toEqual([
      ['first', 'Failed'],
      ['second', 'Failed'],
    ]);
    expect(report.runs.every((r) => /did not start: .*lease table unreadable/.test(r.unrecorded ?? ''))).toBe(true);
    expect(log.filter((l) => /: Failed \[WAREHOUSE\] the run did not start/.test(l))).toHaveLength(2);
  });
});
