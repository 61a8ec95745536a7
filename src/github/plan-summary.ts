import type { Plan } from '../plan/types.js';
import type { PlanStatusInput } from './statuses.js';

/** What the commit status and the git-pulling loop need from a plan. */
export interface PlanCounts extends PlanStatusInput {
  hasChanges: boolean;
  deletes: number;
  /** Every actionable change, deletes included. */
  changes: number;
}

/** The counts of a plan, read off the plan layer's Plan. */
export function planCounts(plan: Pick<Plan, 'hasChanges' | 'summary' | 'diagnostics'>): PlanCounts {
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
