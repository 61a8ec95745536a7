import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/** Where an apply came from: recorded in the apply log, so every change ties to a commit. */
export interface Provenance {
  /** Who ran the apply: the CI actor, else the git user, else the OS user. */
  appliedBy: string | null;
  /** The commit's author, `Name <email>`. */
  author: string | null;
  commitSha: string | null;
  /** The first line of the commit's message, so a trace shows it after the commit has left the checkout. */
  commitSubject?: string | null;
  branch: string | null;
  prNumber: number | null;
  repository: string | null;
  runUrl: string | null;
  /** `github-actions`, `gitlab-ci`, `ci` or null (a workstation). */
  ci: string | null;
  /**
   * The working tree had uncommitted changes (tracked or untracked files) when the apply ran, so
   * `commitSha` does not describe all of what was applied; null outside a git checkout.
   */
  dirty?: boolean | null;
  /** With `dirty`: the changed paths (at most 20), as `git status` names them. */
  dirtyPaths?: string[];
  /** Reviewers who approved the pull request, when `apply --require` checked it. */
  approvers?: string[];
}

function git(dir: string, args: string[]): string | null {
  try {
    const out = execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', timeout: 5_000 }).trim();
    return out === '' ? null : out;
  } catch {
    return null;
  }
}

const nonEmpty = (...values: (string | undefined | null)[]) => values.find((v) => v !== undefined && v !== null && v !== '') ?? null;

export interface ProvenanceOptions {
  /**
   * Whether an untracked file (its absolute path) is no change to what is applied: what the CLI
   * itself writes (a saved plan, a JUnit report), which would otherwise mark the apply of a plan
   * downloaded into the checkout as made from uncommitted changes.
   */
  notAChange?: (path: string) => boolean;
}

/**
 * Reads git metadata from the project directory and CI variables from `env`; CI values win
 * (a CI checkout is often a detached merge commit). The remote URL is never read: it may embed
 * credentials.
 */
export function readProvenance(dir: string, env: NodeJS.ProcessEnv = process.env, options: ProvenanceOptions = {}): Provenance {
  const prFromRef = /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? '')?.[1];
  const pr = nonEmpty(prFromRef, env.CI_MERGE_REQUEST_IID, env.LINKED_PR_NUMBER);
  const gitBranch = git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']);
  let osUser: string | null = null;
  try {
    osUser = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return {
    appliedBy: nonEmpty(env.GITHUB_ACTOR, env.GITLAB_USER_LOGIN, git(dir, ['config', 'user.email']), osUser),
    author: git(dir, ['log', '-1', '--format=%an <%ae>']),
    commitSha: nonEmpty(env.GITHUB_SHA, env.CI_COMMIT_SHA, git(dir, ['rev-parse', 'HEAD'])),
    commitSubject: git(dir, ['log', '-1', '--format=%s']),
    branch: nonEmpty(env.GITHUB_HEAD_REF, prFromRef ? null : env.GITHUB_REF_NAME, env.CI_COMMIT_REF_NAME, gitBranch === 'HEAD' ? null : gitBranch),
    prNumber: pr === null ? null : Number(pr),
    repository: nonEmpty(env.GITHUB_REPOSITORY, env.CI_PROJECT_PATH),
    runUrl:
      env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY
        ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : nonEmpty(env.CI_PIPELINE_URL),
    ci: env.GITHUB_ACTIONS === 'true' ? 'github-actions' : env.GITLAB_CI ? 'gitlab-ci' : env.CI ? 'ci' : null,
    ...treeState(dir, options.notAChange),
  };
}

const MAX_DIRTY_PATHS = 20;

/**
 * Whether the checkout has uncommitted changes, and which paths (ignored files, such as cdktf.out,
 * do not count, nor untracked files `notAChange` names).
 */
function treeState(dir: string, notAChange: (path: string) => boolean = () => false): Pick<Provenance, 'dirty' | 'dirtyPaths'> {
  if (git(dir, ['rev-parse', '--is-inside-work-tree']) !== 'true') return { dirty: null };
  // Every untracked file by name: `normal` lists a new directory as `dir/`, which hides the plan
  // file a CI download put in it from `notAChange`.
  const status = git(dir, ['status', '--porcelain', '--untracked-files=all']);
  if (!status) return { dirty: false };
  // `XY path` per line, paths from the top of the checkout (the helper trims the first line's leading blank status).
  const top = git(dir, ['rev-parse', '--show-toplevel']) ?? dir;
  const entries = status.split('\n').map((line) => ({ untracked: line.trim().startsWith('??'), path: line.trim().replace(/^\S{1,2}\s+/, '') }));
  const paths = entries.filter((e) => !(e.untracked && notAChange(join(top, e.path)))).map((e) => e.path);
  if (paths.length === 0) return { dirty: false };
  return { dirty: true, dirtyPaths: paths.slice(0, MAX_DIRTY_PATHS) };
}
