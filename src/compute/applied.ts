import { castJoinsFromSnapshot } from '../graph/catalog.js';
import { readAppliedDesired } from '../state/apply/resources.js';
import { CatalogSnapshotStore } from '../state/apply/catalog-snapshots.js';
import type { Warehouse } from '../warehouse/types.js';
import type { ComputeModel } from './model.js';

/**
 * The applied model, as compute and delivery run it: only what was applied (never the unapplied
 * synth), with the relationships whose key types differ, from the catalog snapshot of the apply.
 */
export async function readAppliedModel(wh: Warehouse, schema: string, stack?: string): Promise<ComputeModel | undefined> {
  const applied = await readAppliedDesired(wh, schema, { stack });
  if (!applied.graph) return undefined;
  const snapshot = await new CatalogSnapshotStore(wh, schema).ofGraph(applied.graph.key);
  return {
    graph: applied.graph,
    audiences: applied.audiences,
    classicAudiences: applied.classicAudiences,
    emitters: applied.emitters,
    castJoins: snapshot ? castJoinsFromSnapshot(applied.graph, snapshot) : [],
  };
}
