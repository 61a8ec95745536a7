import { LinkedError } from '../model/errors.js';
import type { GitHubContext } from './client.js';
import { findPullRequestForCommit, getPullRequest, listReviews, type PullRequestInfo, type Review } from './pulls.js';

/** Atlantis's apply requirements, checked against the pull request before an apply. */
export type ApplyRequirement = 'approved' | 'mergeable';
export const APPLY_REQUIREMENTS: readonly ApplyRequirement[] = ['approved', 'mergeable'];

export interface RequirementFailure {
  requirement: ApplyRequirement;
  message: string;
}

export interface RequirementsResult {
  ok: boolean;
  /** The pull request checked (looked up from the commit on a push). */
  pr?: number;
  failures: RequirementFailure[];
  /** Reviewers whose latest review approves: recorded with the apply, shown by `linked audit`. */
  approvers: string[];
}

/** `--require approved,mergeable` as a list; a clear error for anything else. */
export function parseRequirements(text: string): ApplyRequirement[] {
  const out: ApplyRequirement[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(APPLY_REQUIREMENTS as readonly string[]).includes(part)) {
      throw new LinkedError('INVALID_ARGUMENT', `--require takes approved and/or mergeable, comma-separated (got "${part}").`);
    }
    if (!out.includes(part as ApplyRequirement)) out.push(part as ApplyRequirement);
  }
  return out;
}

const LEAD: Record<ApplyRequirement, string> = {
  approved: 'apply requires an approved pull request',
  mergeable: 'apply requires a mergeable pull request',
};

/**
 * Each reviewer's standing review, GitHub's way: a later APPROVED or CHANGES_REQUESTED replaces an
 * earlier one, DISMISSED withdraws it, COMMENTED and PENDING change nothing.
 */
export function reviewDecision(reviews: readonly Review[]): { approvers: string[]; changesRequestedBy: string[] } {
  const latest = new Map<string, 'APPROVED' | 'CHANGES_REQUESTED'>();
  for (const r of reviews) {
    if (r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED') {
      latest.delete(r.reviewer); // keep insertion order = order of the standing review
      latest.set(r.reviewer, r.state);
    } else if (r.state === 'DISMISSED') latest.delete(r.reviewer);
  }
  const approvers: string[] = [];
  const changesRequestedBy: string[] = [];
  for (const [reviewer, state] of latest) (state === 'APPROVED' ? approvers : changesRequestedBy).push(reviewer);
  return { approvers, changesRequestedBy };
}

function approvalFailure(pr: number, approvers: string[], changesRequestedBy: string[]): string | undefined {
  if (changesRequestedBy.length) return `#${pr} has changes requested by ${changesRequestedBy.map((u) => `@${u}`).join(', ')}`;
  if (approvers.length === 0) return `#${pr} has no approving review`;
  return undefined;
}

/** Why the pull request cannot be merged, or undefined. A merged pull request was mergeable. */
function mergeabilityFailure(p: PullRequestInfo): string | undefined {
  if (p.merged) return undefined;
  if (p.state !== 'open') return `#${p.number} is closed without being merged`;
  if (p.draft) return `#${p.number} is a draft`;
  if (p.mergeable === null) return `GitHub has not finished computing whether #${p.number} can be merged; retry in a moment`;
  if (p.mergeable === false || p.mergeableState === 'dirty') return `#${p.number} has merge conflicts with its base branch`;
  if (p.mergeableState === 'blocked') return `#${p.number} is blocked by branch protection (required reviews or status checks are missing)`;
  if (p.mergeableState === 'behind') return `#${p.number} is behind its base branch: update it first`;
  return undefined;
}

/**
 * Checks the requirements against the pull request (looked up from the commit on a push to main).
 * Never throws for a failed requirement: the failures come back with their messages; API errors
 * do throw (a LinkedError, token-free).
 */
export async function checkApplyRequirements(ctx: GitHubContext, requirements: readonly ApplyRequirement[]): Promise<RequirementsResult> {
  const pr = ctx.pr ?? (await findPullRequestForCommit(ctx))?.number;
  if (pr === undefined) {
    const failures = requirements.map((requirement) => ({
      requirement,
      message: `${LEAD[requirement]}: commit ${ctx.sha.slice(0, 12)} belongs to no pull request`,
    }));
    return { ok: failures.length === 0, failures, approvers: [] };
  }
  const failures: RequirementFailure[] = [];
  const { approvers, changesRequestedBy } = reviewDecision(await listReviews(ctx, pr));
  if (requirements.includes('approved')) {
    const why = approvalFailure(pr, approvers, changesRequestedBy);
    if (why) failures.push({ requirement: 'approved', message: `${LEAD.approved}: ${why}` });
  }
  if (requirements.includes('mergeable')) {
    const why = mergeabilityFailure(await getPullRequest(ctx, pr));
    if (why) failures.push({ requirement: 'mergeable', message: `${LEAD.mergeable}: ${why}` });
  }
  return { ok: failures.length === 0, pr, failures, approvers };
}

/** `checkApplyRequirements`, refusing with one LinkedError (code APPLY_REQUIREMENTS_FAILED) listing every failure. */
export async function assertApplyRequirements(ctx: GitHubContext, requirements: readonly ApplyRequirement[]): Promise<RequirementsResult> {
  const result = await checkApplyRequirements(ctx, requirements);
  if (!result.ok) {
    throw new LinkedError('APPLY_REQUIREMENTS_FAILED', result.failures.map((f) => f.message).join('; '), {
      pr: result.pr,
      failures: result.failures,
    });
  }
  return result;
}
