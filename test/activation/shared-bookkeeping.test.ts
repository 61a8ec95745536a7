import { afterEach, beforeEach, describe, expect } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { itOnBothWarehouses } from '../support/both-state-warehouses.js';
import { recordingWarehouse } from '../support/recording-warehouse.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, SCHEMA, startServer, type TestServer } from './helpers.js';

/** Two emitters of who entered, two of who exited: their pages differ. */
const EMITTERS = [
  { key: 'entered-a', trigger: 'audience_entered' as const },
  { key: 'entered-b', trigger: 'audience_entered' as const },
  { key: 'exited-a', trigger: 'audience_exited' as const },
  { key: 'exited-b', trigger: 'audience_exited' as const },
];

/** What each emitter's second delivery sends and records: ids 3-5 entered, 6-7 exited. */
const EXPECTED = {
  'entered-a': { sent: 3, after: 1, through: 5 },
  'entered-b': { sent: 3, after: 1, through: 5 },
  'exited-a': { sent: 2, after: 2, through: 7 },
  'exited-b': { sent: 2, after: 2, through: 7 },
};
const byKey = (f: (e: (typeof EXPECTED)['entered-a']) => unknown[]) => Object.entries(EXPECTED).map(([k, e]) => [k, ...f(e)]);

/** Statements on one state table whose text starts so, e.g. `SELECT` from `delivery_cursors`. */
const matching = (statements: { sql: string }[], verb: string, table: string) =>
  statements.filter((s) => s.sql.startsWith(verb) && s.sql.includes(`"${SCHEMA}"."${table}"`));

/**
 * Two deliveries of the four emitters to a webhook that answers once every emitter's request is
 * in, all together (their pages are acknowledged at once); the statements of the second, and what
 * it recorded.
 */
async function deliverTogether(wh: Warehouse, server: TestServer) {
  await applyResources(wh, {
    graph: GRAPH,
    audiences: [AUDIENCE],
    destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook`, batch: true } }],
    emitters: EMITTERS.map(({ key, trigger }) => ({ key, audience: 'overdue-cards', destination: 'hook', trigger })),
  });
  // A first delivery creates each emitter's cursor and health record (one at a time: once); the
  // health records are read once for all before, and once after.
  await insertOutbox(wh, [{ kind: 'entered', profileId: 'u1' }, { kind: 'exited', profileId: 'u2' }]);
  const first = recordingWarehouse(wh);
  await deliverAll(first.wh, SCHEMA, {});
  await insertOutbox(wh, [...['u3', 'u4', 'u5'].map((p) => ({ kind: 'entered' as const, profileId: p })), ...['u6', 'u7'].map((p) => ({ kind: 'exited' as const, profileId: p }))], 'run-2');
  const { wh: recorded, statements } = recordingWarehouse(wh);
  const summary = await deliverAll(recorded, SCHEMA, {});
  const q = async (sql: string) => (await wh.query<Record<string, unknown>>(sql, [summary.runId])).rows.map((r) => Object.values(r).map((v) => (typeof v === 'bigint' ? Number(v) : v)));
  return {
    summary,
    first: first.statements,
    statements,
    pages: await q(`SELECT emitter_key, after_id, through_id FROM "${SCHEMA}"."delivery_pages" WHERE run_id = ? ORDER BY emitter_key`),
    cursors: await q(`SELECT emitter_key, last_outbox_id FROM "${SCHEMA}"."delivery_cursors" WHERE ? IS NOT NULL ORDER BY emitter_key`),
    runs: await q(`SELECT emitter_key, status, sent, requests FROM "${SCHEMA}"."delivery_runs" WHERE run_id = ? ORDER BY emitter_key`),
  };
}

function expectShared(got: Awaited<ReturnType<typeof deliverTogether>>) {
  expect(got.summary.emitters.map((e) => [e.emitterKey, e.status, e.sent])).toEqual(byKey((e) => ['delivered', e.sent]));
  expect(matching(got.first, 'SELECT', 'delivery_health')).toHaveLength(2);
  expect(matching(got.first, 'INSERT', 'delivery_health')).toHaveLength(EMITTERS.length);

  const { statements } = got;
  expect(matching(statements, 'SELECT', 'delivery_cursors')).toHaveLength(1);
  expect(matching(statements, 'SELECT', 'delivery_health')).toHaveLength(1);
  expect(matching(statements, 'INSERT', 'delivery_runs')).toHaveLength(1);
  // The runs' abandoned-run check: one for the four.
  expect(matching(statements, 'SELECT', 'delivery_runs')).toHaveLength(1);
  // Their pages, acknowledged together, are committed together (the first commit may go alone:
  // it goes as soon as the connection is free); ending their runs too.
  const commits = matching(statements, 'INSERT', 'delivery_pages').length;
  expect(commits).toBeLessThan(EMITTERS.length);
  expect(matching(statements, 'UPDATE', 'delivery_cursors')).toHaveLength(commits);
  expect(matching(statements, 'UPDATE', 'delivery_health')).toHaveLength(commits);
  expect(matching(statements, 'UPDATE', 'delivery_runs').length).toBeLessThan(2 * EMITTERS.length);

  // Each with its own record: its range of the outbox, its cursor, its run's counts.
  expect(got.pages).toEqual(byKey((e) => [e.after, e.through]));
  expect(got.cursors).toEqual(byKey((e) => [e.through]));
  expect(got.runs).toEqual(byKey((e) => ['delivered', e.sent, 1]));
}

describe('delivery passes that run together share their bookkeeping', () => {
  let server: TestServer;
  beforeEach(async () => {
    let held: Parameters<typeof json>[0][] = [];
    server = await startServer((_req, _n, res) => {
      held.push(res);
      if (held.length < EMITTERS.length) return;
      for (const r of held) json(r, 200, {});
      held = [];
    });
  });
  afterEach(async () => server.close());

  itOnBothWarehouses('emitters read their cursors and health, record their runs, and commit their pages together, each its own', SCHEMA, async (wh) => {
    expectShared(await deliverTogether(wh, server));
  });
});
