import { describe, expect, it } from 'vitest';
import { json } from '../activation/helpers.js';
import { cleanUpAfterEach, freePort, makeProject } from '../controller/daemon-project.js';
import { parseMetrics } from './prometheus.js';

/*
 * The counters the documented alerts watch (failed runs, failed and dead-lettered events, failed
 * collections) are on /metrics at 0 from the daemon's first tick: Prometheus' increase() needs a
 * sample before the first increment, so a series that appeared only with its first failure (at
 * 1) never raised `increase(...[1h]) > 0`. A real `linked run` process, scraped over HTTP.
 */
const { running, serve } = cleanUpAfterEach();

describe('/metrics before the first failure', () => {
  it('shows each audience\'s failed runs, each emitter\'s failed and dead-lettered events and failed collections at 0, and the last collection at the start', async () => {
    const server = await serve((_req, _n, res) => json(res, 200, {}));
    const p = await makeProject(server.url, { users: 10 });
    const port = await freePort();
    const started = Date.now() / 1000;
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--listen', `127.0.0.1:${port}`, '--json');
    running.push(daemon);
    await daemon.waitFor(/"type":"delivery"/);
    // The gauges and the counters' zeros are set at the end of a tick: wait for one after the delivery.
    const sample = async (name: string, labels: Record<string, string>) => {
      const metrics = parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      return metrics.find((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v))?.value;
    };
    for (let i = 0; i < 100 && (await sample('linked_events_dead_lettered_total', { emitter: 'premium-entered' })) === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await sample('linked_runs_total', { audience: 'premium', status: 'Live' })).toBe(1);
    expect(await sample('linked_runs_total', { audience: 'premium', status: 'Failed' })).toBe(0);
    expect(await sample('linked_events_sent_total', { emitter: 'premium-entered', destination: 'hook' })).toBe(2);
    expect(await sample('linked_events_failed_total', { emitter: 'premium-entered', destination: 'hook' })).toBe(0);
    expect(await sample('linked_events_dead_lettered_total', { emitter: 'premium-entered', destination: 'hook' })).toBe(0);
    expect(await sample('linked_gc_runs_total', { outcome: 'failed' })).toBe(0);
    expect(await sample('linked_gc_runs_total', { outcome: 'ok' })).toBe(0);
    // Before the first collection, the last success is the daemon's start: `time() - it > 1 day` stays quiet.
    const lastSuccess = (await sample('linked_gc_last_success_timestamp_seconds', {}))!;
    expect(lastSuccess).toBeGreaterThanOrEqual(Math.floor(started));
    expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 120_000);
});
