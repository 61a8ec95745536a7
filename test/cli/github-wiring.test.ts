import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
    // The same code against the same state is the same plan, made at another moment: not an edit.
    expect(second.stderr).toContain('comment unchanged on #7');
    expect(gh.calls('PATCH', /\/issues\/comments\/\d+$/)).toHaveLength(0);

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

  /** Breaks the synthesized app: its stack no longer loads, so no plan (and no stack name) can be had. */
  function breakManifest(dir: string): void {
    const stacks = join(dir, 'cdktf.out', 'stacks');
    for (const stack of readdirSync(stacks)) writeFileSync(join(stacks, stack, 'cdk.tf.json'), '{ "resource": ');
  }

  it('plan --github that cannot make a plan replaces the comment and fails linked-audiences/plan', async () => {
    const { dir, raw, write } = await makeProject();
    const good = await linked(['plan', '--dir', dir, '--github', ...githubArgs()], env);
    expect(good.status, good.stderr).toBe(0);

    breakManifest(dir);
    const broken = await linked(['plan', '--dir', dir, '--github', ...githubArgs()], env);
    expect(broken.status).toBe(1);
    noToken(broken);
    // Still one comment: it now says the plan failed, not the earlier push's plan.
    const [comment] = gh.comments.get(7)!;
    expect(gh.comments.get(7)).toHaveLength(1);
    expect(comment!.body.startsWith('<!-- linked-audiences:plan stack=marketing -->\n')).toBe(true);
    expect(comment!.body).toContain('### linked plan: failed');
    expect(comment!.body).not.toContain('audience.');
    expect(comment!.body).not.toContain(TOKEN);
    expect(gh.statuses.at(-1)).toMatchObject({ sha: SHA, context: 'linked-audiences/plan', state: 'failure' });
    expect(gh.statuses.at(-1)!.description).toMatch(/^Plan failed: /);

    write(raw);
    const fixed = await linked(['plan', '--dir', dir, '--github', ...githubArgs()], env);
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(gh.comments.get(7)).toHaveLength(1);
    expect(gh.comments.get(7)![0]!.body).toContain('audience.');
    expect(gh.statuses.at(-1)).toMatchObject({ context: 'linked-audiences/plan', state: 'success' });
  });

  it('a failed first plan leaves one comment, which the first plan made after it takes over', async () => {
    const { dir, raw, write } = await makeProject();
    breakManifest(dir);
    const broken = await linked(['plan', '--dir', dir, '--github', ...githubArgs()], env);
    expect(broken.status).toBe(1);
    expect(gh.comments.get(7)!.map((c) => c.body.split('\n')[0])).toEqual(['<!-- linked-audiences:plan -->']);
    expect(gh.statuses.at(-1)).toMatchObject({ context: 'linked-audiences/plan', state: 'failure' });

    write(raw);
    expect((await linked(['plan', '--dir', dir, '--github', ...githubArgs()], env)).status).toBe(0);
    expect(gh.comments.get(7)!.map((c) => c.body.split('\n')[0])).toEqual(['<!-- linked-audiences:plan stack=marketing -->']);
    expect(gh.calls('POST', /\/issues\/7\/comments$/)).toHaveLength(1);
  });

  it('apply --require refuses an unapproved pull request and changes nothing', async () => {
    const { dir } = await makeProject();
    const refused = await linked(['apply', '--dir', dir, '--auto-approve', '--require', 'approved,mergeable', ...githubArgs()], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('apply requires an approved pull request');
    noToken(refused);
    expect(gh.statuses.at(-1)).toMatchObject({ context: 'linked-audiences/apply', state: 'failure' });
    // Refused before it read the stack from the app, the report still names the one stack it would apply.
    const [comment] = gh.comments.get(7)!;
    expect(comment!.body.split('\n').slice(0, 3)).toEqual(['<!-- linked-audiences:apply stack=marketing -->', '#### linked-audiences apply (stack marketing): failed', '']);

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
