import { afterAll, describe, expect, it } from 'vitest';
import { linked, makeProject } from '../plan/cli-project.js';
import { GitFixture } from '../github/git-fixture.js';
import { parseCsv } from '../support/csv.js';
import { STEERS } from '../support/terminal-controls.js';

describe('linked audit --format and linked plan --markdown (CLI) print stored text a terminal cannot act on', () => {
  const repo = new GitFixture();
  afterAll(() => repo.dispose());

  it('escapes the controls of commit subjects, authors, actors and applied values, and keeps CSV and markdown valid', async () => {
    // What an auditor reads comes from git and from whoever applied: each can steer the terminal.
    const SUBJECT = 'Raise limits \u001b[2K| rewritten\r line \u202eesrever';
    const NAME = 'Eve\u001b]0;owned\u0007 \u009b2J';
    repo.git(['-c', `user.name=${NAME}`, 'commit', '--quiet', '--allow-empty', '-m', SUBJECT]);
    const head = repo.git(['rev-parse', 'HEAD']);
    const ACTOR = 'octo\u007fcat\u2066';
    const { dir, raw, write } = await makeProject(1);
    raw.audiences[0].name = 'Gold \u009b2J\u202e';
    write(raw);
    const ci = { GITHUB_ACTIONS: 'true', GITHUB_SHA: head, GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main', GITHUB_ACTOR: ACTOR };
    const apply = await linked(['apply', '--dir', dir, '--auto-approve'], ci);
    expect(apply.status, apply.stderr).toBe(0);

    const md = await linked(['audit', '--dir', dir, '--format', 'markdown', '--repo', repo.author]);
    expect(md.status, md.stderr).toBe(0);
    expect(md.stdout).not.toMatch(STEERS);
    expect(md.stdout).toContain('- Commit: `' + head.slice(0, 12) + '` Raise limits \\u001b\\[2K\\| rewritten  line \\u202eesrever\n');
    expect(md.stdout).toContain('- Author: Eve\\u001b\\]0;owned\\u0007 \\u009b2J \\<ana@example.com\\>');
    expect(md.stdout).toContain('- Applied by: octo\\u007fcat\\u2066\n');
    expect(md.stdout).toContain('name = "Gold \\u009b2J\\u202e"');

    const csv = await linked(['audit', '--dir', dir, '--format', 'csv', '--repo', repo.author]);
    expect(csv.status, csv.stderr).toBe(0);
    // CRLF ends each record (RFC 4180); no other control is left.
    expect(csv.stdout.replace(/\r\n/g, '\n')).not.toMatch(STEERS);
    const [header, ...rows] = parseCsv(csv.stdout);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toHaveLength(header!.length);
    const row = rows.find((r) => r[header!.indexOf('address')] === 'audience.aud-0')!;
    expect(row[header!.indexOf('subject')]).toBe('Raise limits \\u001b[2K| rewritten\\u000d line \\u202eesrever');
    expect(row[header!.indexOf('author')]).toBe('Eve\\u001b]0;owned\\u0007 \\u009b2J <ana@example.com>');
    expect(row[header!.indexOf('applied_by')]).toBe('octo\\u007fcat\\u2066');

    // The plan for a pull request shows the applied value it replaces: read from the state, escaped too.
    raw.audiences[0].name = 'Platinum';
    write(raw);
    const plan = await linked(['plan', '--dir', dir, '--markdown']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).not.toMatch(STEERS);
    expect(plan.stdout).toContain('name = "Gold \\u009b2J\\u202e" -> "Platinum"');
    const text = await linked(['plan', '--dir', dir]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(STEERS);
    expect(text.stdout).toContain('~ name = "Gold \\u009b2J\\u202e" -> "Platinum"');
  }, 120_000);
});
