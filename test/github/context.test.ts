import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePullRequestContext } from '../../src/github/context.js';

const HEAD = '1111111111111111111111111111111111111111';
const MERGE = '2222222222222222222222222222222222222222';

function eventFile(payload: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'linked-event-')), 'event.json');
  writeFileSync(path, JSON.stringify(payload));
  return path;
}

describe('resolvePullRequestContext', () => {
  it('reads a pull_request event: PR number and HEAD sha from the payload, not the merge commit', () => {
    const ctx = resolvePullRequestContext({
      GITHUB_REPOSITORY: 'acme/audiences',
      GITHUB_SHA: MERGE,
      GITHUB_REF: 'refs/pull/12/merge',
      GITHUB_EVENT_PATH: eventFile({ pull_request: { number: 12, head: { sha: HEAD } } }),
      GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
      GITHUB_SERVER_URL: 'https://ghe.example.com',
      GITHUB_RUN_ID: '99',
    });
    expect(ctx).toEqual({
      owner: 'acme', repo: 'audiences', pr: 12, sha: HEAD, apiUrl: 'https://ghe.example.com/api/v3',
      runUrl: 'https://ghe.example.com/acme/audiences/actions/runs/99',
    });
  });

  it('takes the PR from refs/pull/N/merge when there is no event payload, and defaults the API URL', () => {
    const ctx = resolvePullRequestContext({ GITHUB_REPOSITORY: 'acme/audiences', GITHUB_SHA: MERGE, GITHUB_REF: 'refs/pull/7/merge' });
    expect(ctx).toEqual({ owner: 'acme', repo: 'audiences', pr: 7, sha: MERGE, apiUrl: 'https://api.github.com' });
  });

  it('has no PR on a push to main', () => {
    const ctx = resolvePullRequestContext({ GITHUB_REPOSITORY: 'acme/audiences', GITHUB_SHA: MERGE, GITHUB_REF: 'refs/heads/main' });
    expect(ctx.pr).toBeUndefined();
    expect(ctx.sha).toBe(MERGE);
  });

  it('lets flags win over the environment', () => {
    const ctx = resolvePullRequestContext(
      { GITHUB_REPOSITORY: 'acme/audiences', GITHUB_SHA: MERGE, GITHUB_REF: 'refs/pull/7/merge' },
      { repository: 'other/repo', pr: '31', sha: HEAD.toUpperCase(), apiUrl: 'http://127.0.0.1:9' },
    );
    expect(ctx).toEqual({ owner: 'other', repo: 'repo', pr: 31, sha: HEAD, apiUrl: 'http://127.0.0.1:9' });
  });

  it('explains what is missing or malformed', () => {
    expect(() => resolvePullRequestContext({})).toThrow(/GITHUB_REPOSITORY.*--github-repo owner\/name/);
    expect(() => resolvePullRequestContext({ GITHUB_REPOSITORY: 'acme/audiences' })).toThrow(/commit is unknown/);
    expect(() => resolvePullRequestContext({ GITHUB_REPOSITORY: 'acme' , GITHUB_SHA: HEAD })).toThrow(/owner\/name/);
    expect(() => resolvePullRequestContext({ GITHUB_REPOSITORY: 'acme/a', GITHUB_SHA: 'main; rm -rf' })).toThrow(/hexadecimal sha/);
    expect(() => resolvePullRequestContext({ GITHUB_REPOSITORY: 'acme/a', GITHUB_SHA: HEAD }, { pr: 'x' })).toThrow(/--pr must be a pull request number/);
    expect(() => resolvePullRequestContext({ GITHUB_REPOSITORY: 'acme/a', GITHUB_SHA: HEAD, GITHUB_EVENT_PATH: '/nonexistent/event.json' })).toThrow(/cannot be read/);
    expect(() => resolvePullRequestContext({ GITHUB_REPOSITORY: 'acme/a', GITHUB_SHA: HEAD }, { apiUrl: 'https://u:p@api.example.com' })).toThrow(/must not carry credentials/);
  });
});
