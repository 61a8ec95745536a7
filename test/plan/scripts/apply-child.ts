/**
 * A second process for race and crash tests: applies a fixture stack to a DuckDB file through the
 * same library calls as `linked apply`. Argument: JSON {
 *   dbPath, audiences, enableAll?, lockTimeoutMs?,
 *   holdLockUntil?: file   (after taking the lock and planning, write `<file>.ready` and wait for `<file>`)
 *   stallAfterChange?: file (inside the apply transaction, after the 2nd change, write the file and hang)
 * }. Prints {"ok":true,...} or {"ok":false,"code","message"} and exits 0 / 1.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { applyPlanLocked, withStackLock } from '../../../src/plan/apply.js';
import { buildPlan } from '../../../src/plan/build.js';
import { openPerStepSession } from '../../../src/state/session.js';
import { desired, rawDesired } from '../fixtures.js';
import { PROVENANCE } from '../helpers.js';

const args = JSON.parse(process.argv[2]) as {
  dbPath: string;
  audiences: number;
  enableAll?: boolean;
  lockTimeoutMs?: number;
  holdLockUntil?: string;
  stallAfterChange?: string;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const raw = rawDesired(args.dbPath, args.audiences);
if (args.enableAll) for (const a of raw.audiences) a.enabled = true;
const d = desired(raw);
const session = openPerStepSession(d.warehouse, dirname(args.dbPath), 'linked-audiences:apply');
try {
  const result = await withStackLock(session, d.stack, { timeoutMs: args.lockTimeoutMs ?? 0, pollMs: 100, holder: `child ${process.pid}` }, async (lock) => {
    const plan = await session.withWarehouse((wh) => buildPlan(wh, d));
    if (args.holdLockUntil) {
      writeFileSync(`${args.holdLockUntil}.ready`, lock.id);
      while (!existsSync(args.holdLockUntil)) await sleep(50);
    }
    return applyPlanLocked(session, plan, lock, PROVENANCE, {
      afterChange: async (_c, i) => {
        if (args.stallAfterChange && i === 1) {
          writeFileSync(args.stallAfterChange, lock.id);
          for (;;) await sleep(1000);
        }
      },
    });
  });
  process.stdout.write(JSON.stringify({ ok: true, applyId: result.applyId, summary: result.summary }) + '\n');
} catch (e) {
  const err = e as { code?: string; message: string };
  process.stdout.write(JSON.stringify({ ok: false, code: err.code, message: err.message }) + '\n');
  process.exitCode = 1;
}
