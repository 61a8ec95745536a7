import type { Desired } from './desired.js';
import type { Diagnostic } from './diagnostics.js';
import { checkAudience } from './checks/audience.js';
import { CheckContext } from './checks/context.js';
import { checkMembershipCycles } from './checks/cycles.js';
import { checkEmitter } from './checks/emitter.js';
import { checkGraph } from './checks/graph.js';
import { checkDuplicateKeys } from './checks/keys.js';
import { GraphIndex } from '../model/graph-index.js';

/*
 * Static checks of a Desired model: everything that can be known without the warehouse. One
 * implementation for the constructs (attached with node.addValidation, reported with the construct
 * path) and for the manifest loader (reported with the resource address). The seed's messages are
 * used word for word where the seed has one.
 */

export function checkDesired(desired: Desired): Diagnostic[] {
  const out: Diagnostic[] = [];
  const index = new GraphIndex(desired.graph);
  checkDuplicateKeys(desired, out);
  checkGraph(desired.graph, index, out);
  const ctx = new CheckContext(desired, index);
  for (const audience of desired.audiences) checkAudience(audience, ctx, out);
  checkMembershipCycles(desired.audiences, out);
  for (const emitter of desired.emitters) checkEmitter(emitter, ctx, out);
  return out;
}
