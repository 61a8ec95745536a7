import type { GitHubContext } from './client.js';
import { postComment, replacePlanComments, upsertPlanComment, type CommentResult } from './comments.js';
import { redactSecrets } from '../secrets.js';
import { fenceSafe } from '../plan/render-markdown.js';
import { planStatus, setCommitStatus, statusContext, type PlanStatusInput, type StatusContext } from './statuses.js';

/**
 * `linked plan --github`: the plan comment (one per pull request and stack, updated in place) and
 * the `linked-audiences/plan` status. The status is set even without a pull request (a push).
 */
export async function reportPlan(
  ctx: GitHubContext,
  markdown: string,
  plan: PlanStatusInput,
  options: { stack?: string; statusStack?: string } = {},
): Promise<{ comment?: CommentResult; status: ReturnType<typeof planStatus> & { context: StatusContext } }> {
  const comment = ctx.pr !== undefined ? await upsertPlanComment(ctx, markdown, { stack: options.stack }) : undefined;
  const status = { ...planStatus(plan), context: statusContext('plan', options.statusStack) };
  await setCommitStatus(ctx, status.context, status.state, status.description);
  return { ...(comment ? { comment } : {}), status };
}

/**
 * `linked plan --github` when no plan could be made (the app failed to synthesize, the warehouse
 * could not be reached): the plan comment says so instead of showing an earlier push's plan, and
 * the head commit gets a failing `linked-audiences/plan`, so the pull request cannot be merged on
 * the strength of a previous commit's green status. The message is masked before it leaves.
 */
export async function reportPlanFailure(
  ctx: GitHubContext,
  message: string,
  options: { stack?: string; statusStack?: string } = {},
): Promise<{ comments: CommentResult[]; status: { state: 'failure'; description: string; context: StatusContext } }> {
  const text = fenceSafe(ctx.api.redact(redactSecrets(message)));
  const title = `### linked plan${options.stack ? `: \`${options.stack}\`` : ''}: failed`;
  const markdown = `${title}\n\nNo plan could be made for ${ctx.sha.slice(0, 12)}:\n\n\`\`\`\n${text}\n\`\`\`\n`;
  const comments = ctx.pr !== undefined ? await replacePlanComments(ctx, markdown, { stack: options.stack }) : [];
  const status = { state: 'failure' as const, description: `Plan failed: ${text.split('\n')[0]}`, context: statusContext('plan', options.statusStack) };
  await setCommitStatus(ctx, status.context, status.state, status.description);
  return { comments, status };
}

/**
 * After an apply: the result as a new comment on the pull request (looked up from the commit on a
 * push to main; skipped when there is none) and the `linked-audiences/apply` status.
 */
export async function postApplyResult(
  ctx: GitHubContext,
  markdown: string,
  ok: boolean,
  options: { stack?: string; statusStack?: string; description?: string } = {},
): Promise<{ comment?: CommentResult }> {
  const comment = await postComment(ctx, 'apply', markdown, { stack: options.stack });
  await setCommitStatus(ctx, statusContext('apply', options.statusStack), ok ? 'success' : 'failure', options.description ?? (ok ? 'Apply succeeded' : 'Apply failed'));
  return comment ? { comment } : {};
}
