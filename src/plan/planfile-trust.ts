import type { Desired } from '../model/desired.js';
import { canonicalJson } from '../state/canonical.js';
import { address, desiredResources } from './make.js';
import type { SavedPlan } from './types.js';

/*
 * A saved plan is a file a pipeline carries between jobs; its planHash is a checksum anyone can
 * recompute, so it proves the file intact, not made by linked. Where the stack's synth is at hand,
 * what apply acts on (the warehouse it connects to with the pipeline's credentials, and every spec
 * it writes, destinations and their secret references included) must be what that synth declares.
 */

/** The first way `plan` departs from `desired` (the synth of its stack), or undefined when it does not. */
export function planDepartureFrom(plan: SavedPlan, desired: Desired): string | undefined {
  if (canonicalJson(plan.warehouse) !== canonicalJson(desired.warehouse)) return 'its warehouse is not the stack\'s';
  if (plan.stateSchema !== desired.warehouse.stateSchema) return `its state schema ${plan.stateSchema} is not the stack's (${desired.warehouse.stateSchema})`;
  const specs = new Map(desiredResources(desired).map((r) => [address(r.kind, r.key), canonicalJson(r.spec)]));
  for (const c of plan.changes) {
    const declared = specs.get(address(c.kind, c.key));
    if (c.address !== address(c.kind, c.key)) return `its change ${c.address} names another resource (${address(c.kind, c.key)})`;
    if (c.after === null && declared !== undefined) return `it deletes ${c.address}, which the stack declares`;
    if (c.after !== null && declared !== canonicalJson(c.after)) return `its ${c.address} is not the one the stack declares`;
  }
  return undefined;
}
