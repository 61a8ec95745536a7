import type { GitHubContext } from './client.js';
import { postComment, upsertPlanComment, type CommentResult } from './comments.js';
import { planStatus, setCommitStatus, type PlanStatusInput } from './statuses.js';

/**
 * `linked plan --github`: the plan comment (one per pull request and stack, updated in place) and
 * the `linked-audiences/plan` status. The status is set even without a pull request (a push).
 */
export async function reportPlan(
  ctx: GitHubContext,
  markdown: string,
  plan: PlanStatusInput,
  options: { stack?: string } = {},
): Promise<{ comment?: CommentResult; status: ReturnType<typeof planStatus> }> {
  const comment = ctx.pr !== undefined ? await upsertPlanComment(ctx, markdown, options) : undefined;
  const status = planStatus(plan);
  await setCommitStatus(ctx, 'linked-audiences/plan', status.state, status.description);
  return { ...(comment ? { comment } : {}), status };
}

/**
 * After an apply: the result as a new comment on the pull request (looked up from the commit on a
 * push to main; skipped when there is none) and the `linked-audiences/apply` status.
 */
export async function postApplyResult(
  ctx: GitHubContext,
  markdown: string,
  ok: boolean,
  options: { stack?: string; description?: string } = {},
): Promise<{ comment?: CommentResult }> {
  const comment = await postComment(ctx, 'apply', markdown, { stack: options.stack });
  await setCommitStatus(ctx, 'linked-audiences/apply', ok ? 'success' : 'failure', options.description ?? (ok ? 'Apply succeeded' : 'Apply failed'));
  return comment ? { comment } : {};
}
