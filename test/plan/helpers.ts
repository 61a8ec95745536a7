import type { Desired } from '../../src/model/desired.js';
import { applyPlanLocked, withStackLock } from '../../src/plan/apply.js';
import { buildPlan } from '../../src/plan/build.js';
import type { Provenance } from '../../src/plan/provenance.js';
import type { Plan } from '../../src/plan/types.js';
import { migrateState } from '../../src/state/migrate.js';
import { sharedSession } from '../../src/state/session.js';
import type { Warehouse } from '../../src/warehouse/types.js';

export const PROVENANCE: Provenance = {
  appliedBy: 'ci-bot',
  author: 'Ana <ana@example.test>',
  commitSha: '0123456789abcdef0123456789abcdef01234567',
  branch: 'main',
  prNumber: 42,
  repository: 'acme/audiences',
  runUrl: null,
  ci: 'github-actions',
};

/** Plans and applies `d` on an open warehouse, under the lock, as the CLI does. */
export async function planAndApply(wh: Warehouse, d: Desired, provenance = PROVENANCE): Promise<{ plan: Plan; applyId: string | null }> {
  await migrateState(wh, d.warehouse.stateSchema);
  const session = sharedSession(wh, d.warehouse.stateSchema);
  return withStackLock(session, d.stack, {}, async (lock) => {
    const plan = await buildPlan(wh, d);
    const r = await applyPlanLocked(session, plan, lock, provenance);
    return { plan, applyId: r.applyId };
  });
}
