import type { GitHubContext } from './client.js';

export type StatusContext = `linked-audiences/${'plan' | 'apply'}${'' | `: ${string}`}`;

/**
 * The status context of a plan or an apply: `linked-audiences/plan` for an app with one stack;
 * with several, one per stack (`linked-audiences/plan: marketing`), so one stack's green plan never
 * replaces another's red one on the commit (branch protection requires each).
 */
export function statusContext(kind: 'plan' | 'apply', perStack?: string): StatusContext {
  return perStack ? `linked-audiences/${kind}: ${perStack}` : `linked-audiences/${kind}`;
}
export type StatusState = 'success' | 'failure' | 'pending' | 'error';

/** GitHub cuts a status description at 140 characters; cut it ourselves, visibly. */
const MAX_DESCRIPTION = 140;

export function statusDescription(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_DESCRIPTION ? oneLine : `${oneLine.slice(0, MAX_DESCRIPTION - 1)}…`;
}

/** Sets a commit status on the context's commit, linked to the workflow run when known. */
export async function setCommitStatus(
  ctx: GitHubContext,
  context: StatusContext,
  state: StatusState,
  description: string,
  targetUrl: string | undefined = ctx.runUrl,
): Promise<void> {
  await ctx.api.call(`set status ${context} on ${ctx.sha.slice(0, 12)}`, (o) =>
    o.rest.repos.createCommitStatus({
      owner: ctx.owner,
      repo: ctx.repo,
      sha: ctx.sha,
      state,
      context,
      description: statusDescription(description),
      ...(targetUrl ? { target_url: targetUrl } : {}),
    }),
  );
}

/** What the plan status needs from a plan: its error count and its summary counts. */
export interface PlanStatusInput {
  errors: number;
  create?: number;
  update?: number;
  replace?: number;
  delete?: number;
}

/** success with the counts, or failure with the error count (`Plan failed: 2 errors`). */
export function planStatus(p: PlanStatusInput): { state: StatusState; description: string } {
  if (p.errors > 0) return { state: 'failure', description: `Plan failed: ${p.errors} error${p.errors === 1 ? '' : 's'}` };
  const counts = { create: p.create ?? 0, update: p.update ?? 0, replace: p.replace ?? 0, delete: p.delete ?? 0 };
  if (counts.create + counts.update + counts.replace + counts.delete === 0) return { state: 'success', description: 'No changes' };
  return {
    state: 'success',
    description: `Plan: ${counts.create} to add, ${counts.update} to change, ${counts.replace} to replace, ${counts.delete} to destroy`,
  };
}
