import { afterAll, beforeAll, describe, expect } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { listDeadLetters } from '../../src/activation/inspect.js';
import { replayDeadLetters } from '../../src/activation/replay.js';
import { renderTrace } from '../../src/cli/commands/trace.js';
import { tracePage } from '../../src/ui/pages/trace.js';
import { traceEvent } from '../../src/trace/trace.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, json, SCHEMA, startServer, type TestServer } from '../activation/helpers.js';
import { itOnBothWarehouses } from '../support/both-state-warehouses.js';

/*
 * A backfill's rows are dropped once it is delivered; each event's line in the delivery record
 * keeps where its row came from (the compute run whose membership it copied), for events sent,
 * dead-lettered and replayed, on DuckDB and on the Snowflake emulation.
 */
describe('the delivery record keeps what a trace needs of a backfill row', () => {
  let server: TestServer;
  let refuse = true;
  beforeAll(async () => {
    server = await startServer((req, _n, res) => json(res, refuse && (req.body as any).userId === 'u2' ? 400 : 200, { ok: true }));
  });
  afterAll(() => server.close());

  async function backfillTraces(wh: Warehouse) {
    refuse = true;
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook`, batch: false } }],
      emitters: [{ key: 'current', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true }],
    });
    for (const p of ['u1', 'u2', 'u3']) await wh.query(`INSERT INTO "${SCHEMA}"."membership" (audience_key, profile_id, run_id) VALUES ('overdue-cards', ?, 'run-base')`, [p]);
    const first = await deliverAll(wh, SCHEMA, { pageSize: 2 });
    expect(first).toMatchObject({ sent: 2, deadLettered: 1 });
    expect((await wh.query(`SELECT COUNT(*) AS n FROM "${SCHEMA}"."delivery_backfill"`)).rows.map((r) => Number(Object.values(r)[0]))).toEqual([0]);

    const sent = await traceEvent(wh, SCHEMA, { id: 'u3' });
    const [letter] = await listDeadLetters(wh, SCHEMA);
    const dead = await traceEvent(wh, SCHEMA, { id: letter.messageId });
    refuse = false;
    expect((await replayDeadLetters(wh, SCHEMA, { emitter: 'current' })).replayed).toEqual([letter.id]);
    const replayed = await traceEvent(wh, SCHEMA, { id: letter.messageId });
    return { sent, dead, replayed };
  }

  itOnBothWarehouses('sent, dead-lettered and replayed backfill events lead to the run they were copied from', SCHEMA, async (wh) => {
    const { sent, dead, replayed } = await backfillTraces(wh);
    const source = (profileId: string, id: number) => ({ source: 'backfill', id, audienceKey: 'overdue-cards', computeRunId: 'run-base', kind: 'entered', profileId, entityPath: null, entityId: null });
    expect(sent.delivery).toMatchObject({ source: 'backfill', sourceId: 3, status: 'sent' });
    expect(sent.source).toMatchObject(source('u3', 3));
    expect(sent.source!.createdAt).toEqual(expect.any(String));
    expect(dead.delivery).toMatchObject({ source: 'backfill', sourceId: 2, status: 'dead_lettered', response: { httpStatus: 400 } });
    expect(dead.source).toMatchObject(source('u2', 2));
    expect(replayed.delivery).toMatchObject({ messageId: dead.delivery.messageId, kind: 'replay', status: 'sent' });
    expect(replayed.source).toMatchObject(source('u2', 2));
    // A dead letter is never called delivered; its replay is.
    expect(renderTrace(dead)).toMatch(/^ {2}dead-letter .* dead_lettered -> hook/m);
    expect(renderTrace(dead)).not.toMatch(/^ {2}delivered /m);
    expect(renderTrace(replayed)).toMatch(/^ {2}delivered {3}.* sent -> hook/m);
    expect(tracePage(dead).text).toContain('<h2 id="delivery">Dead-lettered</h2>');
    expect(tracePage(replayed).text).toContain('<h2 id="delivery">Delivered</h2>');
    // No run 'run-base' was recorded here: the chain goes on from the source to where the record ends.
    for (const t of [sent, dead, replayed]) expect(t.gaps).toEqual(['compute run run-base is no longer in the run history']);

    // A line recorded before the record kept the row's links: the chain ends at the dropped row, and says why (not gc).
    await wh.query(`UPDATE "${SCHEMA}"."delivery_events" SET compute_run_id = NULL WHERE source_id = 3`);
    const older = await traceEvent(wh, SCHEMA, { id: 'u3' });
    expect(older.source).toBeNull();
    expect(older.gaps).toEqual([expect.stringMatching(/^its backfill row 3 is gone: an emitter's backfill rows are dropped once it is delivered, .*state migration 10/)]);
  });
});
