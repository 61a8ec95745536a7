import { afterEach, describe, expect, it } from 'vitest';
import { json, startServer, type TestServer } from '../activation/helpers.js';
import { makeProject } from './daemon-project.js';

/* `linked run --once` computes what is due, then delivers until the outbox is empty. */
let server: TestServer | undefined;
afterEach(async () => server?.close());

const userIds = (s: TestServer) => s.requests.map((r) => (r.body as { userId: string }).userId).sort();

describe('linked run --once', () => {
  it('computes, then delivers every event; a second pass has nothing to do', async () => {
    server = await startServer();
    const p = await makeProject(server.url);
    const r = await p.linked('run', '--once', '--json');
    expect(r.code, r.err + r.out).toBe(0);
    const report = r.json();
    expect(report.runs).toMatchObject([{ audienceKey: 'premium', status: 'Live', entered: 10 }]);
    expect(report.deliveries).toMatchObject([{ emitterKey: 'premium-entered', destinationKey: 'hook', status: 'delivered', sent: 10, deadLettered: 0 }]);
    expect(userIds(server)).toEqual(['u0', 'u10', 'u15', 'u20', 'u25', 'u30', 'u35', 'u40', 'u45', 'u5']);

    const again = await p.linked('run', '--once');
    expect(again.code, again.err).toBe(0);
    // Not computed again: it says when the next run is, and how to compute one now.
    const nextRunAt = (await p.linked('status', '--json')).json().audiences[0].nextRunAt;
    expect(again.out).toContain(
      `Nothing due: the next run is premium at ${nextRunAt} (\`linked status\` lists each audience's). \`linked compute <audience>\` computes one now, e.g. after an apply changed its condition.`,
    );
    expect((await p.linked('run', '--once', '--json')).json()).toMatchObject({ due: [], next: { audience: 'premium', at: nextRunAt } });
    expect(server.requests).toHaveLength(10);

    const status = await p.linked('status');
    expect(status.out).toMatch(/^premium-entered -> hook +up to date +0 /m);
  }, 120_000);

  it('--no-deliver computes only; `linked deliver` delivers apart', async () => {
    server = await startServer();
    const p = await makeProject(server.url);
    const r = await p.linked('run', '--once', '--no-deliver', '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.json()).toMatchObject({ runs: [{ status: 'Live', entered: 10 }], deliveries: [] });
    expect(server.requests).toHaveLength(0);
    const d = await p.linked('deliver', '--json');
    expect(d.code, d.err).toBe(0);
    expect(server.requests).toHaveLength(10);
  }, 120_000);

  it('exits non-zero when events were dead-lettered, and says where to look', async () => {
    // The destination refuses two of the users' events (an event-specific 400): dead letters.
    server = await startServer((req, _n, res) => {
      const user = (req.body as { userId: string }).userId;
      json(res, user === 'u5' || user === 'u10' ? 400 : 200, {});
    });
    const p = await makeProject(server.url);
    const r = await p.linked('run', '--once', '--json');
    expect(r.code).toBe(1);
    expect(r.json().deliveries).toMatchObject([{ emitterKey: 'premium-entered', sent: 8, deadLettered: 2 }]);
    await p.linked('compute', 'premium');
    const text = await p.linked('run', '--once');
    // Nothing new is due or pending: the dead letters are the last pass's; this pass is clean.
    expect(text.code, text.out + text.err).toBe(0);
  }, 120_000);

  it('a destination down for many events at once: retried and reported, with no leak warning from the waits', async () => {
    // 503 for everything: each of the 20 events' requests waits out its retries side by side.
    server = await startServer((_req, _n, res) => json(res, 503, {}));
    const p = await makeProject(server.url, { users: 100 });
    const run = p.spawnLinked('run', '--once');
    const r = await run.exited;
    expect(r.code).toBe(1);
    expect(r.out).toContain('premium-entered: not delivered');
    expect(r.err).not.toContain('MaxListenersExceededWarning');
  }, 120_000);
});
