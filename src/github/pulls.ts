import type { GitHubContext } from './client.js';

export interface PullRequestInfo {
  number: number;
  state: string;
  merged: boolean;
  /** null while GitHub is still computing it (it does so lazily, after the first request). */
  mergeable: boolean | null;
  mergeableState: string;
  draft: boolean;
  headSha: string;
  author: string | null;
}

interface AssociatedPull {
  number: number;
  state: string;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  head?: { sha?: string };
}

/**
 * The pull request a commit came from, for a push to main: the one merged as this commit first,
 * else the open one whose head it is, else the first GitHub associates. Undefined for a direct push.
 */
export async function findPullRequestForCommit(ctx: GitHubContext): Promise<{ number: number } | undefined> {
  const { data } = await ctx.api.call(`find the pull request of commit ${ctx.sha.slice(0, 12)}`, (o) =>
    o.rest.repos.listPullRequestsAssociatedWithCommit({ owner: ctx.owner, repo: ctx.repo, commit_sha: ctx.sha, per_page: 100 }),
  );
  const pulls = data as AssociatedPull[];
  const sha = ctx.sha.toLowerCase();
  const chosen =
    pulls.find((p) => p.merged_at && p.merge_commit_sha?.toLowerCase() === sha) ??
    pulls.find((p) => p.state === 'open' && p.head?.sha?.toLowerCase() === sha) ??
    pulls[0];
  return chosen ? { number: chosen.number } : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The pull request. GitHub starts computing `mergeable` when it is first asked and answers null
 * meanwhile, so a null is polled a few times (a merged or closed pull request stays null: no wait).
 */
export async function getPullRequest(ctx: GitHubContext, pr: number): Promise<PullRequestInfo> {
  let info: PullRequestInfo | undefined;
  for (let attempt = 1; attempt <= ctx.api.mergeableAttempts; attempt++) {
    const { data } = await ctx.api.call(`read pull request #${pr}`, (o) => o.rest.pulls.get({ owner: ctx.owner, repo: ctx.repo, pull_number: pr }));
    info = {
      number: data.number,
      state: data.state,
      merged: Boolean(data.merged),
      mergeable: data.mergeable ?? null,
      mergeableState: data.mergeable_state ?? 'unknown',
      draft: Boolean(data.draft),
      headSha: data.head.sha,
      author: data.user?.login ?? null,
    };
    if (info.mergeable !== null || info.merged || info.state !== 'open') break;
    if (attempt < ctx.api.mergeableAttempts) await sleep(ctx.api.mergeableDelayMs);
  }
  return info!;
}

export interface Review {
  reviewer: string;
  state: string;
  commitId: string | null;
}

/** Every submitted review, oldest first, all pages. */
export async function listReviews(ctx: GitHubContext, pr: number): Promise<Review[]> {
  const reviews = await ctx.api.call(`list reviews of #${pr}`, (o) =>
    o.paginate(o.rest.pulls.listReviews, { owner: ctx.owner, repo: ctx.repo, pull_number: pr, per_page: 100 }),
  );
  return reviews
    .filter((r) => r.user?.login)
    .map((r) => ({ reviewer: r.user!.login, state: r.state, commitId: r.commit_id ?? null }));
}
