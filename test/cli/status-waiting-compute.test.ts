import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadDesired } from '../../src/manifest/index.js';
import { createUiHandler, startUiServer } from '../../src/ui/server.js';
import { projectSource } from '../../src/ui/source.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * An emitter that sends for current members or entities has nothing waiting until the audience's
 * compute records them: before the audience's first run, or (an entity emitter added later) before
 * the run that first matches its entity path. `linked status` says it waits for that compute
 * instead of calling it up to date, and says how to get the audience computed.
 */
describe('linked status of an emitter waiting for its audience to compute', () => {
  it('says so for a new audience and for an entity path new to it, in the text and in --json, until the compute', async () => {
    const { dir, raw, write } = await makeProject(1);
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    await wh.query(`INSERT INTO main.accounts VALUES ('a1', 10), ('a2', 20)`);
    await wh.close();
    // aud-0: premium with an account in credit: u1 (account a1).
    const accounts = { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'balance', operator: 'gt', value: { literal: 0 } } };
    raw.audiences[0].condition = { kind: 'and', conditions: [raw.audiences[0].condition, accounts] };
    raw.emitters[0].sendForCurrent = true;
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);
    const status = async () => {
      const text = await linked(['status', '--dir', dir]);
      expect(text.status, text.stderr).toBe(0);
      const json = await linked(['status', '--dir', dir, '--json']);
      return { text: text.stdout, delivery: JSON.parse(json.stdout).delivery as { emitterKey: string }[] };
    };
    const of = (delivery: { emitterKey: string }[], key: string) => delivery.find((d) => d.emitterKey === key);

    // Disabled: never computed until enabled.
    let s = await status();
    expect(s.text).toMatch(/^entered-hook -> hook +waiting for the next compute of aud-0 +0 /m);
    expect(s.text).toContain('  entered-hook: sends the current members of aud-0 after its first compute; aud-0 is disabled: enable it and apply, and it computes.\n');
    expect(of(s.delivery, 'entered-hook')).toMatchObject({ state: 'waiting_for_compute', pending: 0, waitingForCompute: { audienceKey: 'aud-0', entityPath: null } });

    raw.audiences[0].enabled = true;
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);
    s = await status();
    expect(s.text).toContain('  entered-hook: sends the current members of aud-0 after its first compute; `linked compute aud-0` computes it now.\n');
    expect((await linked(['compute', 'aud-0', '--dir', dir])).status).toBe(0);
    s = await status();
    expect(of(s.delivery, 'entered-hook')).toMatchObject({ state: 'pending', pending: 1, waitingForCompute: null });

    // An entity-added emitter for a path aud-0 has not matched on yet: its current entities come with the next compute.
    raw.emitters.push({ key: 'account-hook', audience: 'aud-0', destination: 'hook', trigger: 'entity_added', entityPath: ['accounts'], sendForCurrent: true });
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);
    s = await status();
    expect(s.text).toMatch(/^account-hook -> hook +waiting for the next compute of aud-0 +0 /m);
    expect(s.text).toContain('  account-hook: sends the accounts entities aud-0 matches after its next compute, the first to match that path; `linked compute aud-0` computes it now.\n');
    expect(of(s.delivery, 'account-hook')).toMatchObject({ state: 'waiting_for_compute', pending: 0, waitingForCompute: { audienceKey: 'aud-0', entityPath: 'accounts' } });
    expect(of(s.delivery, 'entered-hook')).toMatchObject({ state: 'pending', waitingForCompute: null });
    // The dashboard shows the same state, in its page and its JSON.
    const server = await startUiServer({ host: '127.0.0.1', port: 0 }, createUiHandler(projectSource(await loadDesired(join(dir, 'cdktf.out')), dir)));
    try {
      const base = `http://127.0.0.1:${server.address.port}`;
      expect(await (await fetch(`${base}/deliveries`)).text()).toContain('<span class="status status-waiting_for_compute">waiting for the next compute of aud-0</span>');
      expect(await (await fetch(`${base}/audiences/aud-0`)).text()).toContain('<span class="status status-waiting_for_compute">waiting for the next compute of aud-0</span>');
      const api = (await (await fetch(`${base}/api/deliveries`)).json()) as { health: { emitterKey: string }[] };
      expect(of(api.health, 'account-hook')).toMatchObject({ state: 'waiting_for_compute', waitingForCompute: { audienceKey: 'aud-0', entityPath: 'accounts' } });
    } finally {
      await server.close();
    }

    expect((await linked(['compute', 'aud-0', '--dir', dir])).status).toBe(0);
    s = await status();
    expect(of(s.delivery, 'account-hook')).toMatchObject({ state: 'pending', pending: 1, waitingForCompute: null });
    expect(s.text).not.toContain('waiting for the next compute');
  }, 60_000);
});
