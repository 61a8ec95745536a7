import { resourceAddress } from '../address.js';
import type { Audience } from '../audience.js';
import { linkedAudiencesUsed } from '../condition-walk.js';
import type { Diagnostic } from '../diagnostics.js';
import { error } from './context.js';

/** The words for a cycle of "part of" conditions, `path` from an audience back to itself; the compiler's guard says the same. */
export const audienceCycleMessage = (path: readonly string[]) => `Audience membership cycle: ${path.join(' -> ')} (an audience cannot depend on its own membership)`;

/** An audience that depends on its own membership, through "part of" conditions. */
export function checkMembershipCycles(audiences: Audience[], out: Diagnostic[]): void {
  // A key declared twice is reported as a duplicate; its "part of" edges would point at either audience.
  const counts = new Map<string, number>();
  for (const a of audiences) counts.set(a.key, (counts.get(a.key) ?? 0) + 1);
  const edges = new Map(audiences.filter((a) => counts.get(a.key) === 1).map((a) => [a.key, linkedAudiencesUsed(a.condition)]));
  const reported = new Set<string>();
  for (const start of edges.keys()) {
    const cycle = findCycle(start, edges);
    if (!cycle) continue;
    const id = [...cycle].sort().join(',');
    if (reported.has(id)) continue;
    reported.add(id);
    for (const key of cycle) {
      const rotated = [...cycle.slice(cycle.indexOf(key)), ...cycle.slice(0, cycle.indexOf(key)), key];
      out.push(
        error('AUDIENCE_CYCLE', audienceCycleMessage(rotated), resourceAddress('audience', key), 'condition'),
      );
    }
  }
}

/** A cycle through `start` (its members in order), or undefined. */
function findCycle(start: string, edges: Map<string, string[]>): string[] | undefined {
  const stack: string[] = [];
  const visited = new Set<string>();
  const visit = (key: string): string[] | undefined => {
    if (key === start && stack.length > 0) return [...stack];
    if (visited.has(key)) return undefined;
    visited.add(key);
    stack.push(key);
    for (const next of edges.get(key) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    return undefined;
  };
  return visit(start);
}
