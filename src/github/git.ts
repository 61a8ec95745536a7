import { execFile } from 'node:child_process';
import { LinkedError } from '../model/errors.js';
import { redact } from './redact.js';

export interface GitOptions {
  cwd?: string;
  /** Default 120 s: a clone of a large repository over a slow link, never forever. */
  timeoutMs?: number;
}

/**
 * Runs `git` with an argument array (never a shell). Git is told never to prompt (a missing
 * credential fails instead of hanging the controller). A failure becomes a LinkedError with git's
 * own last words, redacted: stderr can echo a remote URL with its credentials.
 */
export function git(args: readonly string[], options: GitOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const detail = (stderr || error.message).trim().split('\n').slice(-3).join(' ');
        const timedOut = (error as { killed?: boolean }).killed ? ' (timed out)' : '';
        reject(new LinkedError('GIT_FAILED', redact(`git ${args[0]} failed${timedOut}: ${detail}`, [process.env.GITHUB_TOKEN])));
      },
    );
  });
}

/** A branch name git accepts, that cannot be read as an option. */
export async function assertBranchName(branch: string): Promise<void> {
  if (branch.startsWith('-') || branch.trim() === '') throw new LinkedError('INVALID_ARGUMENT', `"${branch}" is not a branch name.`);
  try {
    await git(['check-ref-format', '--branch', branch]);
  } catch {
    throw new LinkedError('INVALID_ARGUMENT', `"${branch}" is not a branch name.`);
  }
}

/** A hexadecimal commit id (4 to 40 characters): what may be passed to git as a revision, never an option. */
export const isCommitSha = (s: string): boolean => /^[0-9a-f]{4,40}$/i.test(s);

/**
 * The subject line of commit `sha` in the checkout at `dir`; null when `dir` is not a checkout
 * holding it, or `sha` is not a commit id (never passed to git as an option).
 */
export async function commitSubjectOf(dir: string, sha: string): Promise<string | null> {
  if (!isCommitSha(sha)) return null;
  try {
    return (await git(['log', '-1', '--format=%s', sha, '--'], { cwd: dir, timeoutMs: 10_000 })).trim() || null;
  } catch {
    return null;
  }
}
