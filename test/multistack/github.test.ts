import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../github/fake-github.js';
import { linked } from '../plan/cli-project.js';
import { marketingAndRisk, multiStackProject } from './project.js';

/*
 * A pull request of an app with two stacks, planned and applied one stack at a time as the
 * documented workflow does, against the local GitHub server of test/github (127.0.0.1).
 */
const TOKEN = 'canary-token-7c2a9d10';
const SHA = 'b'.repeat(40);

describe('GitHub statuses of an app with several stacks', () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await new FakeGitHub(TOKEN).start();
    gh.addPull({ number: 9, head: { sha: SHA } });
  });
  afterEach(() => gh.close());

  const github = ['--github', '--github-repo', 'acme/audiences', '--pr', '9', '--sha', SHA];
  const env = () => ({ GITHUB_TOKEN: TOKEN, GITHUB_ACTIONS: '', GITHUB_EVENT_PATH: '', GITHUB_REPOSITORY: '', GITHUB_SHA: '', GITHUB_API_URL: gh.url });
  const latest = (context: string) => gh.statuses.filter((s) => s.context === context).at(-1)?.state;

  it('each stack has its own plan and apply status, so one stack\'s success never hides another\'s failure', async () => {
    // Both keep the Data Graph key `graph` in one state schema: once marketing is applied, risk's plan fails.
    const dir = await multiStackProject(marketingAndRisk('http://127.0.0.1:9').map((s) => ({ ...s, graphKey: 'graph' })));
    expect((await linked(['apply', '--dir', dir, '--stack', 'marketing', '--auto-approve'])).status).toBe(0);

    const risk = await linked(['plan', '--dir', dir, '--stack', 'risk', ...github], env());
    expect(risk.status).toBe(1);
    expect(risk.stderr).toContain('status linked-audiences/plan: risk failure');
    const marketing = await linked(['plan', '--dir', dir, '--stack', 'marketing', ...github], env());
    expect(marketing.status, marketing.stderr).toBe(0);

    expect(latest('linked-audiences/plan: risk')).toBe('failure');
    expect(latest('linked-audiences/plan: marketing')).toBe('success');
    expect(gh.statuses.filter((s) => s.context === 'linked-audiences/plan')).toEqual([]);
    expect((gh.comments.get(9) ?? []).map((c) => c.body.split('\n')[0]).sort()).toEqual([
      '<!-- linked-audiences:plan stack=marketing -->',
      '<!-- linked-audiences:plan stack=risk -->',
    ]);

    const apply = await linked(['apply', '--dir', dir, '--stack', 'risk', '--auto-approve', ...github], env());
    expect(apply.status).toBe(1);
    expect(latest('linked-audiences/apply: risk')).toBe('failure');
    expect(gh.statuses.filter((s) => s.context === 'linked-audiences/apply')).toEqual([]);
  });
});
