import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { updateStatus } from '../../src/compute/status.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * An audience deleted, applied, then declared again with the same key and applied is a new
 * audience: until its first run it has no snapshot, no last run and no size, and "part of" it
 * evaluates its condition in place. The members of the audience it replaces are not its own:
 * read as its snapshot, they made `linked why` and a reading audience answer with them, and its
 * first run diffed against them (an Exited for a profile it never held, and no baseline).
 */
describe('a re-created audience', () => {
  it('starts with no snapshot: status, why, "part of" and its first run do not read the old members', async () => {
    const { dir, raw, write } = await makeProject(1);
    const run = async (...args: string[]) => {
      const r = await linked([...args, '--dir', dir]);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    // aud-0: plan = premium (u1), computed.
    raw.audiences[0].enabled = true;
    write(raw);
    await run('apply', '--auto-approve');
    expect(JSON.parse(await run('compute', 'aud-0', '--json'))).toMatchObject({ status: 'Live', members: 1, baseline: true });

    // Deleted (with its emitter), applied; declared again as plan = gold (u2), with an audience part of it.
    const [old] = raw.audiences;
    raw.audiences = [];
    raw.emitters = [];
    write(raw);
    await run('apply', '--auto-approve');
    raw.audiences = [
      { ...old, condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'gold' } } },
      { key: 'reader', name: 'Reader', enabled: true, condition: { kind: 'audience', audience: 'aud-0', source: 'linked', negate: false } },
    ];
    write(raw);
    await run('apply', '--auto-approve');

    const status = JSON.parse(await run('status', '--json')).audiences.find((a: { audience: string }) => a.audience === 'aud-0');
    expect(status).toMatchObject({ status: 'Computing', lastRunId: null, size: null });
    expect(await run('why', 'aud-0', 'u1')).toContain('The audience has no snapshot yet');
    const why = await run('why', 'reader', 'u1');
    expect(why).toContain('Profile u1 is NOT IN audience reader');
    expect(why).toContain('its condition evaluated now');

    expect(JSON.parse(await run('compute', 'reader', '--json'))).toMatchObject({ status: 'Live', members: 1 });
    expect(await run('why', 'reader', 'u2')).toContain('Profile u2 is IN audience reader');
    // Its first run is its baseline: u2 enters, u1 (never its member) does not exit.
    expect(JSON.parse(await run('compute', 'aud-0', '--json'))).toMatchObject({ status: 'Live', members: 1, entered: 1, exited: 0, baseline: true });

    // Paused (as a SNAPSHOT_MISMATCH pauses it), its snapshot rebuilt from the outbox: from its own
    // runs' rows only, not the old audience's (u1 entered there and never exited).
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      await updateStatus(wh, 'LINKED_AUDIENCES', 'aud-0', { paused: true });
    } finally {
      await wh.close();
    }
    expect(JSON.parse(await run('resume', 'aud-0', '--rebuild-snapshot', '--json'))).toMatchObject({ snapshot: { before: { members: 1 }, after: { members: 1 } } });
    expect(await run('why', 'aud-0', 'u1')).toContain('Profile u1 is NOT IN audience aud-0');
  }, 60_000);
});
