import { expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { EventEmitter } from '../../src/model/emitter.js';
import { OutboxReader } from '../../src/state/delivery/outbox-reader.js';
import type { Cursor, SourceRow } from '../../src/state/delivery/types.js';
import { rng } from '../support/generate.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, openState, SCHEMA, seedBank, startServer } from './helpers.js';

/*
 * During a large delivery each page is first looked for among the outbox ids the last full page
 * spanned (OutboxReader.readPage's idSpan), instead of ordering the rest of the outbox. Whatever
 * the span, the page must be the one the plain read gives.
 */
it('a page looked for among a span of ids is the page read without one: the same rows in the same order, whatever the span', async () => {
  const wh = await openState();
  try {
    const r = rng(7);
    // The emitter's rows (overdue-cards, entered) in runs of any length among exited rows and another audience's rows.
    const rows: { kind: 'entered' | 'exited'; audienceKey: string; profileId: string }[] = [];
    for (let i = 0; i < 300; i++) {
      const kind = r.chance(0.6) ? 'entered' : 'exited';
      const audienceKey = r.chance(0.7) ? 'overdue-cards' : 'travel-spenders';
      for (let j = r.int(1, 12); j > 0; j--) rows.push({ kind, audienceKey, profileId: `u${rows.length}` });
    }
    await insertOutbox(wh, rows);
    const emitter = EventEmitter.parse({ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered' });
    const reader = new OutboxReader(wh, SCHEMA);
    const ids = (page: SourceRow[]) => page.map((row) => row.id);
    for (let k = 0; k < 50; k++) {
      const cursor: Cursor = { emitterKey: 'entered', lastOutboxId: r.int(0, rows.length), backfillEpoch: '', backfillTotal: 0, backfillDone: 0, emitterCreatedAt: null };
      const limit = r.int(1, 80);
      const expected = ids(await reader.readPage(emitter, cursor, limit));
      for (const span of [1, limit, limit * 1.25, r.int(1, 400), 10 * rows.length]) {
        expect(ids(await reader.readPage(emitter, cursor, limit, span)), `after id ${cursor.lastOutboxId}, ${limit} rows, span ${span}`).toEqual(expected);
      }
    }
  } finally {
    await wh.close();
  }
});

it('a backfill is read a page at a time by its numbering: full pages, then the rest', async () => {
  const wh = await openState();
  const server = await startServer((_req, _n, res) => json(res, 200, {}));
  try {
    await seedBank(wh, 7);
    await wh.query(`INSERT INTO "${SCHEMA}".membership SELECT 'overdue-cards', 'u' || i, 'run-0' FROM range(1, 8) t(i)`);
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', batchSize: 10, settings: { url: `${server.url}/hook`, batch: true } }],
      emitters: [{ key: 'entered-now', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true }],
    });
    const summary = await deliverAll(wh, SCHEMA, { pageSize: 3, concurrency: 1 });
    expect(summary.emitters).toMatchObject([{ status: 'delivered', sent: 7 }]);
    // One request per page.
    expect(server.requests.map((r) => (r.body as { userId: string }[]).map((e) => e.userId))).toEqual([
      ['u1', 'u2', 'u3'],
      ['u4', 'u5', 'u6'],
      ['u7'],
    ]);
  } finally {
    await server.close();
    await wh.close();
  }
});
