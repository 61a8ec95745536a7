import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../github/fake-github.js';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * `linked plan --github` and `linked apply --require/--github` as real processes against the local
 * GitHub server of test/github (127.0.0.1): the CLI wiring of src/github.
 */
const TOKEN = 'canary-token-4f1d2e9b';
const SHA = 'a'.repeat(40);

describe('GitHub flags of plan and apply', () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await new FakeGitHub(TOKEN).start();
    gh.addPull({ number: 7, head: { sha: SHA } });
  });
  afterEach(() => gh.close());

  const githubArgs = () => ['--github-repo', 'acme/audiences', '--pr', '7', '--sha', SHA, '--github-api-url', gh.url];
  const env = { GITHUB_TOKEN: TOKEN, GITHUB_ACTIONS: '', GITHUB_EVENT_PATH: '', GITHUB_REPOSITORY: '', GITHUB_SHA: '' };
  const noToken = (r: { stdout: string; stderr: string }) => {
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  };

  it('plan --github posts one comment, updated in place, and sets linked-audiences/plan', async () => {
    const { dir } = await makeProject();
    const first = await linked(['plan', '--dir', dir, '--github', ...githubArgs()], env);
    expect(first.status, first.stderr).toBe(0);
    noToken(first);
    const second = await linked(['plan', '--dir', dir, '--github', ...githubArgs()], env);
    expect(second.status, second.stderr).toBe(0);

    const comments = gh.comments.get(7) ?? [];
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('audience.');
    expect(gh.calls('POST', /\/issues\/7\/comments$/)).toHaveLength(1);
    const statuses = gh.statuses.filter((s) => s.context === 'linked-audiences/plan');
    expect(statuses.map((s) => [s.sha, s.state])).toEqual([
      [SHA, 'success'],
      [SHA, 'success'],
    ]);
    expect(gh.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
  });

  it('apply --require refuses an unapproved pull request and changes nothing', async () => {
    const { dir } = await makeProject();
    const refused = await linked(['apply', '--dir', dir, '--auto-approve', '--require', 'approved,mergeable', ...githubArgs()], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('apply requires an approved pull request');
    noToken(refused);
    expect(gh.statuses.at(-1)).toMatchObject({ context: 'linked-audiences/apply', state: 'failure' });

    const plan = await linked(['plan', '--dir', dir, '--detailed-exitcode'], env);
    expect(plan.status, 'the state is untouched: the plan still has every change').toBe(2);
  });

  it('apply --require applies an approved, mergeable pull request and records its approvers', async () => {
    const { dir } = await makeProject();
    gh.addReview(7, 'reviewer-1', 'APPROVED');
    const applied = await linked(['apply', '--dir', dir, '--auto-approve', '--require', 'approved,mergeable', ...githubArgs()], env);
    expect(applied.status, applied.stderr).toBe(0);
    noToken(applied);
    expect(gh.statuses.at(-1)).toMatchObject({ context: 'linked-audiences/apply', state: 'success' });
    expect((gh.comments.get(7) ?? []).some((c) => c.body.includes('Apply complete'))).toBe(true);

    const audit = await linked(['audit', '--dir', dir, '--json'], env);
    expect(audit.status, audit.stderr).toBe(0);
    const entries = JSON.parse(audit.stdout);
    const list = Array.isArray(entries) ? entries : entries.entries;
    expect(list).toHaveLength(1);
    expect(list[0].prNumber).toBe(7);
    expect(list[0].metadata.approvers).toEqual(['reviewer-1']);
  });
});
