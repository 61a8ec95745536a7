import { describe, expect, it } from 'vitest';
import { readStatus } from '../../src/compute/status.js';
import { Controller } from '../../src/controller/controller.js';
import { followedNextRun } from '../../src/controller/schedule-follow.js';
import { Audience, DataGraph } from '../../src/model/index.js';
import type { Schedule } from '../../src/model/audience.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { SCHEMA, freshWarehouse } from '../compute/helpers.js';
import { recordingWarehouse, type RecordedStatement } from '../support/recording-warehouse.js';

const every = (e: string): Schedule => ({ type: 'interval', every: e }) as Schedule;
const cronAt = (expression: string): Schedule => ({ type: 'cron', expression }) as Schedule;
const at = (iso: string) => new Date(iso);

describe('followedNextRun', () => {
  const noRun = async () => undefined;
  it('keeps a slot that still fits the applied schedule', async () => {
    expect(await followedNextRun(every('15m'), at('2026-12-05T10:15:00Z'), at('2026-12-05T10:07:00Z'), noRun)).toBeUndefined();
    // Overdue slots stand: the audience is due anyway.
    expect(await followedNextRun(every('15m'), at('2026-12-05T10:15:00Z'), at('2026-12-05T10:40:00Z'), noRun)).toBeUndefined();
    expect(await followedNextRun(cronAt('0 6 * * *'), at('2026-12-06T06:00:00Z'), at('2026-12-05T10:00:00Z'), noRun)).toBeUndefined();
  });
  it('moves a slot of an older, slower schedule to the new one, from the latest run', async () => {
    const lastRun = async () => at('2026-12-05T10:00:10Z');
    expect(await followedNextRun(every('1m'), at('2026-12-05T10:15:00Z'), at('2026-12-05T10:07:30Z'), lastRun)).toEqual(at('2026-12-05T10:01:00Z'));
    expect(await followedNextRun(every('1m'), at('2026-12-06T06:00:00Z'), at('2026-12-05T10:07:30Z'), noRun)).toEqual(at('2026-12-05T10:08:00Z'));
  });
  it('moves a slot the new, slower schedule does not have', async () => {
    const lastRun = async () => at('2026-12-05T10:07:00Z');
    expect(await followedNextRun(cronAt('0 6 * * *'), at('2026-12-05T10:08:00Z'), at('2026-12-05T10:07:30Z'), lastRun)).toEqual(at('2026-12-06T06:00:00Z'));
  });
});

/**
 * A DuckDB file with five profiles and a Data Graph, what `apply` writes (one audience, as an
 * apply would), and the audience's status as the controller left it.
 */
async function stateWithApplies() {
  const { wh, path } = await freshWarehouse();
  await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, 'premium' AS plan FROM range(5) t(i)`);
  await wh.close();
  const graph = DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } });
  let applies = 0;
  const apply = async (key: string, schedule: Schedule, enabled = true) => {
    const ctx = { applyId: `a${++applies}`, appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 's' };
    const audience = Audience.parse({ key, name: key, enabled, schedule, condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } } });
    const w = await openDuckDb(path);
    try {
      if (applies === 1) await writeResource(w, SCHEMA, 'data_graph', 'graph', graph, ctx, true);
      await writeResource(w, SCHEMA, 'audience', key, audience, ctx, true);
    } finally {
      await w.close();
    }
  };
  const status = async (key: string) => {
    const w = await openDuckDb(path);
    try {
      return await readStatus(w, SCHEMA, key);
    } finally {
      await w.close();
    }
  };
  return { path, apply, status };
}

describe('the controller after an apply changes a schedule', () => {
  it('recomputes the next run at once: every 15m -> every 1m, and a daily cron -> every minute', async () => {
    const { path, apply, status } = await stateWithApplies();
    await apply('quarter', every('15m'));
    await apply('daily', cronAt('0 6 * * *'));

    let now = at('2026-12-05T10:07:00Z');
    const controller = new Controller({ open: () => openDuckDb(path), schema: SCHEMA, now: () => now });
    const nextRun = async (key: string) => (await status(key))?.nextRunAt?.toISOString();

    expect((await controller.tick()).runs.map((r) => r.audienceKey).sort()).toEqual(['daily', 'quarter']);
    expect(await nextRun('quarter')).toBe('2026-12-05T10:15:00.000Z');
    expect(await nextRun('daily')).toBe('2026-12-06T06:00:00.000Z');

    now = at('2026-12-05T10:07:30Z');
    expect((await controller.tick()).due).toEqual([]);

    await apply('quarter', every('1m'));
    await apply('daily', every('1m'));
    // The old slots (10:15, tomorrow 06:00) are gone: both are due at the next minute after their run.
    expect((await controller.tick()).due).toEqual([]);
    expect(await nextRun('quarter')).toBe('2026-12-05T10:08:00.000Z');
    expect(await nextRun('daily')).toBe('2026-12-05T10:08:00.000Z');
    now = at('2026-12-05T10:08:01Z');
    expect((await controller.tick()).runs.map((r) => r.audienceKey).sort()).toEqual(['daily', 'quarter']);
    expect(await nextRun('quarter')).toBe('2026-12-05T10:09:00.000Z');
    await controller.stop();
  }, 60_000);
});

describe('the controller after an apply enables an audience again', () => {
  it('computes it at the next tick (the guide: enabling triggers a compute), not at its next scheduled slot', async () => {
    const { path, apply, status } = await stateWithApplies();
    await apply('daily', cronAt('0 6 * * *'));
    let now = at('2026-12-05T10:07:00Z');
    const controller = new Controller({ open: () => openDuckDb(path), schema: SCHEMA, now: () => now });
    expect((await controller.tick()).runs.map((r) => r.audienceKey)).toEqual(['daily']);

    await apply('daily', cronAt('0 6 * * *'), false);
    now = at('2026-12-05T10:10:00Z');
    expect((await controller.tick()).due).toEqual([]);
    expect((await status('daily'))?.status).toBe('Disabled');

    await apply('daily', cronAt('0 6 * * *'), true);
    now = at('2026-12-05T10:12:00Z');
    const tick = await controller.tick();
    expect(tick.runs.map((r) => [r.audienceKey, r.status])).toEqual([['daily', 'Live']]);
    // Back on its schedule after that run.
    expect((await status('daily'))?.nextRunAt?.toISOString()).toBe('2026-12-06T06:00:00.000Z');
    await controller.stop();
  }, 60_000);
});

describe('the runs of one tick and a repeated profile id', () => {
  it('search the profile table once between them, and all fail with "Duplicate records" when an id repeats', async () => {
    const { path, apply } = await stateWithApplies();
    for (const key of ['a', 'b', 'c']) await apply(key, every('1m'));
    const statements: RecordedStatement[] = [];
    const open = async () => {
      const recorded = recordingWarehouse(await openDuckDb(path));
      const { wh } = recorded;
      return { ...wh, close: () => (statements.push(...recorded.statements), wh.close()) };
    };
    const searches = () => statements.filter((s) => /HAVING/i.test(s.sql));
    let now = at('2026-12-05T10:07:00Z');
    const controller = new Controller({ open, schema: SCHEMA, now: () => now });
    const first = await controller.tick();
    expect(first.runs.map((r) => [r.audienceKey, r.status]).sort()).toEqual([['a', 'Live'], ['b', 'Live'], ['c', 'Live']]);
    expect(searches()).toHaveLength(1);

    const w = await openDuckDb(path);
    await w.query(`INSERT INTO main.profiles VALUES ('u1', 'basic')`);
    await w.close();
    now = at('2026-12-05T10:09:00Z');
    const second = await controller.tick();
    expect(second.runs.map((r) => [r.audienceKey, r.error?.code]).sort()).toEqual([['a', 'DUPLICATE_RECORDS'], ['b', 'DUPLICATE_RECORDS'], ['c', 'DUPLICATE_RECORDS']]);
    expect(searches()).toHaveLength(2);
  });
});
