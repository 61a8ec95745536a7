import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, openState, SCHEMA, seedBank, startServer, type TestServer } from './helpers.js';

/*
 * A canary secret, delivered to a destination that echoes every request header back in its error
 * bodies (a refusal, an outage, a credential failure), must appear nowhere in the state: every
 * column of every row of every state table is swept for it and its encoded forms.
 */
const CANARY = `canary-${randomBytes(12).toString('hex')}`;
const forms = [CANARY, Buffer.from(CANARY).toString('base64'), encodeURIComponent(`Bearer ${CANARY}`), Buffer.from(`Bearer ${CANARY}`).toString('base64')];

let wh: Warehouse;
let server: TestServer;
beforeEach(async () => {
  wh = await openState();
  await seedBank(wh, 6);
  // Each answer echoes the request headers, the authorization in every encoding a vendor might use.
  server = await startServer((req, n, res) => {
    const auth = String(req.headers.authorization ?? '');
    const echo = JSON.stringify({ received: req.headers, base64: Buffer.from(auth).toString('base64'), url: encodeURIComponent(auth) });
    res.writeHead([400, 500, 401][(n - 1) % 3]!, { 'content-type': 'application/json' });
    res.end(echo);
  });
});
afterEach(async () => {
  await server.close();
  await wh.close();
});

const stringify = (rows: unknown[]) => JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v));

it('a secret echoed back by a failing destination is stored nowhere in the state', async () => {
  await applyResources(
    wh,
    {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [
        { key: 'hook', type: 'webhook', settings: { url: `${server.url}/h`, headers: { Authorization: { secret: 'CANARY_HOOK' } } } },
      ],
      emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered' }],
    },
    new Date(Date.now() - 60_000),
  );
  await insertOutbox(wh, ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].map((profileId) => ({ kind: 'entered' as const, profileId })));
  const env = { ...process.env, CANARY_HOOK: `Bearer ${CANARY}` };
  for (let i = 0; i < 3; i++) await deliverAll(wh, SCHEMA, { env, now: () => new Date(Date.now() + i * 3_600_000) });

  // The destination did receive the secret and echo it: the sweep below has something to find.
  expect(server.requests.length).toBeGreaterThan(0);
  expect(server.requests.some((r) => String(r.headers.authorization) === `Bearer ${CANARY}`)).toBe(true);

  const { rows: tables } = await wh.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name`,
    [SCHEMA],
  );
  expect(tables.length).toBeGreaterThan(10);
  const swept: Record<string, number> = {};
  for (const { table_name } of tables) {
    const { rows } = await wh.query(`SELECT * FROM "${SCHEMA}"."${table_name.replace(/"/g, '""')}"`);
    swept[table_name] = rows.length;
    const text = stringify(rows);
    for (const form of forms) expect(text.includes(form), `${table_name} holds the secret (${form === CANARY ? 'plain' : 'encoded'})`).toBe(false);
  }
  // Echoed bodies were stored (masked): the sweep read the tables that hold responses and errors.
  expect(swept.dead_letters ?? 0).toBeGreaterThan(0);
  const { rows: bodies } = await wh.query<{ response_body: string | null }>(`SELECT response_body FROM "${SCHEMA}"."dead_letters"`);
  expect(bodies.some((b) => (b.response_body ?? '').includes('received'))).toBe(true);
});
