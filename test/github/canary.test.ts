import { inspect } from 'node:util';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openGitHubContext } from '../../src/github/client.js';
import { upsertPlanComment } from '../../src/github/comments.js';
import { checkApplyRequirements } from '../../src/github/requirements.js';
import { setCommitStatus } from '../../src/github/statuses.js';
import { syncOnce } from '../../src/controller/sync-loop.js';
import { recordSyncStatus } from '../../src/controller/sync-status.js';
import { SyncStatusStore } from '../../src/state/control/sync-status.js';
import { migrateState } from '../../src/state/migrate.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { FakeGitHub } from './fake-github.js';
import { GitFixture } from './git-fixture.js';
import { HEAD_SHA } from './helpers.js';

const CANARY = 'canary-7f3c9a1e5b2d4f60';

/** Everything a user or a log could see: the message, the stack (--debug), the details, JSON, inspect. */
function visible(e: unknown): string {
  const err = e as Error & { details?: unknown };
  return [String(err?.message), String(err?.stack), JSON.stringify(err?.details ?? null), JSON.stringify(err), inspect(err, { depth: 8 })].join('\n');
}

describe('the GitHub token never shows', () => {
  let gh: FakeGitHub;
  const env = () => ({ GITHUB_TOKEN: CANARY, GITHUB_REPOSITORY: 'acme/audiences', GITHUB_SHA: HEAD_SHA, GITHUB_REF: 'refs/pull/12/merge', GITHUB_API_URL: gh.url });
  beforeEach(async () => {
    gh = await new FakeGitHub(CANARY).start();
  });
  afterEach(async () => gh.close());

  it('is sent as the auth header and nowhere else, and a printed context does not hold it', async () => {
    const ctx = openGitHubContext(env(), {}, { throttle: false, retries: 0 });
    const result = await upsertPlanComment(ctx, 'plan');
    await setCommitStatus(ctx, 'linked-audiences/plan', 'success', 'No changes');
    expect(gh.requests.every((r) => r.authorization === `token ${CANARY}`)).toBe(true);
    for (const r of gh.requests) expect(JSON.stringify([r.path, r.query, r.body])).not.toContain(CANARY);
    expect(JSON.stringify(ctx)).not.toContain(CANARY);
    expect(inspect(ctx, { depth: 10, showHidden: true })).not.toContain(CANARY);
    expect(JSON.stringify(ctx.api)).not.toContain(CANARY);
    expect(JSON.stringify(result)).not.toContain(CANARY);
  });

  it('is masked in errors, even when the server echoes it back', async () => {
    gh.echoAuthorizationOnError = true;
    gh.failWith = { status: 500, message: 'Internal error' };
    const ctx = openGitHubContext(env(), {}, { throttle: false, retries: 0 });
    const failures = [
      await upsertPlanComment(ctx, 'plan').catch((e) => e),
      await setCommitStatus(ctx, 'linked-audiences/plan', 'failure', 'x').catch((e) => e),
      await checkApplyRequirements(ctx, ['approved']).catch((e) => e),
    ];
    for (const e of failures) {
      expect(e).toMatchObject({ code: 'GITHUB_API_ERROR' });
      expect(e.message).toContain('(you sent: token (redacted))'); // the echo arrived, masked
      expect(visible(e)).not.toContain(CANARY);
    }
  });

  it('is masked when GitHub refuses it (401)', async () => {
    gh.echoAuthorizationOnError = true;
    const ctx = openGitHubContext({ ...env(), GITHUB_TOKEN: `${CANARY}-wrong` }, {}, { throttle: false, retries: 0 });
    const e = await upsertPlanComment(ctx, 'plan').catch((x) => x);
    expect(e.message).toMatch(/HTTP 401.*Bad credentials.*GITHUB_TOKEN was refused/);
    expect(visible(e)).not.toContain(CANARY);
  });

  it('does not reach a sync message or a stored row, even inside a repository URL', async () => {
    const fixture = new GitFixture();
    const saved = process.env.GITHUB_TOKEN;
    process.env.GITHUB_TOKEN = CANARY;
    const wh = await openDuckDb(join(fixture.root, 'state.duckdb'));
    try {
      const noop = async () => {};
      const result = await syncOnce({
        repo: `https://x-access-token:${CANARY}@127.0.0.1:1/acme/audiences.git`,
        branch: 'main',
        workdir: fixture.dir('checkout'),
        prune: false,
        steps: { synth: async (d) => d, plan: async () => ({ hasChanges: false, deletes: 0, errors: 0 }), apply: noop, compute: noop },
      });
      expect(result.status).toBe('failed');
      expect(result.failedStep).toBe('fetch');
      expect(JSON.stringify(result)).not.toContain(CANARY);
      expect(result.source).toBe('https://(redacted)@127.0.0.1:1/acme/audiences.git');

      // A step whose error quotes the token (a misbehaving synth) is masked too.
      fixture.commit({ 'a.txt': '1' }, 'first');
      const leaky = await syncOnce({
        repo: fixture.origin,
        branch: 'main',
        workdir: fixture.dir('checkout2'),
        prune: false,
        steps: { synth: async () => { throw new Error(`cannot use token ${CANARY}`); }, plan: async () => ({ hasChanges: false, deletes: 0, errors: 0 }), apply: noop, compute: noop },
      });
      expect(leaky.message).toBe('synth failed: cannot use token (redacted)');

      await migrateState(wh, 'LINKED_AUDIENCES');
      await recordSyncStatus(wh, 'LINKED_AUDIENCES', 'marketing', { ...result, message: `raw ${CANARY}` });
      const { rows } = await wh.query(`SELECT * FROM "LINKED_AUDIENCES"."sync_status"`);
      expect(JSON.stringify(rows)).not.toContain(CANARY);
      expect((await new SyncStatusStore(wh, 'LINKED_AUDIENCES').read())[0]!.message).toBe('raw (redacted)');
    } finally {
      if (saved === undefined) delete process.env.GITHUB_TOKEN;
      else process.env.GITHUB_TOKEN = saved;
      await wh.close();
      fixture.dispose();
    }
  });

  it('is required, and the error says where it comes from', () => {
    const { GITHUB_TOKEN: _omit, ...rest } = env();
    expect(() => openGitHubContext(rest)).toThrow(/GITHUB_TOKEN is not set/);
  });

  it('is refused when too short to be masked, naming the variable and not the value', () => {
    let e: unknown;
    try {
      openGitHubContext({ ...env(), GITHUB_TOKEN: 'q7z' });
    } catch (err) {
      e = err;
    }
    expect((e as Error | undefined)?.message).toMatch(/GITHUB_TOKEN is shorter than 8 characters/);
    expect(visible(e)).not.toContain('q7z');
  });
});
