import type { Command } from 'commander';
import { openGitHubContext, type GitHubContext } from '../github/index.js';
import { listStacks } from '../manifest/index.js';

/** The flags `plan` and `apply` share to find the pull request and commit they report to. */
export interface GitHubCliFlags {
  github?: boolean;
  githubRepo?: string;
  pr?: string;
  sha?: string;
  githubApiUrl?: string;
}

export function withGitHubOptions(cmd: Command, githubHelp: string): Command {
  return cmd
    .option('--github', githubHelp)
    .option('--github-repo <owner/name>', 'repository (default: GITHUB_REPOSITORY)')
    .option('--pr <number>', 'pull request number (default: from the GitHub Actions event)')
    .option('--sha <commit>', 'commit that gets the status (default: the pull request head or GITHUB_SHA)')
    .option('--github-api-url <url>', 'REST API root (default: GITHUB_API_URL or https://api.github.com)');
}

/** The token comes from GITHUB_TOKEN only and never leaves the client (src/github redacts it). */
export function gitHubContextFrom(flags: GitHubCliFlags, env: NodeJS.ProcessEnv = process.env): GitHubContext {
  return openGitHubContext(env, { repository: flags.githubRepo, pr: flags.pr, sha: flags.sha, apiUrl: flags.githubApiUrl });
}

/**
 * The stack to name in the commit status (`linked-audiences/plan: <stack>`): the stack, when the
 * synthesized app holds several; none for an app with one (its status keeps the plain name).
 * Output that cannot be read names none: a plain failing status, while each stack's stays missing.
 */
export function statusStackOf(outDir: string, stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  try {
    return listStacks(outDir).size > 1 ? stack : undefined;
  } catch {
    return undefined;
  }
}
