import type { Desired } from '../model/desired.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { checkCatalog } from '../graph/catalog.js';
import { checkDesired } from '../model/checks.js';
import type { Warehouse } from '../warehouse/types.js';

/**
 * Diagnostics a plan carries: the static checks (loadDesired already refused their errors; its
 * warnings belong in the plan, and a Desired built in code has not been checked yet) and the
 * Data Graph and audiences checked against the warehouse catalog now.
 */
export async function planDiagnostics(desired: Desired, wh: Warehouse): Promise<Diagnostic[]> {
  return [...checkDesired(desired), ...(await checkCatalog(desired, wh))];
}
