import { describe, expect } from 'vitest';
import { readActivationModel, resolveEmitter } from '../../src/activation/emitter-context.js';
import { EmitterReader } from '../../src/activation/read.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { itOnBothWarehouses } from '../support/both-state-warehouses.js';
import { recordingWarehouse } from '../support/recording-warehouse.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, SCHEMA } from './helpers.js';

/*
 * A serving daemon looks at every emitter every few seconds: which have rows after their cursor
 * (new rows, replays, a backfill under way; an emitter without a current cursor has it started
 * first) must cost two statements whatever the number of emitters, and find exactly those, with
 * each emitter's own filter.
 */
async function emittersWithWork(wh: Warehouse) {
  const emitter = (key: string, trigger: string) => ({ key, audience: 'overdue-cards', destination: 'hook', trigger });
  await applyResources(wh, {
    graph: GRAPH,
    audiences: [AUDIENCE],
    destinations: [{ key: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:9/hook' } }],
    emitters: [
      emitter('new-rows', 'audience_entered'),
      emitter('caught-up', 'audience_entered'),
      emitter('filtered-out', 'audience_entered'),
      emitter('never-started', 'audience_entered'),
      emitter('backfilling', 'audience_entered'),
      emitter('re-created', 'audience_entered'),
    ],
  });
  expect(
    await insertOutbox(wh, [
      { kind: 'entered', profileId: 'u1' },
      { kind: 'exited', profileId: 'u2' },
    ]),
  ).toEqual([1, 2]);
  const model = await readActivationModel(wh, SCHEMA);
  const resolved = model.applied!.resources.emitters.map((e) => resolveEmitter(model, e));
  const createdAt = (key: string) => resolved.find((r) => r.emitter.key === key)!.createdAt;
  const cursor = async (key: string, lastOutboxId: number, backfill: { total: number; done: number } = { total: 0, done: 0 }, created = createdAt(key)) =>
    wh.query(
      `INSERT INTO "${SCHEMA}"."delivery_cursors" (emitter_key, last_outbox_id, backfill_epoch, backfill_total, backfill_done, emitter_created_at, initialized_at, updated_at)
       VALUES (?, ?, 'e', ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP))`,
      [key, lastOutboxId, backfill.total, backfill.done, created, new Date().toISOString(), new Date().toISOString()],
    );
  await cursor('new-rows', 0);
  await cursor('caught-up', 2);
  // After id 1 only an exit: not what an entered emitter sends.
  await cursor('filtered-out', 1);
  await cursor('backfilling', 2, { total: 2, done: 1 });
  for (const seq of [1, 2]) {
    await wh.query(
      `INSERT INTO "${SCHEMA}"."delivery_backfill" (emitter_key, seq, audience_key, run_id, kind, profile_id, entity_path, entity_id, created_at)
       VALUES ('backfilling', ?, 'overdue-cards', 'run-0', 'entered', ?, NULL, NULL, CAST(? AS TIMESTAMP))`,
      [seq, `u${seq}`, new Date().toISOString()],
    );
  }
  // A cursor of an earlier incarnation of the emitter: it starts afresh.
  await cursor('re-created', 2, undefined, '2020-01-01T00:00:00.000Z');

  // The first look starts the two cursors that are missing or stale; the next reads them.
  const first = await new EmitterReader(wh, SCHEMA).withRows(resolved, new Date());
  const { wh: recorded, statements } = recordingWarehouse(wh);
  const next = await new EmitterReader(recorded, SCHEMA).withRows(resolved, new Date());
  return { first: [...first].sort(), next: [...next].sort(), statements: statements.length };
}

const found = ['backfilling', 'never-started', 'new-rows', 're-created'];
const expected = { first: found, next: found, statements: 2 };

describe('which emitters have work, in two statements', () => {
  itOnBothWarehouses('finds them', SCHEMA, async (wh) => {
    expect(await emittersWithWork(wh)).toEqual(expected);
  });
});
