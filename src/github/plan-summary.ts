import type { Plan } from '../plan/types.js';
import type { PlanStatusInput } from './statuses.js';
import type { PlanLike } from './sync.js';

/** What the commit status and the sync loop need from a plan, read off the plan layer's Plan. */
export function planCounts(plan: Pick<Plan, 'hasChanges' | 'summary' | 'diagnostics'>): PlanLike & PlanStatusInput {
  const { create, update, replace, delete: deletes } = plan.summary;
  return {
    hasChanges: plan.hasChanges,
    errors: plan.diagnostics.filter((d) => d.severity === 'error').length,
    deletes,
    changes: create + update + replace + deletes,
    create,
    update,
    replace,
    delete: deletes,
  };
}
