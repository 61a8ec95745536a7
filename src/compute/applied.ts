import { readAppliedDesired } from '../state/apply/resources.js';
import type { Warehouse } from '../warehouse/types.js';
import type { ComputeModel } from './model.js';

/** The applied model, as compute runs it: only what was applied computes (never the unapplied synth). */
export async function readAppliedModel(wh: Warehouse, schema: string, stack?: string): Promise<ComputeModel | undefined> {
  const applied = await readAppliedDesired(wh, schema, { stack });
  if (!applied.graph) return undefined;
  return { graph: applied.graph, audiences: applied.audiences, classicAudiences: applied.classicAudiences, emitters: applied.emitters };
}
