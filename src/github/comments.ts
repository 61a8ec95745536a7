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

/**
 * Closes what a cut left open: a fenced block (else the note after the cut reads as part of the
 * diff, and the rest of the comment as code) and the `<details>` the diff sits in. The cut falls
 * between lines, so a fence is never split.
 */
function closeOpenBlocks(cut: string): string {
  const lines = cut.slice(0, cut.lastIndexOf('\n') + 1 || cut.length).split('\n');
  const fences = lines.filter((l) => /^\s*```/.test(l)).length;
  const opened = lines.filter((l) => /<details>/.test(l)).length - lines.filter((l) => /<\/details>/.test(l)).length;
  let out = lines.join('\n').replace(/\n$/, '');
  if (fences % 2 === 1) out += '\n```';
  for (let i = 0; i < opened; i++) out += '\n\n</details>';
  return out;
}

/** The comment body: marker first, the markdown cut to GitHub's limit with a pointer to the full text. */
export function commentBody(marker: string, markdown: string, runUrl?: string): string {
  let text = markdown;
  if (text.length > MAX_BODY) {
    const omitted = text.length - MAX_BODY;
    text = `${closeOpenBlocks(text.slice(0, MAX_BODY))}\n\n… truncated (${omitted} characters omitted)${runUrl ? `: the full text is in the [workflow run](${runUrl})` : ''}.`;
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

/** Every comment of the pull request, across all pages. */
async function listComments(ctx: GitHubContext, pr: number): Promise<IssueComment[]> {
  return (await ctx.api.call(`list comments of #${pr}`, (o) =>
    o.paginate(o.rest.issues.listComments, { owner: ctx.owner, repo: ctx.repo, issue_number: pr, per_page: 100 }),
  )) as IssueComment[];
}

/** Sets a comment's body; an identical body is left alone (no edit, no notification). */
async function editComment(ctx: GitHubContext, pr: number, comment: IssueComment, body: string): Promise<CommentResult> {
  if (comment.body === body) return { id: comment.id, action: 'unchanged', url: comment.html_url };
  const { data } = await ctx.api.call(`update comment ${comment.id} on #${pr}`, (o) =>
    o.rest.issues.updateComment({ owner: ctx.owner, repo: ctx.repo, comment_id: comment.id, body }),
  );
  return { id: Number(data.id), action: 'updated', url: data.html_url };
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
  const comments = await listComments(ctx, pr);
  // Ours starts with the marker (a person quoting it does not); the oldest is the one reviewers have seen.
  // A failure reported before any stack was known (the app did not synthesize) is taken over by
  // the first stack planned after it, so it does not stay behind as a second, stale plan.
  const ours = (m: string) => comments.find((c) => typeof c.body === 'string' && c.body.startsWith(`${m}\n`));
  const existing = ours(marker) ?? (options.stack ? ours(commentMarker('plan')) : undefined);
  if (existing) return editComment(ctx, pr, existing, body);
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

/** Starts every plan comment, whatever its stack. */
const PLAN_MARKER_PREFIX = '<!-- linked-audiences:plan';

/**
 * A plan that could not be made replaces the plan comment: left as it was, the comment would show
 * the plan of an earlier push as the current one. Without a stack (the app did not synthesize,
 * so no stack is known) every plan comment of the pull request gets the failure, as every stack
 * failed; with none yet, one comment without a stack is created.
 */
export async function replacePlanComments(ctx: GitHubContext, markdown: string, options: { stack?: string } = {}): Promise<CommentResult[]> {
  if (options.stack) return [await upsertPlanComment(ctx, markdown, options)];
  const pr = requirePullRequest(ctx, 'Posting the plan');
  const comments = await listComments(ctx, pr);
  const planComments = comments.flatMap((c) => {
    const marker = typeof c.body === 'string' && c.body.startsWith(PLAN_MARKER_PREFIX) ? /^<!-- [^\n]*? -->(?=\n)/.exec(c.body)?.[0] : undefined;
    return marker ? [{ comment: c, marker }] : [];
  });
  if (planComments.length === 0) return [await upsertPlanComment(ctx, markdown)];
  const results: CommentResult[] = [];
  for (const { comment, marker } of planComments) results.push(await editComment(ctx, pr, comment, commentBody(marker, markdown, ctx.runUrl)));
  return results;
}
