/** The GitHub side of GitOps: pull requests, comments and commit statuses, apply requirements, the audit join. */
export { resolvePullRequestContext, type GitHubFlags, type PullRequestRef } from './context.js';
export {
  GitHubApi,
  connectGitHub,
  openGitHubContext,
  withPullRequestNumber,
  type GitHubClientOptions,
  type GitHubContext,
} from './client.js';
export { upsertPlanComment, commentMarker, type CommentResult } from './comments.js';
export { setCommitStatus, planStatus, statusContext, type PlanStatusInput, type StatusContext, type StatusState } from './statuses.js';
export { reportPlan, reportPlanFailure, postApplyResult } from './report.js';
export { findPullRequestForCommit, getPullRequest, listReviews } from './pulls.js';
export {
  checkApplyRequirements,
  assertApplyRequirements,
  parseRequirements,
  reviewDecision,
  APPLY_REQUIREMENTS,
  type ApplyRequirement,
  type RequirementFailure,
  type RequirementsResult,
} from './requirements.js';
export {
  auditWithGit,
  formatAudit,
  formatAuditCsv,
  formatAuditJson,
  formatAuditMarkdown,
  parseAuditFormat,
  prFromSubject,
  AUDIT_FORMATS,
  type AuditFormat,
  type AuditRecord,
  type AuditSource,
} from './audit.js';
export { redact } from './redact.js';
export { planCounts, type PlanCounts } from './plan-summary.js';
