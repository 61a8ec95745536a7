import { describe, expect, it } from 'vitest';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * "Part of" an audience reads that audience's snapshot once it has one; before its first run it
 * reads the audience's condition in place (docs/conditions.md). An empty snapshot read instead
 * takes every member out of the reading audience, and its exit emitters send for all of them.
 */
describe('part of an audience not computed yet', () => {
  it('is its condition evaluated in place, by compute and by why, until its first run', async () => {
    const { dir, raw, write } = await makeProject(1);
    raw.audiences[0].enabled = true;
    raw.audiences.push({ key: 'reader', name: 'Reader', enabled: true, condition: { kind: 'audience', audience: 'aud-0', source: 'linked', negate: false } });
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);

    // aud-0 (plan = premium: u1) has never run.
    const first = await linked(['compute', 'reader', '--dir', dir, '--json']);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'Live', members: 1, entered: 1 });
    const why = await linked(['why', 'reader', 'u1', '--dir', dir]);
    expect(why.stdout).toContain('✓ part of audience "aud-0"  [a member of aud-0, its condition evaluated now (disabled, or not computed yet)]');

    // Once aud-0 has run, its snapshot is read: the same member, nobody exits.
    expect((await linked(['compute', 'aud-0', '--dir', dir])).status).toBe(0);
    const again = await linked(['compute', 'reader', '--dir', dir, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'Live', members: 1, entered: 0, exited: 0 });
    expect((await linked(['why', 'reader', 'u1', '--dir', dir])).stdout).toContain('[a member of aud-0 at its last run]');
  }, 60_000);
});
