import { readFileSync } from 'node:fs';
import { LinkedError } from '../model/errors.js';

/** Explicit values that win over the GitHub Actions environment (the CLI's flags). */
export interface GitHubFlags {
  /** `owner/name`. */
  repository?: string;
  pr?: number | string;
  /** The commit statuses are set on: the head of the pull request. */
  sha?: string;
  /** REST API root, for GitHub Enterprise Server (`https://ghe.example.com/api/v3`). */
  apiUrl?: string;
}

/** Which pull request and commit a plan or an apply reports to. Holds no credential. */
export interface PullRequestRef {
  owner: string;
  repo: string;
  /** Absent on a push event: `findPullRequestForCommit` can look it up from the commit. */
  pr?: number;
  sha: string;
  apiUrl: string;
  /** The workflow run, linked from commit statuses. */
  runUrl?: string;
}

const DEFAULT_API_URL = 'https://api.github.com';
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const SHA = /^[0-9a-f]{7,40}$/i;

interface ActionsEvent {
  pull_request?: { number?: unknown; head?: { sha?: unknown } };
}

function readEvent(path: string | undefined): ActionsEvent {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new LinkedError('GITHUB_CONTEXT_INVALID', `GITHUB_EVENT_PATH points to ${path}, which cannot be read.`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as ActionsEvent) : {};
  } catch {
    throw new LinkedError('GITHUB_CONTEXT_INVALID', `GITHUB_EVENT_PATH points to ${path}, which is not JSON.`);
  }
}

function parsePr(value: unknown, source: string): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n <= 0) throw new LinkedError('GITHUB_CONTEXT_INVALID', `${source} must be a pull request number (got "${String(value)}").`);
  return n;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/**
 * Works out repository, pull request and commit from flags, else from the GitHub Actions
 * environment. On a `pull_request` event GITHUB_SHA is the temporary merge commit, so the event
 * payload's head sha is preferred: statuses must land on the commit the reviewer sees.
 * The token is not read here (see `connectGitHub`).
 */
export function resolvePullRequestContext(env: NodeJS.ProcessEnv = process.env, flags: GitHubFlags = {}): PullRequestRef {
  const event = readEvent(nonEmpty(env.GITHUB_EVENT_PATH));

  const repository = nonEmpty(flags.repository) ?? nonEmpty(env.GITHUB_REPOSITORY);
  if (!repository) {
    throw new LinkedError('GITHUB_CONTEXT_MISSING', 'The GitHub repository is unknown: run in GitHub Actions (GITHUB_REPOSITORY) or pass --github-repo owner/name.');
  }
  if (!REPOSITORY.test(repository)) {
    throw new LinkedError('GITHUB_CONTEXT_INVALID', `The GitHub repository must be owner/name (got "${repository}").`);
  }
  const [owner, repo] = repository.split('/') as [string, string];

  let pr: number | undefined;
  if (flags.pr !== undefined && String(flags.pr).trim() !== '') pr = parsePr(flags.pr, '--pr');
  else if (event.pull_request?.number !== undefined) pr = parsePr(event.pull_request.number, 'pull_request.number in GITHUB_EVENT_PATH');
  else {
    const fromRef = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(env.GITHUB_REF ?? '')?.[1];
    if (fromRef) pr = Number(fromRef);
  }

  const headSha = typeof event.pull_request?.head?.sha === 'string' ? event.pull_request.head.sha : undefined;
  const sha = nonEmpty(flags.sha) ?? headSha ?? nonEmpty(env.GITHUB_SHA);
  if (!sha) throw new LinkedError('GITHUB_CONTEXT_MISSING', 'The commit is unknown: run in GitHub Actions (GITHUB_SHA) or pass --sha <commit>.');
  if (!SHA.test(sha)) throw new LinkedError('GITHUB_CONTEXT_INVALID', `The commit must be a hexadecimal sha (got "${sha}").`);

  const apiUrl = (nonEmpty(flags.apiUrl) ?? nonEmpty(env.GITHUB_API_URL) ?? DEFAULT_API_URL).replace(/\/+$/, '');
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(apiUrl);
  } catch {
    throw new LinkedError('GITHUB_CONTEXT_INVALID', `The GitHub API URL is not a URL: "${apiUrl}".`);
  }
  if (parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'http:') {
    throw new LinkedError('GITHUB_CONTEXT_INVALID', `The GitHub API URL must be http(s) (got "${parsedUrl.protocol}").`);
  }
  if (parsedUrl.username || parsedUrl.password) {
    throw new LinkedError('GITHUB_CONTEXT_INVALID', 'The GitHub API URL must not carry credentials: the token comes from GITHUB_TOKEN.');
  }

  const runId = nonEmpty(env.GITHUB_RUN_ID);
  const runUrl = runId && nonEmpty(env.GITHUB_REPOSITORY)
    ? `${(nonEmpty(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, '')}/${env.GITHUB_REPOSITORY!.trim()}/actions/runs/${runId}`
    : undefined;

  return { owner, repo, ...(pr !== undefined ? { pr } : {}), sha: sha.toLowerCase(), apiUrl, ...(runUrl ? { runUrl } : {}) };
}
