import { LinkedError } from '../model/errors.js';
import { resolvePullRequestContext, type GitHubFlags, type PullRequestRef } from './context.js';
import { redact } from './redact.js';
import { checkSecretLength } from '../secrets.js';
import type { RestClient } from './rest.js';

export interface GitHubClientOptions {
  /**
   * GitHub's advice for writes (one at a time, a second apart; three seconds between comments) as
   * octokit's throttling plugin applies it. On by default; tests against a local server turn it off.
   */
  throttle?: boolean;
  /** Retries of a 5xx answer (octokit's retry plugin, 4xx are never retried). Default 3. */
  retries?: number;
  /** Polls of a pull request whose `mergeable` GitHub has not computed yet. Default 5. */
  mergeableAttempts?: number;
  /** Wait before each poll of a pull request whose `mergeable` is still null. Default 1000 ms. */
  mergeableDelayMs?: number;
}

/**
 * The REST client, with its token sealed inside: a private field, so neither JSON.stringify nor
 * util.inspect of a context can show it. Every call goes through `call`, which turns any failure
 * into a LinkedError whose message has been redacted.
 */
export class GitHubApi {
  // Loaded on first use: octokit and its plugins are heavy, and a plan without --github never needs them.
  readonly #octokit: Promise<RestClient>;
  readonly #token: string;
  readonly mergeableAttempts: number;
  readonly mergeableDelayMs: number;

  constructor(apiUrl: string, token: string, options: GitHubClientOptions = {}) {
    this.#token = token;
    this.mergeableAttempts = Math.max(1, options.mergeableAttempts ?? 5);
    this.mergeableDelayMs = Math.max(0, options.mergeableDelayMs ?? 1000);
    this.#octokit = import('./rest.js').then(({ createRestClient }) =>
      createRestClient({ token, baseUrl: apiUrl, retries: options.retries ?? 3, throttle: options.throttle ?? true }),
    );
  }

  /** Runs one API operation; `operation` names it in the error ("list comments of #12"). */
  async call<T>(operation: string, fn: (octokit: RestClient) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.#octokit);
    } catch (e) {
      throw gitHubError(e, operation, this.#token);
    }
  }

  /** Masks the token (and any credential shape) in text this layer is about to show. */
  redact(text: string): string {
    return redact(text, [this.#token]);
  }

  toJSON(): Record<string, never> {
    return {};
  }
}

const HINT: Record<number, string> = {
  401: 'GITHUB_TOKEN was refused: check that the workflow passes a valid token',
  403: 'the token lacks a permission: the workflow needs `permissions: pull-requests: write, statuses: write`',
  404: 'not found: check the repository and pull request, and that the token can see them',
  422: 'GitHub refused the request as invalid',
};

/**
 * A GitHub failure as a LinkedError. Built from the status and GitHub's own message only, then
 * redacted: the original error (which holds the request, headers included) is not kept as cause.
 */
export function gitHubError(e: unknown, operation: string, token: string): LinkedError {
  const err = e as { status?: unknown; message?: unknown; response?: { data?: unknown } };
  const status = typeof err?.status === 'number' ? err.status : undefined;
  const data = err?.response?.data as { message?: unknown } | undefined;
  const ghMessage = typeof data?.message === 'string' ? data.message : typeof err?.message === 'string' ? err.message : String(e);
  const hint = status !== undefined ? HINT[status] : undefined;
  const text = `GitHub: ${operation} failed${status !== undefined ? ` (HTTP ${status})` : ''}: ${ghMessage}${hint ? ` (${hint})` : ''}`;
  return new LinkedError('GITHUB_API_ERROR', redact(text, [token]), status !== undefined ? { status } : undefined);
}

/** A pull request reference with the client to reach it. `api` is not enumerable: printing a context shows no client. */
export type GitHubContext = PullRequestRef & { readonly api: GitHubApi };

/**
 * Attaches a client to a reference. The token is read from GITHUB_TOKEN only (never a flag, which
 * would end up in shell history and process listings).
 */
export function connectGitHub(ref: PullRequestRef, env: NodeJS.ProcessEnv = process.env, options: GitHubClientOptions = {}): GitHubContext {
  const token = env.GITHUB_TOKEN?.trim();
  if (!token) {
    throw new LinkedError(
      'GITHUB_TOKEN_MISSING',
      'GITHUB_TOKEN is not set: in GitHub Actions add `env: { GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }} }` to the step.',
    );
  }
  checkSecretLength('GITHUB_TOKEN', token);
  return withApi(ref, new GitHubApi(ref.apiUrl, token, options));
}

/** `resolvePullRequestContext` then `connectGitHub`: what `linked plan --github` and `linked apply --require` start with. */
export function openGitHubContext(env: NodeJS.ProcessEnv = process.env, flags: GitHubFlags = {}, options: GitHubClientOptions = {}): GitHubContext {
  return connectGitHub(resolvePullRequestContext(env, flags), env, options);
}

/** A copy of `ref` carrying `api` as a non-enumerable property. */
export function withApi(ref: PullRequestRef, api: GitHubApi): GitHubContext {
  const ctx = { ...ref } as PullRequestRef & { api: GitHubApi };
  Object.defineProperty(ctx, 'api', { value: api, enumerable: false });
  return ctx;
}

/** The same context for another pull request number. */
export function withPullRequestNumber(ctx: GitHubContext, pr: number): GitHubContext {
  const { api, ...ref } = ctx;
  return withApi({ ...ref, pr }, api);
}

/** The pull request number or a clear error: commenting needs one. */
export function requirePullRequest(ctx: PullRequestRef, what: string): number {
  if (ctx.pr === undefined) {
    throw new LinkedError('GITHUB_PR_MISSING', `${what} needs a pull request: run on a pull_request event, or pass --pr <number>.`);
  }
  return ctx.pr;
}
