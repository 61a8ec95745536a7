import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPlanLocked, withStackLock } from '../../src/plan/apply.js';
import { buildPlan } from '../../src/plan/build.js';
import { loadPlan, savePlan } from '../../src/plan/planfile.js';
import { readProvenance } from '../../src/plan/provenance.js';
import { ApplyLogStore } from '../../src/state/apply/apply-log.js';
import { LockStore } from '../../src/state/apply/lock.js';
import { readAppliedResources } from '../../src/state/apply/resources.js';
import { sharedSession } from '../../src/state/session.js';
import type { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { desired, rawDesired, tempDir } from './fixtures.js';
import { PROVENANCE, planAndApply } from './helpers.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';

const SCHEMA = 'LINKED_AUDIENCES';

describe('apply', () => {
  let wh: DuckDbWarehouse;
  let dir: string;
  beforeEach(async () => {
    dir = tempDir();
    wh = await openMigratedDuckDb(join(dir, 'w.duckdb'), SCHEMA);
  });
  afterEach(async () => wh.close());

  const applySaved = (file: string) => {
    const session = sharedSession(wh, SCHEMA);
    const plan = loadPlan(file);
    return withStackLock(session, plan.stack, {}, (lock) => applyPlanLocked(session, plan, lock, PROVENANCE));
  };

  it('applies a saved plan once; the same plan is then stale and refused', async () => {
    const file = join(dir, 'plan.json');
    savePlan(file, await buildPlan(wh, desired(rawDesired(':memory:', 2))));
    const first = await applySaved(file);
    expect(first.applyId).toBeTruthy();
    await expect(applySaved(file)).rejects.toMatchObject({
      code: 'PLAN_STALE',
      message: expect.stringMatching(/^The saved plan is stale: the state of stack "marketing" changed since the plan was made at .* \(last apply .* by ci-bot at commit 0123456789ab\)\. Run `linked plan` again/),
    });
    expect(await new ApplyLogStore(wh, SCHEMA).read()).toHaveLength(1);
  });

  it('refuses a saved plan when another apply changed the state after it was made', async () => {
    const raw = rawDesired(':memory:', 2);
    await planAndApply(wh, desired(raw));
    raw.audiences[0].name = 'First';
    const file = join(dir, 'plan.json');
    savePlan(file, await buildPlan(wh, desired(raw)));
    raw.audiences[0].name = 'Second';
    await planAndApply(wh, desired(raw));
    const before = await readAppliedResources(wh, SCHEMA);
    await expect(applySaved(file)).rejects.toMatchObject({ code: 'PLAN_STALE' });
    expect(await readAppliedResources(wh, SCHEMA)).toEqual(before);
  });

  it('refuses a plan file edited after it was made, or of another format', async () => {
    const file = join(dir, 'plan.json');
    savePlan(file, await buildPlan(wh, desired(rawDesired(':memory:', 1))));
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"Audience 0"', '"Hacked"'));
    expect(() => loadPlan(file)).toThrow(expect.objectContaining({ code: 'PLAN_FILE_MODIFIED' }));
    writeFileSync(file, text.replace('"formatVersion": 1', '"formatVersion": 99'));
    expect(() => loadPlan(file)).toThrow(expect.objectContaining({ code: 'PLAN_FILE_INVALID' }));
    writeFileSync(file, '{not json');
    expect(() => loadPlan(file)).toThrow(expect.objectContaining({ code: 'PLAN_FILE_INVALID' }));
  });

  it('an error during apply rolls every change back', async () => {
    const raw = rawDesired(':memory:', 2);
    await planAndApply(wh, desired(raw));
    const before = await readAppliedResources(wh, SCHEMA, { includeDeleted: true });
    raw.audiences[0].name = 'changed';
    raw.audiences.push({ ...raw.audiences[1], key: 'aud-9' });
    const session = sharedSession(wh, SCHEMA);
    const plan = await buildPlan(wh, desired(raw));
    await expect(
      withStackLock(session, 'marketing', {}, (lock) =>
        applyPlanLocked(session, plan, lock, PROVENANCE, {
          afterChange: (_c, i) => {
            if (i === 1) throw new Error('boom');
          },
        }),
      ),
    ).rejects.toThrow('boom');
    expect(await readAppliedResources(wh, SCHEMA, { includeDeleted: true })).toEqual(before);
    expect(await new ApplyLogStore(wh, SCHEMA).read()).toHaveLength(1);
  });

  it('a beforeWrite hook that throws (a signal received after the last check) stops it with nothing written, and the lock is released', async () => {
    const session = sharedSession(wh, SCHEMA);
    const plan = await buildPlan(wh, desired(rawDesired(':memory:', 2)));
    const interrupted = new Error('interrupted');
    await expect(
      withStackLock(session, 'marketing', {}, (lock) =>
        applyPlanLocked(session, plan, lock, PROVENANCE, {
          beforeWrite: () => {
            throw interrupted;
          },
        }),
      ),
    ).rejects.toBe(interrupted);
    expect(await readAppliedResources(wh, SCHEMA, { includeDeleted: true })).toEqual([]);
    expect(await new ApplyLogStore(wh, SCHEMA).read()).toEqual([]);
    expect(await new LockStore(wh, SCHEMA).list()).toEqual([]);
  });

  it('records who, when, which commit, branch, PR, plan hash and the diff in the apply log', async () => {
    const raw = rawDesired(':memory:', 1);
    const { plan: p1, applyId: id1 } = await planAndApply(wh, desired(raw));
    raw.audiences[0].enabled = true;
    raw.destinations[0].settings.headers.Authorization = { secret: 'OTHER_TOKEN' };
    const { plan: p2, applyId: id2 } = await planAndApply(wh, desired(raw), { ...PROVENANCE, prNumber: null, branch: 'feature/x', appliedBy: 'ana', dirty: true, dirtyPaths: ['main.ts'] });

    const log = await new ApplyLogStore(wh, SCHEMA).read();
    expect(log.map((e) => e.id)).toEqual([id2, id1]);
    const [second, first] = log;
    expect([first.dirty, second.dirty, second.metadata.dirtyPaths]).toEqual([null, true, ['main.ts']]);
    expect(first).toMatchObject({
      appliedBy: 'ci-bot',
      author: 'Ana <ana@example.test>',
      commitSha: PROVENANCE.commitSha,
      branch: 'main',
      prNumber: 42,
      repository: 'acme/audiences',
      stack: 'marketing',
      planHash: p1.planHash,
      stateHashBefore: p1.stateHash,
      stateHashAfter: p2.stateHash,
      metadata: expect.objectContaining({ ci: 'github-actions' }),
    });
    expect(first.changes.map((c) => `${c.action} ${c.address}`)).toEqual([
      'create data_graph.graph',
      'create audience.aud-0',
      'create destination.hook',
      'create event_emitter.entered-hook',
    ]);
    // The condition's readable diff is logged with the change: what `linked audit` renders.
    expect(first.changes.find((c) => c.address === 'audience.aud-0')!.conditionDiff).toEqual({ action: 'add', after: 'trait plan = "premium"', path: 'condition', children: [] });
    expect(second).toMatchObject({ appliedBy: 'ana', branch: 'feature/x', prNumber: null, planHash: p2.planHash });
    expect(second.changes).toEqual([
      {
        address: 'audience.aud-0', kind: 'audience', key: 'aud-0', action: 'update',
        attributes: [{ path: 'enabled', action: 'change', before: false, after: true, sensitive: false, forcesReplacement: false }],
      },
      {
        address: 'destination.hook', kind: 'destination', key: 'hook', action: 'update',
        attributes: [{
          path: 'settings.headers.Authorization', action: 'change', before: { secret: 'HOOK_TOKEN' }, after: { secret: 'OTHER_TOKEN' },
          sensitive: true, forcesReplacement: false,
        }],
      },
    ]);
    expect((await new ApplyLogStore(wh, SCHEMA).read({ resource: 'hook' })).map((e) => e.id)).toEqual([id2, id1]);
    expect((await new ApplyLogStore(wh, SCHEMA).read({ resource: 'audience.aud-0' }))[0].changes).toHaveLength(1);
    expect(await new ApplyLogStore(wh, SCHEMA).read({ since: new Date(Date.now() + 60_000) })).toEqual([]);
    // The applied rows carry the same provenance.
    const aud = (await readAppliedResources(wh, SCHEMA)).find((r) => r.key === 'aud-0')!;
    expect(aud).toMatchObject({ appliedBy: 'ana', commitSha: PROVENANCE.commitSha, applyId: id2, version: 2 });
  });

  it('an apply with no changes writes nothing', async () => {
    const d = desired(rawDesired(':memory:', 1));
    await planAndApply(wh, d);
    const { applyId } = await planAndApply(wh, d);
    expect(applyId).toBeNull();
    expect(await new ApplyLogStore(wh, SCHEMA).read()).toHaveLength(1);
  });
});

describe('provenance', () => {
  it('reads commit, author and branch from git in the project directory', () => {
    const repo = tempDir('linked-git-');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'audiences');
    git('config', 'user.name', 'Bea Author');
    git('config', 'user.email', 'bea@example.test');
    writeFileSync(join(repo, 'main.ts'), '// app\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    const p = readProvenance(repo, {});
    expect(p).toMatchObject({
      author: 'Bea Author <bea@example.test>',
      commitSha: git('rev-parse', 'HEAD'),
      commitSubject: 'first',
      branch: 'audiences',
      appliedBy: 'bea@example.test',
      prNumber: null,
      ci: null,
      dirty: false,
    });
    // An uncommitted main.ts: the commit no longer describes what is applied.
    writeFileSync(join(repo, 'main.ts'), '// app, edited\n');
    writeFileSync(join(repo, 'new.ts'), '// new\n');
    expect(readProvenance(repo, {})).toMatchObject({ dirty: true, dirtyPaths: ['main.ts', 'new.ts'] });
  });

  it('prefers CI variables: GitHub pull request merge refs give the PR number and head branch', () => {
    const p = readProvenance(tempDir('linked-nogit-'), {
      GITHUB_ACTIONS: 'true',
      GITHUB_SHA: 'f'.repeat(40),
      GITHUB_REF: 'refs/pull/17/merge',
      GITHUB_REF_NAME: '17/merge',
      GITHUB_HEAD_REF: 'feature/vip',
      GITHUB_ACTOR: 'octocat',
      GITHUB_REPOSITORY: 'acme/audiences',
      GITHUB_RUN_ID: '99',
    });
    expect(p).toEqual({
      appliedBy: 'octocat',
      author: null,
      commitSha: 'f'.repeat(40),
      commitSubject: null,
      branch: 'feature/vip',
      prNumber: 17,
      repository: 'acme/audiences',
      runUrl: 'https://github.com/acme/audiences/actions/runs/99',
      ci: 'github-actions',
      dirty: null,
    });
    const push = readProvenance(tempDir('linked-nogit-'), { GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main', GITHUB_SHA: 'a'.repeat(40) });
    expect(push).toMatchObject({ branch: 'main', prNumber: null, commitSha: 'a'.repeat(40) });
  });
});
