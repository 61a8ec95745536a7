import { describe, expect, it } from 'vitest';
import { FailedOnce } from '../../src/observe/failed-once.js';
import { json } from '../activation/helpers.js';
import { cleanUpAfterEach, deliveryRecords, freePort, makeProject, untilDaemon as until, type Spawned } from '../controller/daemon-project.js';
import { parseMetrics } from './prometheus.js';

/*
 * A destination that is down for a while: the daemon retries the same stuck events pass after
 * pass, and linked_events_failed_total counts each of them once, not once per pass. A real
 * `linked run` process, a webhook on 127.0.0.1, /metrics scraped over HTTP.
 */
const { running, serve } = cleanUpAfterEach();

const passes = (d: Spawned) => deliveryRecords(d);

describe('linked_events_failed_total while a destination keeps failing', () => {
  it('counts each stuck event once per failure episode, however many passes retry it', async () => {
    let failing = true;
    // Down for an hour: a pass gives up at the first answer (a Retry-After past the retry policy's),
    // so passes follow each other at the daemon's pace, not after a request's backoff.
    const server = await serve((_req, _n, res) => (failing ? json(res, 503, {}, { 'Retry-After': '3600' }) : json(res, 200, {})));
    // 50 users, every fifth premium: 10 events, all stuck while the webhook answers 503.
    const p = await makeProject(server.url, { users: 50 });
    const port = await freePort();
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--listen', `127.0.0.1:${port}`, '--log-format', 'json');
    running.push(daemon);
    const sample = async (name: string) => {
      const metrics = parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      return metrics.find((m) => m.name === name && m.labels.emitter === 'premium-entered')?.value;
    };

    await until('two failed passes', () => passes(daemon).filter((r) => r.status === 'partial').length >= 2, daemon);
    const failed = passes(daemon).filter((r) => r.status === 'partial');
    // Each pass reports the 10 events it left behind: the delivery log keeps saying so per run.
    for (const r of failed) expect(r).toMatchObject({ sent: 0, failed: 10 });
    expect(await sample('linked_events_failed_total')).toBe(10);

    failing = false;
    await until('a delivered pass', () => passes(daemon).some((r) => r.status === 'delivered'), daemon);
    expect(await sample('linked_events_sent_total')).toBe(10);
    expect(await sample('linked_events_failed_total')).toBe(10);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 150_000);

  it('counts the events a later failure adds, not those handled meanwhile, and starts over after a delivered pass', () => {
    const once = new FailedOnce();
    const pass = (status: 'partial' | 'blocked' | 'delivered', sent: number, failed: number) => once.newlyFailed({ emitterKey: 'e', status, sent, deadLettered: 0, failed });
    expect(pass('partial', 0, 10)).toBe(10);
    expect(pass('blocked', 0, 10)).toBe(0);
    // 4 of the 10 sent, the other 6 stuck again: nothing new.
    expect(pass('partial', 4, 6)).toBe(0);
    // 3 more arrived behind the 6.
    expect(pass('partial', 0, 9)).toBe(3);
    expect(pass('delivered', 9, 0)).toBe(0);
    expect(pass('partial', 0, 5)).toBe(5);
  });
});
