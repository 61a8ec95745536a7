import { describe, expect, it } from 'vitest';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * `linked why` compares its verdict with the audience's snapshot: it names the run that snapshot
 * comes from (the audience's last Live run), for a member and a non-member alike, so a reader
 * knows what the verdict was compared with.
 */
describe('linked why names the run of the snapshot it compares with', () => {
  it('in --json and in the text, member or not, and says when there is no snapshot yet', async () => {
    const { dir, raw, write } = await makeProject(1);
    raw.audiences[0].enabled = true;
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);

    const before = await linked(['why', 'aud-0', 'u2', '--dir', dir]);
    expect(before.stdout).toContain('The audience has no snapshot yet: none of its runs has gone Live.');

    expect((await linked(['compute', 'aud-0', '--dir', dir])).status).toBe(0);
    const last = await linked(['compute', 'aud-0', '--dir', dir, '--json']);
    const runId = JSON.parse(last.stdout).runId as string;
    expect(runId).toEqual(expect.any(String));
    // aud-0 is plan = premium: u1 in, u2 out.
    for (const [user, member] of [['u1', true], ['u2', false]] as const) {
      const json = await linked(['why', 'aud-0', user, '--dir', dir, '--json']);
      expect(JSON.parse(json.stdout).why).toMatchObject({ member, snapshot: { member, runId } });
      const text = await linked(['why', 'aud-0', user, '--dir', dir]);
      expect(text.stdout).toContain(`The last snapshot (run ${runId}) ${member ? 'holds it too' : 'does not hold it either'}.`);
    }
  }, 60_000);
});
