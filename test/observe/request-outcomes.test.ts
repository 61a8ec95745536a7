import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { REQUEST_OUTCOMES } from '../../src/activation/send/sender.js';
import { DaemonObservability } from '../../src/observe/daemon.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, openState, SCHEMA, seedBank, startServer, type TestServer } from '../activation/helpers.js';
import { parseMetrics } from './prometheus.js';

/*
 * The outcome label of linked_destination_request_duration_seconds: a real webhook on 127.0.0.1
 * answering each user differently, delivered with the daemon's hooks on a real DuckDB; every
 * value the sender reports shows on /metrics, and docs/operations.md lists exactly those.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
let wh: Warehouse | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await wh?.close();
  await server?.close();
});

describe('request outcomes', () => {
  it('labels ok, rejected, retry and blocked (a 401) requests', async () => {
    let retried = false;
    server = await startServer((req, _n, res) => {
      const user = (req.body as { userId: string }).userId;
      if (user === 'u2') return json(res, 400, { error: 'bad event' });
      if (user === 'u3' && !retried) return (retried = true), json(res, 503, { error: 'busy' });
      if (user === 'u4') return json(res, 401, { error: 'bad key' });
      json(res, 200, {});
    });
    wh = await openState();
    await seedBank(wh, 4);
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook`, batch: false } }],
      emitters: [{ key: 'changes', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_membership_changed' }],
    });
    await insertOutbox(wh, ['u1', 'u2', 'u3', 'u4'].map((profileId) => ({ kind: 'entered' as const, profileId })));
    const observe = new DaemonObservability({ schema: SCHEMA, staleAfterMs: 60_000 });
    const summary = await deliverAll(wh, SCHEMA, { ...observe.deliveryHooks(), concurrency: 1, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
    expect(summary.emitters[0]).toMatchObject({ status: 'blocked', sent: 2, deadLettered: 1 });

    const counts = Object.fromEntries(
      parseMetrics(await observe.metrics.text())
        .filter((s) => s.name === 'linked_destination_request_duration_seconds_count')
        .map((s) => [s.labels.outcome, s.value]),
    );
    expect(counts).toEqual({ ok: 2, rejected: 1, retry: 1, blocked: 1 });
    expect(Object.keys(counts).sort()).toEqual([...REQUEST_OUTCOMES].sort());
  });

  it('docs/operations.md names every outcome value and no other', () => {
    const docs = readFileSync(`${ROOT}docs/operations.md`, 'utf8');
    const row = docs.split('\n').find((l) => l.startsWith('| `linked_destination_request_duration_seconds`'))!;
    expect(row, 'the metric row').toBeDefined();
    const named = [...row.matchAll(/`(\w+)` \(/g)].map((m) => m[1]);
    expect(named.sort()).toEqual([...REQUEST_OUTCOMES].sort());
  });
});
