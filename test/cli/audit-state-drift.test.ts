import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { desired } from '../plan/fixtures.js';
import { planAndApply } from '../plan/helpers.js';
import { linked, makeProject } from '../plan/cli-project.js';
import { STEERS } from '../support/terminal-controls.js';

describe('linked state / audit / drift / force-unlock (CLI process)', () => {
  it('shows what is applied, who changed it, and the warehouse drift under it', async () => {
    const { dir, raw, write } = await makeProject(2);
    // Erases the line it is printed on, then reverses what follows: JSON escapes the first, not the second.
    const ACTOR = 'octo\u001b[2Kcat\u202e';
    const ci = { GITHUB_ACTIONS: 'true', GITHUB_SHA: 'a'.repeat(40), GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main', GITHUB_ACTOR: ACTOR };
    const apply = await linked(['apply', '--dir', dir, '--auto-approve'], ci);
    expect(apply.status).toBe(0);

    // A second change, applied in-process with its own provenance, then some warehouse drift.
    raw.audiences[0].name = 'Premium people';
    write(raw);
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      await planAndApply(wh, desired(raw));
      await wh.query('ALTER TABLE main.profiles DROP COLUMN email');
      await wh.query('ALTER TABLE main.cards ALTER COLUMN account_id TYPE INTEGER');
    } finally {
      await wh.close();
    }

    const list = await linked(['state', 'list', '--dir', dir]);
    expect(list.status).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ADDRESS\s+VERSION\s+APPLIED AT\s+BY\s+COMMIT\s+STATUS$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'data_graph.graph 1',
      'audience.aud-0 2',
      'audience.aud-1 1',
      'destination.hook 1',
      'event_emitter.entered-hook 1',
    ]);
    // The actor holds what would erase the line it is printed on: printed as its escape, the columns still aligned.
    expect(lines[3]).toMatch(/ octo\\u001b\[2Kcat\\u202e\s+aaaaaaaaaaaa\s+active$/);
    expect(lines[3]!.indexOf('aaaaaaaaaaaa')).toBe(lines[0]!.indexOf('COMMIT'));

    const show = await linked(['state', 'show', 'hook', '--dir', dir]);
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/^# destination\.hook\nversion:    1\n/);
    expect(show.stdout).toContain('"Authorization": "(sensitive)"');
    expect(show.stdout).not.toContain('HOOK_TOKEN');
    expect(show.stdout).toContain(' by octo\\u001b[2Kcat\\u202e\n');
    // --json as well: valid JSON, the actor as applied, and nothing in the text a terminal acts on.
    const shownJson = await linked(['state', 'show', 'hook', '--dir', dir, '--json']);
    expect(shownJson.status).toBe(0);
    expect(shownJson.stdout).toContain('"appliedBy": "octo\\u001b[2Kcat\\u202e"');
    expect(JSON.parse(shownJson.stdout)).toMatchObject({ address: 'destination.hook', appliedBy: ACTOR });

    const audit = await linked(['audit', '--dir', dir, '--resource', 'audience.aud-0']);
    expect(audit.status).toBe(0);
    const entries = audit.stdout.trim().split('\n\n');
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatch(/^\S+  apply [0-9a-f-]{36}  by ci-bot \(author Ana <ana@example\.test>\)  commit 0123456789ab  branch main  PR #42\n  # audience\.aud-0 will be updated in place\n  ~ audience "aud-0" \{\n      ~ name = "Audience 0" -> "Premium people"\n    \}$/);
    expect(entries[1]).toMatch(/^\S+  apply [0-9a-f-]{36}  by octo\\u001b\[2Kcat\\u202e  commit aaaaaaaaaaaa  branch main\n  # audience\.aud-0 will be created/);
    const auditJson = await linked(['audit', '--dir', dir, '--resource', 'audience.aud-0', '--json']);
    expect(JSON.parse(auditJson.stdout).entries.map((e: { appliedBy: string }) => e.appliedBy)).toEqual(['ci-bot', ACTOR]);
    for (const out of [audit, list, show, shownJson, auditJson]) expect(out.stdout).not.toMatch(STEERS);

    const drift = await linked(['drift', '--dir', dir, '--detailed-exitcode', '--json']);
    expect(drift.status).toBe(2);
    const codes = JSON.parse(drift.stdout).drift.map((d: { code: string }) => d.code).sort();
    expect(codes).toEqual(expect.arrayContaining(['DRIFT_COLUMN_DROPPED', 'DRIFT_TYPE_CHANGED']));

    const unlock = await linked(['force-unlock', 'no-such-id', '--dir', dir]);
    expect(unlock.status).toBe(1);
    expect(unlock.stderr).toBe(
      'Error [LOCK_NOT_FOUND]: Nothing is held under no-such-id: no state lock has that id, no lease has that key, and no controller or lease holder has that id. `linked state list` shows the state locks; `linked status` shows what is computing.\n',
    );
  }, 300_000);
});
