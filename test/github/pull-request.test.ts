import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectGitHub } from '../../src/github/client.js';
import { commentMarker, upsertPlanComment } from '../../src/github/comments.js';
import { postApplyResult, reportPlan } from '../../src/github/report.js';
import { planStatus, setCommitStatus } from '../../src/github/statuses.js';
import { FakeGitHub } from './fake-github.js';
import { contextFor, HEAD_SHA } from './helpers.js';

describe('plan comment and commit statuses against a local GitHub', () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await new FakeGitHub('test-token-1234').start();
  });
  afterEach(async () => gh.close());

  it('creates one comment, then updates it in place on the next push (one comment in total)', async () => {
    gh.maxPerPage = 2; // our comment is the 5th: page 3 on the second call
    for (let i = 0; i < 4; i++) gh.addComment(12, `review chatter ${i}`);
    const ctx = contextFor(gh, { pr: 12 });

    const first = await upsertPlanComment(ctx, '### plan v1', { stack: 'marketing' });
    expect(first.action).toBe('created');
    for (let i = 0; i < 2; i++) gh.addComment(12, `more chatter ${i}`);
    const second = await upsertPlanComment(ctx, '### plan v2', { stack: 'marketing' });
    expect(second).toMatchObject({ action: 'updated', id: first.id });

    const ours = gh.comments.get(12)!.filter((c) => c.body.includes(commentMarker('plan', 'marketing')));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.body).toBe(`${commentMarker('plan', 'marketing')}\n### plan v2`);
    expect(gh.comments.get(12)).toHaveLength(7);

    // The second call read every page before deciding (pagination followed to the end).
    const lists = gh.calls('GET', /\/issues\/12\/comments$/);
    expect(lists.map((r) => r.query.page ?? '1')).toEqual(['1', '2', '1', '2', '3', '4']);
    const [post] = gh.calls('POST', /\/issues\/12\/comments$/);
    expect(post!.body).toEqual({ body: `${commentMarker('plan', 'marketing')}\n### plan v1` });
    const [patch] = gh.calls('PATCH', /\/issues\/comments\/\d+$/);
    expect(patch!.path).toBe(`/repos/acme/audiences/issues/comments/${first.id}`);
    for (const r of gh.requests) expect(r.authorization).toBe('token test-token-1234');
  });

  it('leaves an identical comment alone and keeps one comment per stack', async () => {
    const ctx = contextFor(gh, { pr: 3 });
    const quoted = gh.addComment(3, `Why?\n> ${commentMarker('plan', 'a')}\n> same`, 'reviewer');
    await upsertPlanComment(ctx, 'same', { stack: 'a' });
    expect((await upsertPlanComment(ctx, 'same', { stack: 'a' })).action).toBe('unchanged');
    expect(gh.calls('PATCH', /comments/)).toHaveLength(0);
    await upsertPlanComment(ctx, 'other stack', { stack: 'ab' });
    await upsertPlanComment(ctx, 'other stack v2', { stack: 'ab' });
    expect(gh.comments.get(3)!.map((c) => c.body)).toEqual([quoted.body, `${commentMarker('plan', 'a')}\nsame`, `${commentMarker('plan', 'ab')}\nother stack v2`]);
  });

  it('cuts a long diff between lines and closes its fence and details before the note', async () => {
    const ctx = contextFor(gh, { pr: 5, runUrl: 'https://github.test/acme/audiences/actions/runs/6' });
    const diff = Array.from({ length: 3000 }, (_, i) => `+       condition.conditions[${i}].value = "premium"`).join('\n');
    await upsertPlanComment(ctx, `### linked plan\n\n<details><summary>Details</summary>\n\n\`\`\`diff\n${diff}\n\`\`\`\n\n</details>\n\nfooter\n`);
    const body = gh.comments.get(5)![0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    const [before, note] = body.split('\n\n… truncated');
    expect(note).toContain('the full text is in the [workflow run]');
    // The text before the note ends its code block and its details, and no diff line is cut short.
    expect(before!.match(/^```/gm)).toHaveLength(2);
    expect(before!.endsWith('```\n\n</details>')).toBe(true);
    for (const line of before!.split('\n').filter((l) => l.startsWith('+ '))) expect(line).toMatch(/= "premium"$/);
  });

  it('cuts a plan beyond GitHub\'s comment limit and points to the run', async () => {
    const ctx = contextFor(gh, { pr: 4, runUrl: 'https://github.test/acme/audiences/actions/runs/5' });
    await upsertPlanComment(ctx, 'x'.repeat(70_000));
    const body = gh.comments.get(4)![0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('truncated (5000 characters omitted): the full text is in the [workflow run](https://github.test/acme/audiences/actions/runs/5)');
  });

  it('works with the production defaults (octokit throttling and retries on)', async () => {
    const ctx = connectGitHub({ owner: gh.owner, repo: gh.repo, sha: HEAD_SHA, apiUrl: gh.url, pr: 2 }, { GITHUB_TOKEN: gh.token });
    expect((await upsertPlanComment(ctx, 'plan')).action).toBe('created');
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/audiences/issues/2/comments', 'POST /repos/acme/audiences/issues/2/comments']);
  });

  it('with the production defaults, retries a 5xx answer and a rate limit once, and never a 4xx', async () => {
    const ctx = connectGitHub({ owner: gh.owner, repo: gh.repo, sha: HEAD_SHA, apiUrl: gh.url, pr: 5 }, { GITHUB_TOKEN: gh.token });
    const posts = () => gh.calls('POST', /\/statuses\//).length;

    gh.failNext.push({ status: 502, message: 'Server Error' });
    await setCommitStatus(ctx, 'linked-audiences/plan', 'success', 'Plan: 1 to add');
    expect(posts()).toBe(2);

    // GitHub's secondary rate limit: a 403 with Retry-After. Retried once after it, then it fails.
    const limited = { status: 403, message: 'You have exceeded a secondary rate limit', headers: { 'retry-after': '1' } };
    gh.failNext.push(limited);
    await setCommitStatus(ctx, 'linked-audiences/plan', 'success', 'Plan: 1 to add');
    expect(posts()).toBe(4);
    gh.failNext.push(limited, limited);
    await expect(setCommitStatus(ctx, 'linked-audiences/plan', 'success', 'x')).rejects.toMatchObject({ code: 'GITHUB_API_ERROR', details: { status: 403 } });
    expect(posts()).toBe(6);

    gh.failNext.push({ status: 422, message: 'Validation Failed' });
    await expect(setCommitStatus(ctx, 'linked-audiences/plan', 'success', 'x')).rejects.toMatchObject({ details: { status: 422 } });
    expect(posts()).toBe(7);
    expect(gh.statuses).toHaveLength(2);
  }, 20_000);

  it('refuses to comment without a pull request, with the way out', async () => {
    await expect(upsertPlanComment(contextFor(gh), 'plan')).rejects.toThrow(/needs a pull request.*--pr <number>/);
  });

  it('sets commit statuses: success with the counts, failure with the error count', async () => {
    const ctx = contextFor(gh, { pr: 12, runUrl: 'https://github.test/run/1' });
    await reportPlan(ctx, 'plan', { errors: 0, create: 2, update: 1, replace: 0, delete: 1 }, { stack: 'marketing' });
    await reportPlan(ctx, 'plan', { errors: 3 }, { stack: 'marketing' });
    const posts = gh.calls('POST', /\/statuses\//);
    expect(posts.map((r) => r.path)).toEqual([`/repos/acme/audiences/statuses/${HEAD_SHA}`, `/repos/acme/audiences/statuses/${HEAD_SHA}`]);
    expect(posts.map((r) => r.body)).toEqual([
      { state: 'success', context: 'linked-audiences/plan', description: 'Plan: 2 to add, 1 to change, 0 to replace, 1 to destroy', target_url: 'https://github.test/run/1' },
      { state: 'failure', context: 'linked-audiences/plan', description: 'Plan failed: 3 errors', target_url: 'https://github.test/run/1' },
    ]);
    expect(gh.comments.get(12)).toHaveLength(1);
    expect(planStatus({ errors: 1 })).toEqual({ state: 'failure', description: 'Plan failed: 1 error' });
    expect(planStatus({ errors: 0 })).toEqual({ state: 'success', description: 'No changes' });
  });

  it('keeps a status description within GitHub\'s 140 characters', async () => {
    await setCommitStatus(contextFor(gh), 'linked-audiences/apply', 'failure', `Apply failed: ${'y'.repeat(300)}`);
    expect(gh.statuses[0]!.description).toHaveLength(140);
    expect(gh.statuses[0]!.description!.endsWith('…')).toBe(true);
  });

  it('posts an apply result on the PR found from the merge commit, and sets linked-audiences/apply', async () => {
    gh.addPull({ number: 21, state: 'closed', merged: true, merge_commit_sha: HEAD_SHA, merged_at: '2026-01-01T00:00:00Z', mergeable: [null] });
    gh.commitPulls.set(HEAD_SHA, [21]);
    const ctx = contextFor(gh); // a push to main: no PR in the environment
    const ok = await postApplyResult(ctx, 'Apply complete: 1 added', true, { stack: 'marketing' });
    const failed = await postApplyResult(ctx, 'Apply failed: lock held', false, { stack: 'marketing' });
    expect(ok.comment!.id).not.toBe(failed.comment!.id); // each apply is its own event in the PR
    expect(gh.comments.get(21)!.map((c) => c.body)).toEqual([
      `${commentMarker('apply', 'marketing')}\nApply complete: 1 added`,
      `${commentMarker('apply', 'marketing')}\nApply failed: lock held`,
    ]);
    expect(gh.statuses.map((s) => [s.context, s.state, s.description])).toEqual([
      ['linked-audiences/apply', 'success', 'Apply succeeded'],
      ['linked-audiences/apply', 'failure', 'Apply failed'],
    ]);
  });

  it('still sets the apply status when the commit belongs to no pull request', async () => {
    const result = await postApplyResult(contextFor(gh), 'Apply complete', true);
    expect(result.comment).toBeUndefined();
    expect(gh.statuses).toHaveLength(1);
  });

  it('turns API failures into LinkedErrors with a hint', async () => {
    gh.failWith = { status: 403, message: 'Resource not accessible by integration' };
    const err = await upsertPlanComment(contextFor(gh, { pr: 1 }), 'x').catch((e) => e);
    expect(err).toMatchObject({ code: 'GITHUB_API_ERROR', details: { status: 403 } });
    expect(err.message).toBe(
      'GitHub: list comments of #1 failed (HTTP 403): Resource not accessible by integration (the token lacks a permission: the workflow needs `permissions: pull-requests: write, statuses: write`)',
    );
  });
});
