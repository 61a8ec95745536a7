import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertApplyRequirements, checkApplyRequirements, parseRequirements, reviewDecision } from '../../src/github/requirements.js';
import { FakeGitHub } from './fake-github.js';
import { contextFor, HEAD_SHA } from './helpers.js';

describe('apply requirements against a local GitHub', () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await new FakeGitHub('req-token-5678').start();
  });
  afterEach(async () => gh.close());

  it('passes an approved, mergeable pull request and returns the approvers', async () => {
    gh.addPull({ number: 12 });
    gh.maxPerPage = 1; // reviews over several pages
    gh.addReview(12, 'bob', 'COMMENTED');
    gh.addReview(12, 'carol', 'APPROVED');
    gh.addReview(12, 'dave', 'APPROVED');
    const result = await checkApplyRequirements(contextFor(gh, { pr: 12 }), ['approved', 'mergeable']);
    expect(result).toEqual({ ok: true, pr: 12, failures: [], approvers: ['carol', 'dave'] });
    expect(gh.calls('GET', /\/pulls\/12\/reviews$/).length).toBe(3);
    expect(gh.calls('GET', /\/pulls\/12$/)[0]!.authorization).toBe('token req-token-5678');
  });

  it('refuses a pull request without an approving review', async () => {
    gh.addPull({ number: 12 });
    gh.addReview(12, 'bob', 'COMMENTED');
    const result = await checkApplyRequirements(contextFor(gh, { pr: 12 }), ['approved']);
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([{ requirement: 'approved', message: 'apply requires an approved pull request: #12 has no approving review' }]);
    await expect(assertApplyRequirements(contextFor(gh, { pr: 12 }), ['approved'])).rejects.toMatchObject({
      code: 'APPLY_REQUIREMENTS_FAILED',
      message: 'apply requires an approved pull request: #12 has no approving review',
    });
  });

  it('refuses outstanding requested changes even with an approval; a later approval or a dismissal clears them', async () => {
    gh.addPull({ number: 5 });
    gh.addReview(5, 'carol', 'APPROVED');
    gh.addReview(5, 'bob', 'CHANGES_REQUESTED');
    const ctx = contextFor(gh, { pr: 5 });
    expect((await checkApplyRequirements(ctx, ['approved'])).failures[0]!.message).toBe(
      'apply requires an approved pull request: #5 has changes requested by @bob',
    );
    gh.addReview(5, 'bob', 'COMMENTED'); // a comment does not withdraw the request
    expect((await checkApplyRequirements(ctx, ['approved'])).ok).toBe(false);
    gh.addReview(5, 'bob', 'APPROVED');
    expect(await checkApplyRequirements(ctx, ['approved'])).toMatchObject({ ok: true, approvers: ['carol', 'bob'] });
    gh.addReview(5, 'carol', 'DISMISSED');
    expect((await checkApplyRequirements(ctx, ['approved'])).approvers).toEqual(['bob']);
  });

  it('waits while GitHub computes mergeable, then decides', async () => {
    gh.addPull({ number: 8, mergeable: [null, null, true] });
    const result = await checkApplyRequirements(contextFor(gh, { pr: 8 }), ['mergeable']);
    expect(result.ok).toBe(true);
    expect(gh.pullReadCount(8)).toBe(3);
  });

  it('gives up with a clear message when mergeable stays unknown', async () => {
    gh.addPull({ number: 8, mergeable: [null] });
    const result = await checkApplyRequirements(contextFor(gh, { pr: 8 }), ['mergeable']);
    expect(result.failures[0]!.message).toBe(
      'apply requires a mergeable pull request: GitHub has not finished computing whether #8 can be merged; retry in a moment',
    );
    expect(gh.pullReadCount(8)).toBe(4);
  });

  it.each([
    [{ mergeable: [false], mergeable_state: 'dirty' }, '#9 has merge conflicts with its base branch'],
    [{ mergeable: [true], mergeable_state: 'blocked' }, '#9 is blocked by branch protection (required reviews or status checks are missing)'],
    [{ mergeable: [true], mergeable_state: 'behind' }, '#9 is behind its base branch: update it first'],
    [{ draft: true }, '#9 is a draft'],
    [{ state: 'closed' as const, mergeable: [null] }, '#9 is closed without being merged'],
  ])('refuses an unmergeable pull request (%j)', async (pull, why) => {
    gh.addPull({ number: 9, ...pull });
    gh.addReview(9, 'carol', 'APPROVED');
    const result = await checkApplyRequirements(contextFor(gh, { pr: 9 }), ['approved', 'mergeable']);
    expect(result.failures).toEqual([{ requirement: 'mergeable', message: `apply requires a mergeable pull request: ${why}` }]);
  });

  it('on a push to main, checks the merged pull request found from the commit', async () => {
    gh.addPull({ number: 30, state: 'closed', merged: true, merge_commit_sha: HEAD_SHA, merged_at: '2026-01-01T00:00:00Z', mergeable: [null] });
    gh.addReview(30, 'carol', 'APPROVED');
    gh.commitPulls.set(HEAD_SHA, [30]);
    const result = await checkApplyRequirements(contextFor(gh), ['approved', 'mergeable']);
    expect(result).toEqual({ ok: true, pr: 30, failures: [], approvers: ['carol'] });
    expect(gh.pullReadCount(30)).toBe(1); // merged: no polling for mergeable
  });

  it('refuses a commit pushed outside any pull request', async () => {
    const result = await checkApplyRequirements(contextFor(gh), ['approved', 'mergeable']);
    expect(result.failures.map((f) => f.message)).toEqual([
      `apply requires an approved pull request: commit ${HEAD_SHA.slice(0, 12)} belongs to no pull request`,
      `apply requires a mergeable pull request: commit ${HEAD_SHA.slice(0, 12)} belongs to no pull request`,
    ]);
  });

  it('parses --require and rejects unknown requirements', () => {
    expect(parseRequirements('approved, mergeable,approved')).toEqual(['approved', 'mergeable']);
    expect(() => parseRequirements('approved,green')).toThrow('--require takes approved and/or mergeable, comma-separated (got "green").');
  });

  it('reads the standing review of each reviewer', () => {
    const r = (reviewer: string, state: string) => ({ reviewer, state, commitId: null });
    expect(reviewDecision([r('a', 'CHANGES_REQUESTED'), r('b', 'APPROVED'), r('a', 'APPROVED'), r('c', 'PENDING')])).toEqual({
      approvers: ['b', 'a'],
      changesRequestedBy: [],
    });
  });
});
