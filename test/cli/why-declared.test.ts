import { describe, expect, it } from 'vitest';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * `linked why` explains the applied definition (what runs compute). A marketer who edited an
 * audience and synthesized (`linked plan` does) asks `why` next: the answer says that the project
 * declares another condition, and how to look at that one, instead of passing the applied
 * verdict off as the edit's.
 */
describe('linked why with an edit not yet applied', () => {
  it('says the declared condition differs from the applied one it explains, and names a declared audience not applied yet', async () => {
    const { dir, raw, write } = await makeProject(1);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);

    const unchanged = await linked(['why', 'aud-0', 'u2', '--dir', dir]);
    expect(unchanged.status, unchanged.stderr).toBe(0);
    expect(unchanged.stdout).not.toContain('declares another condition');

    raw.audiences[0].condition = { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'gold' } };
    raw.audiences.push({ key: 'aud-new', name: 'New', condition: { kind: 'trait', trait: 'email', operator: 'exists' } });
    write(raw);
    const edited = await linked(['why', 'aud-0', 'u2', '--dir', dir]);
    expect(edited.status, edited.stderr).toBe(0);
    expect(edited.stdout).toContain(
      'Profile u2 is NOT IN audience aud-0, evaluated at ',
    );
    expect(edited.stdout).toContain(
      'The project (cdktf.out) declares another condition for aud-0, not applied yet: this explains the applied one, which runs compute. `linked preview aud-0` counts the declared one; `linked plan` shows the difference.',
    );
    expect(edited.stdout).toContain('✗ trait plan = "premium"  [plan is "gold"]');
    const json = await linked(['why', 'aud-0', 'u2', '--dir', dir, '--json']);
    expect(JSON.parse(json.stdout).why).toMatchObject({ member: false, declaredConditionDiffers: true });

    const notApplied = await linked(['why', 'aud-new', 'u1', '--dir', dir]);
    expect(notApplied.status).toBe(1);
    expect(notApplied.stderr).toContain('Audience aud-new is not applied. The project declares it: `linked apply` applies it, `linked preview aud-new` counts it before.');
  }, 60_000);
});
