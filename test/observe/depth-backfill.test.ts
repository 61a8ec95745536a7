import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonObservability } from '../../src/observe/daemon.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { json, startServer } from '../activation/helpers.js';
import { linked, makeProject } from '../plan/cli-project.js';
import { parseMetrics } from './prometheus.js';

/*
 * An emitter added to an audience that has members sends them from its backfill, not the outbox.
 * While its destination refuses the credentials, those events wait: `linked status` counts them,
 * and the daemon's `linked_outbox_depth` and `linked_outbox_lag_seconds` must too, or an alert on
 * the lag never fires for the emitter that most needs a person.
 */
describe('linked_outbox_depth of an emitter blocked on its backfill', () => {
  it('counts the events waiting as linked status does, with their lag', async () => {
    const hook = await startServer((_req, _n, res) => json(res, 401, { error: 'bad token' }));
    try {
      const { dir, raw, write } = await makeProject(1);
      const wh = await openDuckDb(join(dir, 'w.duckdb'));
      await wh.query(`INSERT INTO main.profiles VALUES ('u3', 'c@x', 'premium', 'a3')`);
      await wh.close();
      // aud-0 (premium: u1, u3) computed before its emitter exists.
      const emitters = raw.emitters;
      raw.emitters = [];
      raw.audiences[0].enabled = true;
      write(raw);
      expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);
      const computed = await linked(['compute', 'aud-0', '--dir', dir]);
      expect(computed.status, computed.stderr).toBe(0);

      raw.destinations[0].settings.url = `${hook.url}/hook`;
      raw.emitters = [{ ...emitters[0], sendForCurrent: true }];
      write(raw);
      expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);
      const env = { HOOK_TOKEN: 'tok-depth-backfill-1' };
      const blocked = await linked(['deliver', '--dir', dir], env);
      expect(blocked.stdout).toContain('entered-hook -> hook: 0 events sent, 2 failed, 0 dead-lettered (blocked: credentials rejected)');
      const status = JSON.parse((await linked(['status', '--dir', dir, '--json'])).stdout).delivery;
      expect(status).toMatchObject([{ emitterKey: 'entered-hook', state: 'blocked', pending: 2 }]);

      const observe = new DaemonObservability({ schema: 'LINKED_AUDIENCES', stack: 'marketing', staleAfterMs: 60_000 });
      const state = await openDuckDb(join(dir, 'w.duckdb'));
      try {
        await observe.refreshGauges(state);
      } finally {
        await state.close();
      }
      const samples = parseMetrics(await observe.metrics.text());
      const gauge = (name: string) => samples.find((s) => s.name === name && s.labels.emitter === 'entered-hook')?.value;
      expect(gauge('linked_outbox_depth')).toBe(2);
      expect(gauge('linked_outbox_lag_seconds')).toBeGreaterThan(0);
    } finally {
      await hook.close();
    }
  }, 60_000);
});
