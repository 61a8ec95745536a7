import type { GitHubContext } from './client.js';
import { requirePullRequest } from './client.js';
import { findPullRequestForCommit } from './pulls.js';

/** GitHub refuses comment bodies above 65,536 characters; keep room for the marker and the note. */
const MAX_BODY = 65_000;

export type CommentKind = 'plan' | 'apply';

/**
 * The hidden HTML marker that identifies our comment (Atlantis-style): one per kind and stack, so
 * two stacks planned in one pull request keep a comment each. The stack is URI-encoded so no name
 * can close the HTML comment or collide with another stack's marker.
 */
export function commentMarker(kind: CommentKind, stack?: string): string {
  return `<!-- linked-audiences:${kind}${stack ? ` stack=${encodeURIComponent(stack)}` : ''} -->`;
}

/** The comment body: marker first, the markdown cut to GitHub's limit with a pointer to the full text. */
export function commentBody(marker: string, markdown: string, runUrl?: string): string {
  let text = markdown;
  if (text.length > MAX_BODY) {
    const omitted = text.length - MAX_BODY;
    text = `${text.slice(0, MAX_BODY)}\n\n… truncated (${omitted} characters omitted)${runUrl ? `: the full text is in the [workflow run](${runUrl})` : ''}.`;
  }
  return `${marker}\n${text}`;
}

export interface CommentResult {
  /** GitHub's comment id (the client reads ids beyond 2^53 as bigints; comment ids are far below). */
  id: number;
  action: 'created' | 'updated' | 'unchanged';
  url: string;
}

interface IssueComment {
  id: number;
  body?: string | null;
  html_url: string;
}

/**
 * Posts the plan as ONE comment on the pull request and updates that comment in place on every
 * push: the comment is found by its marker among all the pull request's comments (paginated).
 * An identical body is left alone (no edit, no notification).
 */
export async function upsertPlanComment(ctx: GitHubContext, markdown: string, options: { stack?: string } = {}): Promise<CommentResult> {
  const pr = requirePullRequest(ctx, 'Posting the plan');
  const marker = commentMarker('plan', options.stack);
  const body = commentBody(marker, markdown, ctx.runUrl);
  const comments = await ctx.api.call(`list comments of #${pr}`, (o) =>
    o.paginate(o.rest.issues.listComments, { owner: ctx.owner, repo: ctx.repo, issue_number: pr, per_page: 100 }),
  );
  // Ours starts with the marker (a person quoting it does not); the oldest is the one reviewers have seen.
  const existing = (comments as IssueComment[]).find((c) => typeof c.body === 'string' && c.body.startsWith(`${marker}\n`));
  if (existing) {
    if (existing.body === body) return { id: existing.id, action: 'unchanged', url: existing.html_url };
    const { data } = await ctx.api.call(`update comment ${existing.id} on #${pr}`, (o) =>
      o.rest.issues.updateComment({ owner: ctx.owner, repo: ctx.repo, comment_id: existing.id, body }),
    );
    return { id: Number(data.id), action: 'updated', url: data.html_url };
  }
  const { data } = await ctx.api.call(`comment on #${pr}`, (o) =>
    o.rest.issues.createComment({ owner: ctx.owner, repo: ctx.repo, issue_number: pr, body }),
  );
  return { id: Number(data.id), action: 'created', url: data.html_url };
}

/**
 * Posts an apply result as a new comment (each apply is an event in the pull request's history,
 * as Atlantis does). On a push to main the pull request is looked up from the commit.
 * Returns undefined when the commit belongs to no pull request.
 */
export async function postComment(ctx: GitHubContext, kind: CommentKind, markdown: string, options: { stack?: string } = {}): Promise<CommentResult | undefined> {
  const pr = ctx.pr ?? (await findPullRequestForCommit(ctx))?.number;
  if (pr === undefined) return undefined;
  const body = commentBody(commentMarker(kind, options.stack), markdown, ctx.runUrl);
  const { data } = await ctx.api.call(`comment on #${pr}`, (o) =>
    o.rest.issues.createComment({ owner: ctx.owner, repo: ctx.repo, issue_number: pr, body }),
  );
  return { id: Number(data.id), action: 'created', url: data.html_url };
}
