import { castJoinsFromSnapshot } from '../graph/catalog.js';
import type { ResourceKind } from '../model/desired.js';
import type { LinkedError } from '../model/errors.js';
import { readAppliedDesired, unreadableError } from '../state/apply/resources.js';
import { CatalogSnapshotStore } from '../state/apply/catalog-snapshots.js';
import type { Warehouse } from '../warehouse/types.js';
import type { ComputeModel } from './model.js';

/**
 * The applied model, as compute and delivery run it: only what was applied (never the unapplied
 * synth), with the relationships whose key types differ, from the catalog snapshot of the apply.
 * Resources whose stored spec cannot be read are left out and listed; a Data Graph that cannot be
 * read is an error, since every audience reads it.
 */
export async function readAppliedModel(wh: Warehouse, schema: string, stack?: string): Promise<ComputeModel | undefined> {
  const applied = await readAppliedDesired(wh, schema, { stack });
  if (!applied.graph) {
    const graph = applied.unreadable.find((r) => r.kind === 'data_graph');
    if (graph) throw unreadableError(graph);
    return undefined;
  }
  const snapshot = await new CatalogSnapshotStore(wh, schema).ofGraph(applied.graph.key);
  return {
    graph: applied.graph,
    audiences: applied.audiences,
    classicAudiences: applied.classicAudiences,
    emitters: applied.emitters,
    castJoins: snapshot ? castJoinsFromSnapshot(applied.graph, snapshot) : [],
    unreadable: applied.unreadable.map(({ kind, key, problem }) => ({ kind, key, problem })),
  };
}

/** Why the model has no `kind` `key` when its stored spec cannot be read (the error to show); undefined otherwise. */
export function unreadableIn(model: ComputeModel | undefined, kind: ResourceKind, key: string): LinkedError | undefined {
  const found = model?.unreadable?.find((r) => r.kind === kind && r.key === key);
  return found ? unreadableError(found) : undefined;
}
