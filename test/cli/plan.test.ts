import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlanSchema } from '../../src/plan/schema.js';
import { readAppliedResources, writeResource } from '../../src/state/apply/resources.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linked, makeProject } from '../plan/cli-project.js';

describe('linked init / plan / apply (CLI process)', () => {
  it('plan -> apply -> plan, with detailed exit codes, saved plans and every renderer', async () => {
    const { dir, raw, write } = await makeProject(2);
    const init = await linked(['init', '--dir', dir]);
    expect(init.stderr).toBe('');
    expect(init.stdout).toMatch(/^State schema LINKED_AUDIENCES is at version \d+ \(duckdb\)\. Stack "marketing" is ready to plan\.\n$/);

    const first = await linked(['plan', '--dir', dir, '--detailed-exitcode', '--out', join(dir, 'plan.json')]);
    expect(first.status).toBe(2);
    expect(first.stdout).toContain('Plan: 5 to add, 0 to change, 0 to replace, 0 to destroy.');
    expect(first.stdout).toContain('+ settings.headers.Authorization = (sensitive)');
    expect(first.stdout).not.toContain('HOOK_TOKEN');
    expect(first.stdout).not.toMatch(/\u001b\[/);
    expect(PlanSchema.safeParse(JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'))).success).toBe(true);

    const applied = await linked(['apply', join(dir, 'plan.json'), '--dir', dir, '--json']);
    expect(applied.status).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ applied: true, summary: { create: 5 } });

    const none = await linked(['plan', '--dir', dir, '--detailed-exitcode', '--json']);
    expect(none.status).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({ formatVersion: 1, hasChanges: false, applicable: true, summary: { noop: 5 } });

    raw.audiences[0].enabled = true;
    raw.audiences[0].condition.value.literal = 'gold';
    write(raw);
    const md = await linked(['plan', '--dir', dir, '--markdown', '--impact']);
    expect(md.status).toBe(0);
    expect(md.stdout).toContain('| 🟡 | `audience.aud-0` | update | condition change takes effect at the next compute (`linked compute aud-0` computes it now); enabled: computes at the next tick |');
    expect(md.stdout).toContain('| `aud-0` | 1 | 1 | +1 | -1 |');

    const needsApproval = await linked(['apply', '--dir', dir]);
    expect(needsApproval.status).toBe(1);
    expect(needsApproval.stderr).toMatch(/^Error \[APPLY_NEEDS_APPROVAL\]: Not a terminal: cannot ask for confirmation\. Pass --auto-approve/m);

    const auto = await linked(['apply', '--dir', dir, '--auto-approve']);
    expect(auto.status).toBe(0);
    expect(auto.stdout).toMatch(/~ condition \{\n\s+~ trait plan = "premium" -> "gold"\n\s+\}[\s\S]*Apply complete: 0 added, 1 changed, 0 replaced, 0 destroyed/);
  }, 300_000);

  it('a plan with errors exits 1 and cannot be applied', async () => {
    const { dir, raw, write } = await makeProject(1, { constructPaths: true });
    raw.graph.profile.table = 'main.no_profiles';
    write(raw);
    const plan = await linked(['plan', '--dir', dir, '--detailed-exitcode']);
    expect(plan.status).toBe(1);
    expect(plan.stdout).toMatch(/^Error \[[A-Z_]+\]: Table main\.no_profiles \(Data Graph profile\) does not exist in the warehouse/m);
    expect(plan.stdout).toMatch(/This plan has \d+ errors? and cannot be applied: [A-Z_]+ \(data_graph\.graph\)[^\n]*\.\n$/);
    // Each resource's header names the construct that declares it (cdktf.out's metadata).
    expect(plan.stdout).toContain('  # audience.aud-0 (marketing/aud-0) will be created\n');
    expect(plan.stdout).toContain('  # data_graph.graph (marketing/graph) will be created\n');
    const json = PlanSchema.parse(JSON.parse((await linked(['plan', '--dir', dir, '--json'])).stdout));
    expect(json.changes.find((c) => c.address === 'audience.aud-0')?.constructPath).toBe('marketing/aud-0');
    // Repeated after the plan, on stderr, with the construct that declared the resource.
    expect(plan.stderr).toMatch(/^Diagnostics: \d+ errors?[^\n]*\n  Error \[[A-Z_]+\] data_graph\.graph, construct marketing\/graph[^\n]*: Table main\.no_profiles \(Data Graph profile\) does not exist/);
    expect(plan.stderr).toMatch(/This plan has \d+ errors? and cannot be applied: [A-Z_]+ \(data_graph\.graph\)[^\n]*\.\n$/);
    const apply = await linked(['apply', '--dir', dir, '--auto-approve']);
    expect(apply.status).toBe(1);
    expect(apply.stderr).toMatch(/^Diagnostics: [\s\S]*\nError \[PLAN_HAS_ERRORS\]: The plan has errors and cannot be applied \(see above\)\.\n$/);
  }, 120_000);

  it('plan --impact marks a disabled audience in the text, the markdown and --json: it is not computed, so nothing moves on apply', async () => {
    const { dir, raw, write } = await makeProject(2);
    raw.audiences[0].enabled = true;
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);
    // Both audiences now hold u2 (gold) instead of u1; aud-1 stays disabled.
    for (const a of raw.audiences) a.condition.value.literal = 'gold';
    write(raw);
    const json = await linked(['plan', '--dir', dir, '--impact', '--json']);
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).impact).toEqual([
      { key: 'aud-0', currentSize: 1, newSize: 1, entering: 1, exiting: 1 },
      { key: 'aud-1', currentSize: 1, newSize: 1, entering: 1, exiting: 1, disabled: true },
    ]);
    const text = await linked(['plan', '--dir', dir, '--impact']);
    expect(text.stdout).toMatch(/^  aud-1 \(disabled\) +1 +1 +\+1 +-1\n  Disabled \(aud-1\): not computed until enabled, so nobody enters or exits them on apply/m);
    const md = await linked(['plan', '--dir', dir, '--impact', '--markdown']);
    expect(md.stdout).toContain('| `aud-0` | 1 | 1 | +1 | -1 |\n| `aud-1` (disabled) | 1 | 1 | +1 | -1 |\n\nDisabled (`aud-1`): not computed until enabled');
  }, 60_000);

  it('a destination or classic audience without a name is named by its key; one an older linked applied with the empty name plans no change', async () => {
    const { dir, raw, write } = await makeProject(1);
    raw.classicAudiences = [{ key: 'vip', table: 'main.profiles', profileIdColumn: 'user_id' }];
    write(raw);
    const first = await linked(['plan', '--dir', dir]);
    expect(first.stdout).toMatch(/# destination\.hook will be created\n(?:.*\n)*? +\+ name += "hook"\n/);
    expect(first.stdout).toMatch(/# classic_audience\.vip will be created\n(?:.*\n)*? +\+ name += "vip"\n/);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);

    // What an older linked stored for them: the empty name it defaulted to.
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      const applied = await readAppliedResources(wh, 'LINKED_AUDIENCES');
      const ctx = { applyId: 'older-linked', appliedAt: new Date(), appliedBy: 'test', commitSha: null, stack: 'marketing' };
      for (const r of applied.filter((x) => x.kind === 'destination' || x.kind === 'classic_audience')) {
        await writeResource(wh, 'LINKED_AUDIENCES', r.kind, r.key, { ...(r.spec as object), name: '' }, ctx, false);
      }
      const stored = await wh.query<{ spec: string }>(`SELECT spec FROM "LINKED_AUDIENCES".resources WHERE kind IN ('destination', 'classic_audience') AND deleted_at IS NULL`);
      expect(stored.rows.map((r) => JSON.parse(r.spec).name)).toEqual(['', '']);
    } finally {
      await wh.close();
    }
    // The manifest names them as the constructs now synthesize them: by their key.
    raw.destinations[0].name = 'hook';
    raw.classicAudiences[0].name = 'vip';
    write(raw);
    const again = await linked(['plan', '--dir', dir, '--detailed-exitcode', '--json']);
    expect(again.status, again.stdout).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ hasChanges: false });
  }, 60_000);
});
