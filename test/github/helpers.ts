import { connectGitHub, type GitHubContext } from '../../src/github/client.js';
import type { PullRequestRef } from '../../src/github/context.js';
import type { FakeGitHub } from './fake-github.js';

export const HEAD_SHA = 'abcdef0123456789abcdef0123456789abcdef01';

/** A context pointed at the fake server; no throttling or retries, fast mergeable polling. */
export function contextFor(gh: FakeGitHub, ref: Partial<PullRequestRef> = {}, token = gh.token): GitHubContext {
  return connectGitHub(
    { owner: gh.owner, repo: gh.repo, sha: HEAD_SHA, apiUrl: gh.url, ...ref },
    { GITHUB_TOKEN: token },
    { throttle: false, retries: 0, mergeableAttempts: 4, mergeableDelayMs: 1 },
  );
}
