import type { Desired } from '../model/desired.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { readAppliedRows } from '../state/apply/resources.js';
import type { Warehouse } from '../warehouse/types.js';
import { makePlan, sealPlan } from './make.js';
import { computeImpact, type ImpactOptions } from './impact.js';
import type { Plan } from './types.js';

export interface BuildPlanOptions {
  /** Diagnostics found by the caller (catalog checks); carried into the plan. */
  diagnostics?: Diagnostic[];
  /** Count membership movement of audiences whose condition changes (`--impact`). */
  impact?: boolean | ImpactOptions;
  now?: Date;
  /** Model address -> construct path, from cdktf.out: where each resource is declared. */
  constructPaths?: ReadonlyMap<string, string>;
}

/** Reads the applied state and diffs the desired stack against it. */
export async function buildPlan(wh: Warehouse, desired: Desired, options: BuildPlanOptions = {}): Promise<Plan> {
  const applied = await readAppliedRows(wh, desired.warehouse.stateSchema, { includeDeleted: true });
  const plan = makePlan(desired, applied.resources, {
    diagnostics: options.diagnostics,
    now: options.now,
    constructPaths: options.constructPaths,
    unreadable: applied.unreadable,
  });
  if (!options.impact) return plan;
  const impact = await computeImpact(wh, desired, plan, options.impact === true ? {} : options.impact);
  return sealPlan({ ...plan, impact });
}
