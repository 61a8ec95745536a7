import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncLoop, syncOnce, type PlanLike, type SyncResult, type SyncSteps } from '../../src/controller/sync-loop.js';
import { recordSyncStatus } from '../../src/controller/sync-status.js';
import { renderSyncStatus } from '../../src/cli/commands/status.js';
import { RESUMED_MESSAGE, SyncStatusStore, type SyncStatusRow } from '../../src/state/control/sync-status.js';
import type { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { GitFixture } from '../github/git-fixture.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';

const SCHEMA = 'LINKED_AUDIENCES';

interface FakePlan extends PlanLike {
  creates: string[];
  deleteKeys: string[];
}

/**
 * Stand-ins for synth / plan / apply / compute that really reconcile: the repository declares
 * resources in resources.json, "applied state" is a set, and the plan is the difference.
 */
class Reconciler {
  applied = new Set<string>();
  calls: string[] = [];
  computeFails = false;

  steps: SyncSteps<FakePlan> = {
    synth: async (dir) => {
      this.calls.push('synth');
      const text = readFileSync(join(dir, 'resources.json'), 'utf8');
      if (text.includes('SYNTH_FAIL')) throw new Error('constructs/app.ts(3,1): Cannot find name "Audiance"');
      const out = join(dir, 'cdktf.out');
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'desired.json'), text);
      return out;
    },
    plan: async (outDir) => {
      this.calls.push('plan');
      const desired = JSON.parse(readFileSync(join(outDir, 'desired.json'), 'utf8')) as string[];
      const creates = desired.filter((k) => !this.applied.has(k));
      const deleteKeys = [...this.applied].filter((k) => !desired.includes(k));
      const errors = desired.filter((k) => k.startsWith('invalid')).length;
      return { creates, deleteKeys, errors, deletes: deleteKeys.length, changes: creates.length + deleteKeys.length, hasChanges: creates.length + deleteKeys.length > 0 };
    },
    apply: async (plan, { prune }) => {
      this.calls.push(`apply(prune=${prune})`);
      for (const k of plan.creates) this.applied.add(k);
      if (prune) for (const k of plan.deleteKeys) this.applied.delete(k);
    },
    compute: async () => {
      this.calls.push('compute');
      if (this.computeFails) throw new Error('warehouse is busy');
    },
  };
}

describe('syncOnce against a real git repository', () => {
  let repo: GitFixture;
  let r: Reconciler;
  let workdir: string;
  const resources = (keys: string[]) => ({ 'resources.json': JSON.stringify(keys), '.gitignore': 'cdktf.out\n' });
  const sync = (extra: { prune?: boolean; suspend?: boolean } = {}) =>
    syncOnce({ repo: repo.origin, branch: 'main', workdir, prune: extra.prune ?? false, suspend: extra.suspend, steps: r.steps });

  beforeEach(() => {
    repo = new GitFixture();
    r = new Reconciler();
    workdir = repo.dir('controller/checkout');
  });
  afterEach(() => repo.dispose());

  it('clones on first use, then follows new commits: synced at each commit', async () => {
    const c1 = repo.commit(resources(['audience.vip']), 'Add vip');
    const first = await sync();
    expect(first).toMatchObject({ status: 'synced', commit: c1, syncedCommit: c1, applied: true, computed: true, message: null, branch: 'main', source: repo.origin });
    expect([...r.applied]).toEqual(['audience.vip']);
    expect(r.calls).toEqual(['synth', 'plan', 'apply(prune=false)', 'compute']);

    // Local edits in the controller's checkout never survive a sync.
    writeFileSync(join(workdir, 'resources.json'), '["audience.local-hack"]');
    writeFileSync(join(workdir, 'stray.ts'), 'export {}');
    const c2 = repo.commit(resources(['audience.vip', 'audience.churn']), 'Add churn');
    const second = await sync();
    expect(second).toMatchObject({ status: 'synced', commit: c2, syncedCommit: c2 });
    expect([...r.applied].sort()).toEqual(['audience.churn', 'audience.vip']);
    expect(existsSync(join(workdir, 'stray.ts'))).toBe(false);
    expect(existsSync(join(workdir, 'cdktf.out'))).toBe(true); // ignored build output is kept

    r.calls = [];
    const idle = await sync();
    expect(idle).toMatchObject({ status: 'synced', commit: c2, applied: false, computed: true });
    expect(r.calls).toEqual(['synth', 'plan', 'compute']);
  });

  it('fails with the message when the plan has errors; nothing is applied; compute still runs on the applied state', async () => {
    repo.commit(resources(['audience.vip']), 'Add vip');
    await sync();
    const bad = repo.commit(resources(['audience.vip', 'invalid-audience']), 'Break it');
    r.calls = [];
    const result = await sync();
    expect(result).toMatchObject({ status: 'failed', failedStep: 'plan', commit: bad, syncedCommit: null, applied: false, computed: true });
    expect(result.message).toBe(`plan failed: the plan of ${bad.slice(0, 12)} has 1 error`);
    expect(r.calls).toEqual(['synth', 'plan', 'compute']);
    expect([...r.applied]).toEqual(['audience.vip']);
  });

  it('reports a synth failure and a compute failure with their step', async () => {
    repo.commit({ 'resources.json': 'SYNTH_FAIL' }, 'Typo');
    r.computeFails = true;
    const result = await sync();
    expect(result.status).toBe('failed');
    expect(result.failedStep).toBe('synth');
    expect(result.message).toBe('synth failed: constructs/app.ts(3,1): Cannot find name "Audiance"; compute failed: warehouse is busy');

    const c = repo.commit(resources(['audience.vip']), 'Fix');
    const computeOnly = await sync();
    expect(computeOnly).toMatchObject({ status: 'failed', failedStep: 'compute', syncedCommit: c, applied: true, message: 'compute failed: warehouse is busy' });
  });

  it('leaves deletions alone without prune (out of sync), applies them with prune', async () => {
    repo.commit(resources(['audience.vip', 'audience.old']), 'Two');
    await sync();
    const c2 = repo.commit(resources(['audience.vip']), 'Remove old');
    r.calls = [];
    const kept = await sync({ prune: false });
    expect(kept).toMatchObject({ status: 'out of sync', commit: c2, syncedCommit: c2, pendingDeletes: 1, applied: false });
    expect(kept.message).toBe('1 resource removed from git still exists: deleting needs --prune');
    expect(r.calls).toEqual(['synth', 'plan', 'compute']); // only deletions: apply not called
    expect([...r.applied].sort()).toEqual(['audience.old', 'audience.vip']);

    // Deletions mixed with a create: the create is applied, the deletion is not.
    repo.commit(resources(['audience.vip', 'audience.new']), 'Add new');
    const mixed = await sync({ prune: false });
    expect(mixed).toMatchObject({ status: 'out of sync', applied: true, pendingDeletes: 1 });
    expect([...r.applied].sort()).toEqual(['audience.new', 'audience.old', 'audience.vip']);

    const pruned = await sync({ prune: true });
    expect(pruned).toMatchObject({ status: 'synced', pendingDeletes: 0, applied: true });
    expect([...r.applied].sort()).toEqual(['audience.new', 'audience.vip']);
  });

  it('honours suspend: no pull, no apply, no compute', async () => {
    const c1 = repo.commit(resources(['audience.vip']), 'One');
    await sync();
    repo.commit(resources(['audience.vip', 'audience.new']), 'Two');
    r.calls = [];
    const suspended = await sync({ suspend: true });
    expect(suspended).toMatchObject({ status: 'suspended', commit: null, syncedCommit: null, applied: false, computed: false });
    expect(r.calls).toEqual([]);
    expect(repo.git(['rev-parse', 'HEAD'], workdir)).toBe(c1);
  });

  it('fails clearly on a missing branch, a bad branch name and a directory that is not a checkout', async () => {
    repo.commit(resources(['a']), 'One');
    const missing = await syncOnce({ repo: repo.origin, branch: 'release', workdir, prune: false, steps: r.steps });
    expect(missing).toMatchObject({ status: 'failed', failedStep: 'fetch' });
    expect(missing.message).toMatch(/^fetch failed: git clone failed: .*release/);
    const option = await syncOnce({ repo: repo.origin, branch: '--upload-pack=touch /tmp/x', workdir, prune: false, steps: r.steps });
    expect(option.message).toBe('fetch failed: "--upload-pack=touch /tmp/x" is not a branch name.');
    const busy = repo.dir('busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    const notCheckout = await syncOnce({ repo: repo.origin, branch: 'main', workdir: busy, prune: false, steps: r.steps });
    expect(notCheckout.message).toBe(`fetch failed: ${busy} exists and is not a git checkout: give the controller an empty or new directory.`);
  });
});

describe('sync status in the state schema, driven by syncLoop', () => {
  let repo: GitFixture;
  let wh: DuckDbWarehouse;
  beforeEach(async () => {
    repo = new GitFixture();
    wh = await openMigratedDuckDb(join(repo.root, 'state.duckdb'), SCHEMA);
  });
  afterEach(async () => {
    await wh.close();
    repo.dispose();
  });

  it('records every attempt; a failure keeps the last synced commit; suspend is read on every tick', async () => {
    const good = repo.commit({ 'resources.json': '["audience.vip"]' }, 'One');
    const r = new Reconciler();
    const controller = new AbortController();
    const seen: SyncResult[] = [];
    const rows: SyncStatusRow[][] = [];
    let suspend = false;
    await syncLoop({
      repo: repo.origin,
      branch: 'main',
      workdir: repo.dir('checkout'),
      prune: false,
      suspend: () => suspend,
      steps: r.steps,
      intervalMs: 5,
      signal: controller.signal,
      onResult: async (result) => {
        seen.push(result);
        await recordSyncStatus(wh, SCHEMA, 'marketing', result);
        rows.push(await new SyncStatusStore(wh, SCHEMA).read());
        if (seen.length === 1) repo.commit({ 'resources.json': '["invalid-x"]' }, 'Break');
        if (seen.length === 2) suspend = true;
        if (seen.length === 3) controller.abort();
      },
    });
    expect(seen.map((s) => s.status)).toEqual(['synced', 'failed', 'suspended']);
    expect(rows[0]).toEqual([
      expect.objectContaining({ stack: 'marketing', status: 'synced', lastSyncedCommit: good, attemptedCommit: good, message: null, source: repo.origin, branch: 'main' }),
    ]);
    expect(rows[1]![0]).toMatchObject({ status: 'failed', lastSyncedCommit: good, message: expect.stringMatching(/^plan failed: the plan of [0-9a-f]{12} has 1 error$/) });
    expect(rows[1]![0]!.attemptedCommit).not.toBe(good);
    expect(rows[2]![0]).toMatchObject({ status: 'suspended', lastSyncedCommit: good, attemptedCommit: null });
    expect(rows[2]![0]!.lastSyncedAt).toBe(rows[0]![0]!.lastSyncedAt);
    expect(new Date(rows[2]![0]!.lastAttemptAt).getTime()).toBe(seen[2]!.attemptedAt.getTime());
  });

  it('keeps the time a commit was synced while later attempts find it applied', async () => {
    const c1 = repo.commit({ 'resources.json': '["audience.vip"]' }, 'One');
    const r = new Reconciler();
    const controller = new AbortController();
    const seen: SyncResult[] = [];
    const rows: SyncStatusRow[] = [];
    let c2 = '';
    await syncLoop({
      repo: repo.origin, branch: 'main', workdir: repo.dir('checkout'), prune: false, steps: r.steps, intervalMs: 5, signal: controller.signal,
      onResult: async (result) => {
        seen.push(result);
        await recordSyncStatus(wh, SCHEMA, 'marketing', result);
        rows.push((await new SyncStatusStore(wh, SCHEMA).read('marketing'))[0]!);
        if (seen.length === 2) c2 = repo.commit({ 'resources.json': '["audience.vip", "audience.churn"]' }, 'Two');
        if (seen.length === 3) controller.abort();
      },
    });
    expect(seen.map((s) => [s.commit, s.applied])).toEqual([[c1, true], [c1, false], [c2, true]]);
    expect(rows.map((row) => row.lastSyncedCommit)).toEqual([c1, c1, c2]);
    const at = (i: number) => new Date(rows[i]!.lastSyncedAt!).getTime();
    expect(at(0)).toBe(seen[0]!.attemptedAt.getTime());
    expect(at(1), 'the second attempt applied nothing: c1 was synced at the first').toBe(at(0));
    expect(new Date(rows[1]!.lastAttemptAt).getTime()).toBe(seen[1]!.attemptedAt.getTime());
    expect(at(2)).toBe(seen[2]!.attemptedAt.getTime());
  });

  it('suspends and resumes through the state: a running loop reads it on every tick', async () => {
    const c1 = repo.commit({ 'resources.json': '["audience.vip"]' }, 'One');
    const r = new Reconciler();
    const controller = new AbortController();
    const seen: SyncResult[] = [];
    // Read inside onResult, asserted after the loop: the loop hands a throw of onResult to onError.
    let suspendedRows: SyncStatusRow[] = [];
    let resumed: SyncStatusRow | undefined;
    await new SyncStatusStore(wh, SCHEMA).setSuspended('marketing', false); // resuming a stack that never ran: no row
    expect(await new SyncStatusStore(wh, SCHEMA).read()).toEqual([]);
    await new SyncStatusStore(wh, SCHEMA).setSuspended('marketing', true);
    await syncLoop({
      repo: repo.origin, branch: 'main', workdir: repo.dir('checkout'), prune: false, steps: r.steps, intervalMs: 1, signal: controller.signal,
      suspend: () => new SyncStatusStore(wh, SCHEMA).isSuspended('marketing'),
      onResult: async (result) => {
        seen.push(result);
        await recordSyncStatus(wh, SCHEMA, 'marketing', result);
        if (seen.length === 1) {
          suspendedRows = await new SyncStatusStore(wh, SCHEMA).read();
          await new SyncStatusStore(wh, SCHEMA).setSuspended('marketing', false);
          [resumed] = await new SyncStatusStore(wh, SCHEMA).read('marketing');
        } else controller.abort();
      },
    });
    expect(seen.map((s) => s.status)).toEqual(['suspended', 'synced']);
    expect(suspendedRows).toEqual([expect.objectContaining({ status: 'suspended', suspended: true, lastSyncedCommit: null })]);
    // Resumed, not yet attempted: the row must not go on saying nothing is pulled until it is resumed.
    expect(resumed).toMatchObject({ status: 'suspended', suspended: false, message: RESUMED_MESSAGE });
    expect(renderSyncStatus(resumed!)).toContain('Sync: resumed, waiting for the next attempt');
    expect(r.calls).toEqual(['synth', 'plan', 'apply(prune=false)', 'compute']);
    expect(await new SyncStatusStore(wh, SCHEMA).read('marketing')).toEqual([expect.objectContaining({ status: 'synced', suspended: false, lastSyncedCommit: c1 })]);
  });

  it('runs idle work between attempts, never during one', async () => {
    repo.commit({ 'resources.json': '["audience.vip"]' }, 'One');
    const r = new Reconciler();
    const controller = new AbortController();
    const order: string[] = [];
    let inAttempt = false;
    const steps: SyncSteps<FakePlan> = {
      ...r.steps,
      synth: async (dir, commit) => {
        inAttempt = true;
        order.push('attempt');
        return r.steps.synth(dir, commit);
      },
      compute: async () => {
        await r.steps.compute();
        inAttempt = false;
      },
    };
    await syncLoop({
      repo: repo.origin, branch: 'main', workdir: repo.dir('checkout'), prune: false, steps, intervalMs: 150, signal: controller.signal,
      idle: {
        everyMs: 20,
        run: async () => {
          expect(inAttempt).toBe(false);
          order.push('idle');
        },
      },
      onResult: () => {
        if (order.filter((o) => o === 'attempt').length === 2) controller.abort();
      },
    });
    expect(order[0]).toBe('attempt');
    expect(order.at(-1)).toBe('attempt');
    const idleBetween = order.slice(1, -1);
    expect(idleBetween.length).toBeGreaterThanOrEqual(2);
    expect(idleBetween.every((o) => o === 'idle')).toBe(true);
  });

  it('keeps going when recording fails, and rejects a non-positive interval', async () => {
    repo.commit({ 'resources.json': '[]' }, 'Empty');
    const controller = new AbortController();
    const errors: unknown[] = [];
    let ticks = 0;
    await syncLoop({
      repo: repo.origin, branch: 'main', workdir: repo.dir('checkout'), prune: false, steps: new Reconciler().steps, intervalMs: 1, signal: controller.signal,
      onResult: () => {
        if (++ticks === 2) controller.abort();
        throw new Error('state is locked');
      },
      onError: (e) => errors.push(e),
    });
    expect(ticks).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['state is locked', 'state is locked']);
    await expect(syncLoop({ repo: repo.origin, branch: 'main', workdir: repo.dir('x'), prune: false, steps: new Reconciler().steps, intervalMs: 0, signal: controller.signal })).rejects.toThrow(/positive/);
  });
});
