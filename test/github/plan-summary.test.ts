import { describe, expect, it } from 'vitest';
import { planCounts } from '../../src/github/plan-summary.js';
import { planStatus } from '../../src/github/statuses.js';

describe('planCounts', () => {
  it('reads errors, deletes and totals off a plan, for the status and the sync loop', () => {
    const counts = planCounts({
      hasChanges: true,
      summary: { create: 2, update: 1, replace: 0, delete: 3, noop: 4 },
      diagnostics: [
        { severity: 'error', code: 'A', message: 'x' },
        { severity: 'warning', code: 'B', message: 'y' },
        { severity: 'error', code: 'C', message: 'z' },
      ] as never,
    });
    expect(counts).toEqual({ hasChanges: true, errors: 2, deletes: 3, changes: 6, create: 2, update: 1, replace: 0, delete: 3 });
    expect(planStatus(counts)).toEqual({ state: 'failure', description: 'Plan failed: 2 errors' });
  });
});
