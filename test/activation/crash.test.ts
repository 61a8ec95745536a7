import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { messageIdOf } from '../../src/activation/build-event.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, openState, SCHEMA, seedBank, startServer, tempDir, type TestServer } from './helpers.js';
import { fixtureArgs } from '../support/fixture-process.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'deliver-child.ts');
const PAGE_SIZE = 50;

/** The running child and when to kill it: after a random number of its requests reached the sink. */
let current: { kill(): void; requests: number; killAt: number | undefined } | undefined;

/** Runs the delivering child; with `killAt`, the sink kills it with SIGKILL at its killAt-th request. */
function runChild(dbPath: string, killAt?: number): Promise<{ killed: boolean; code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...fixtureArgs(CHILD), dbPath, SCHEMA], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    let killed = false;
    current = { kill: () => (killed = child.kill('SIGKILL')), requests: 0, killAt };
    child.on('error', reject);
    child.on('exit', (code) => {
      current = undefined;
      if (!killed && code !== 0) reject(new Error(`child failed (${code}): ${err}`));
      else resolve({ killed, code, out });
    });
  });
}

describe('delivery killed with SIGKILL and resumed', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it('delivers every outbox row at least once; duplicates only from the pages in flight, with the same messageId and body', async () => {
    const dbPath = join(tempDir(), 'state.duckdb');
    const received = new Map<string, { count: number; body: string }>();
    server = await startServer(async (req, _n, res) => {
      for (const e of req.body as any[]) {
        const body = JSON.stringify(e);
        const seen = received.get(e.messageId);
        if (seen) {
          seen.count += 1;
          expect(seen.body).toBe(body);
        } else received.set(e.messageId, { count: 1, body });
      }
      // The kill lands while this request (and maybe others) is unanswered: in flight.
      if (current && current.killAt !== undefined && ++current.requests >= current.killAt) current.kill();
      await new Promise((r) => setTimeout(r, 2 + Math.floor(Math.random() * 8)));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const wh = await openState(dbPath);
    await seedBank(wh, 10);
    await applyResources(
      wh,
      {
        graph: GRAPH,
        audiences: [AUDIENCE],
        destinations: [{ key: 'hook', type: 'webhook', batchSize: 10, settings: { url: `${server.url}/hook`, batch: true } }],
        emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', enrich: { traits: ['email'] } }],
      },
      new Date(Date.now() - 60_000),
    );
    const ids = await insertOutbox(wh, Array.from({ length: 800 }, (_, i) => ({ kind: 'entered' as const, profileId: `u${(i % 10) + 1}` })));
    await wh.close();

    let kills = 0;
    let killsMidDelivery = 0;
    for (let i = 0; i < 3; i++) {
      const r = await runChild(dbPath, 1 + Math.floor(Math.random() * 25));
      if (r.killed) {
        kills += 1;
        if (received.size > 0 && received.size < ids.length) killsMidDelivery += 1;
      } else break;
    }
    // The kills must have landed while delivering, or this test proves nothing.
    expect(killsMidDelivery).toBeGreaterThan(0);
    const final = await runChild(dbPath);
    expect(final.killed).toBe(false);

    const expected = ids.map((id) => messageIdOf('entered', 'outbox', id));
    for (const m of expected) expect(received.has(m)).toBe(true);
    expect(received.size).toBe(ids.length);
    const duplicates = [...received.values()].reduce((a, v) => a + v.count - 1, 0);
    // At most the two pages in flight at each kill are sent again.
    expect(duplicates).toBeLessThanOrEqual(kills * 2 * PAGE_SIZE);

    const check = await openState(dbPath);
    const { rows } = await check.query<{ n: unknown; d: unknown }>(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT source_id) AS d FROM "${SCHEMA}".delivery_log WHERE status = 'sent'`,
    );
    expect(Number(rows[0].d)).toBe(ids.length);
    await check.close();
  }, 120_000);
});
