import { afterAll, describe, expect, it } from 'vitest';
import { json, startServer, type TestServer } from '../activation/helpers.js';
import { freePort, makeProject, promote, type Spawned } from '../controller/daemon-project.js';
import { parseMetrics } from './prometheus.js';

/*
 * One daemon, one emitter, several delivery runs: every `batch` record and the event counters
 * count what each committed page added, whatever earlier runs delivered. A real `linked run`
 * process on a real DuckDB file, a webhook on 127.0.0.1 refusing some users (dead letters), pages
 * of three so each run commits several batches.
 */
let hook: TestServer | undefined;
let daemon: Spawned | undefined;
afterAll(async () => {
  if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  await hook?.close();
});

const records = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Users whose number is a multiple of 7 are refused: dead letters in every run. */
const refused = (userId: string) => Number(userId.slice(1)) % 7 === 0;

describe('linked run: batch counts across delivery runs', () => {
  it('logs and counts each batch as what its page added; the counters equal the delivery log', async () => {
    hook = await startServer((req, _n, res) => json(res, refused((req.body as { userId: string }).userId) ? 400 : 200, {}));
    // 100 users, every fifth premium: the baseline's 20 members, 3 of them refused (u0, u35, u70).
    const p = await makeProject(hook.url, { users: 100 });
    const port = await freePort();
    daemon = p.spawnLinked('run', '--tick-seconds', '1', '--page-size', '3', '--listen', `127.0.0.1:${port}`, '--log-format', 'json');
    const d = daemon;
    const delivered = async (total: number) => {
      const until = Date.now() + 60_000;
      const done = () =>
        records(d.output())
          .filter((r) => r.msg === 'delivery')
          .reduce((a, r) => a + Number(r.sent) + Number(r.dead_lettered), 0);
      while (done() < total) {
        if (Date.now() > until || d.child.exitCode !== null) throw new Error(`${done()} of ${total} delivered:\n${d.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await delivered(20);

    // Two more runs, each fewer than the previous run's total: 6 entered (u7 refused), then 10 (u14 refused).
    for (const users of [
      ['u1', 'u2', 'u3', 'u4', 'u6', 'u7'],
      ['u8', 'u9', 'u11', 'u12', 'u13', 'u14', 'u16', 'u17', 'u18', 'u19'],
    ]) {
      await promote(p.db, users);
      const compute = await p.linked('compute', 'premium', '--json');
      expect(compute.code, compute.err).toBe(0);
      expect(compute.json()).toMatchObject({ status: 'Live', entered: users.length });
    }
    await delivered(36);

    const log = await p.linked('deliveries', '--runs', '--json');
    expect(log.code, log.err).toBe(0);
    const runs = (log.json() as { runs: { emitterKey: string; sent: number; deadLettered: number }[] }).runs.filter((r) => r.emitterKey === 'premium-entered');
    expect(runs.length).toBeGreaterThanOrEqual(3);
    const logged = { sent: runs.reduce((a, r) => a + r.sent, 0), deadLettered: runs.reduce((a, r) => a + r.deadLettered, 0) };
    expect(logged).toEqual({ sent: 31, deadLettered: 5 });

    const batches = records(d.output()).filter((r) => r.msg === 'batch');
    expect(batches.length).toBeGreaterThanOrEqual(12);
    for (const b of batches) {
      expect(b).toMatchObject({ emitter: 'premium-entered', destination: 'hook' });
      expect(Number(b.sent), JSON.stringify(b)).toBeGreaterThanOrEqual(0);
      expect(Number(b.dead_lettered), JSON.stringify(b)).toBeGreaterThanOrEqual(0);
      // A page holds three rows: a batch never counts more.
      expect(Number(b.sent) + Number(b.dead_lettered), JSON.stringify(b)).toBeLessThanOrEqual(3);
    }
    expect({
      sent: batches.reduce((a, b) => a + Number(b.sent), 0),
      deadLettered: batches.reduce((a, b) => a + Number(b.dead_lettered), 0),
    }).toEqual(logged);

    const samples = parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    const counter = (name: string) => samples.find((s) => s.name === name && s.labels.emitter === 'premium-entered')?.value;
    expect({ sent: counter('linked_events_sent_total'), deadLettered: counter('linked_events_dead_lettered_total') }).toEqual(logged);
    expect(hook.requests).toHaveLength(36);

    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
  }, 180_000);
});
