import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireStackLock, LockStore } from '../../src/state/apply/lock.js';
import { migrateState } from '../../src/state/migrate.js';
import { readAppliedResources, ResourceStore } from '../../src/state/apply/resources.js';
import { sharedSession } from '../../src/state/session.js';
import { ApplyLogStore } from '../../src/state/apply/apply-log.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { desired, rawDesired, tempDir, writeManifest } from './fixtures.js';
import { linked } from './cli-project.js';
import { planAndApply } from './helpers.js';
import { startApplyChild, waitForFile } from './processes.js';

const SCHEMA = 'LINKED_AUDIENCES';

describe('apply across processes', () => {
  it('two racing applies: one wins, the other waits for the lock and fails with the lock message', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'w.duckdb');
    const release = join(dir, 'release');
    await (await openDuckDb(dbPath)).close(); // the warehouse exists; apply refuses a mistyped path
    const a = startApplyChild({ dbPath, audiences: 3, holdLockUntil: release });
    await waitForFile(`${release}.ready`, a.child);

    // The second apply is the CLI's (in this process: a second process beside the child), on the
    // same project and file; it polls the lock every 250 ms.
    writeManifest(dir, desired(rawDesired('w.duckdb', 5)));
    const b = await linked(['apply', '--dir', dir, '--auto-approve', '--lock-timeout', '600ms']);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/^Error \[STATE_LOCKED\]: The state of stack "marketing" is locked by child \d+ since .*; waited [\d.]+s\. .*linked force-unlock [0-9a-f-]{36}`\.\n$/);

    writeFileSync(release, '');
    const won = await a.done;
    expect(won.code).toBe(0);
    expect(won.result).toMatchObject({ ok: true, summary: { create: 6 } });

    const wh = await openDuckDb(dbPath);
    try {
      expect((await readAppliedResources(wh, SCHEMA)).filter((r) => r.kind === 'audience').map((r) => r.key)).toEqual(['aud-0', 'aud-1', 'aud-2']);
      expect(await new ApplyLogStore(wh, SCHEMA).read()).toHaveLength(1);
      expect(await new LockStore(wh, SCHEMA).list()).toEqual([]);
    } finally {
      await wh.close();
    }
  }, 120_000);

  it('a process killed in the middle of an apply leaves the state as it was; force-unlock frees its lock', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'w.duckdb');
    const v1 = desired(rawDesired(dbPath, 2));
    let wh = await openDuckDb(dbPath);
    await planAndApply(wh, v1);
    const before = await new ResourceStore(wh, SCHEMA).stateHash('marketing');
    const rowsBefore = await readAppliedResources(wh, SCHEMA, { includeDeleted: true });
    await wh.close();

    const stall = join(dir, 'stalled');
    const c = startApplyChild({ dbPath, audiences: 6, enableAll: true, stallAfterChange: stall });
    await waitForFile(stall, c.child);
    c.child.kill('SIGKILL');
    const killed = await c.done;
    expect(killed.signal).toBe('SIGKILL');

    wh = await openDuckDb(dbPath);
    try {
      await migrateState(wh, SCHEMA);
      expect(await new ResourceStore(wh, SCHEMA).stateHash('marketing')).toBe(before);
      expect(await readAppliedResources(wh, SCHEMA, { includeDeleted: true })).toEqual(rowsBefore);
      expect(await new ApplyLogStore(wh, SCHEMA).read()).toHaveLength(1);

      // The dead process's lock stays (its apply never finished) until force-unlock.
      const [lock] = await new LockStore(wh, SCHEMA).list();
      expect(lock.holder).toBe(`child ${c.child.pid}`);
      const session = sharedSession(wh, SCHEMA);
      await expect(acquireStackLock(session, 'marketing')).rejects.toMatchObject({ code: 'STATE_LOCKED' });
      await new LockStore(wh, SCHEMA).forceUnlock(lock.id);
      const raw = rawDesired(dbPath, 6);
      for (const a of raw.audiences) a.enabled = true;
      const { applyId } = await planAndApply(wh, desired(raw));
      expect(applyId).toBeTruthy();
      expect((await readAppliedResources(wh, SCHEMA)).filter((r) => r.kind === 'audience' && (r.spec as any).enabled)).toHaveLength(6);
    } finally {
      await wh.close();
    }
  });
});
