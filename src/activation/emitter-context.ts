import type { Audience } from '../model/audience.js';
import type { DataGraph } from '../model/graph.js';
import { AppliedModel, type ModelResources } from '../model/applied-model.js';
import type { Destination } from '../model/destination.js';
import type { EventEmitter } from '../model/emitter.js';
import { LinkedError } from '../model/errors.js';
import type { ResourceKind } from '../model/desired.js';
import { groupApplied, readAppliedRows, unreadableError, type AppliedRows, type UnreadableSpec } from '../state/apply/resources.js';
import { CatalogSnapshotStore } from '../state/apply/catalog-snapshots.js';
import { castJoinsFromSnapshot, textKeysFromSnapshot } from '../graph/catalog.js';
import type { Warehouse } from '../warehouse/types.js';
import { eventNameOf } from './build-event.js';
import type { ActionChoice } from './destinations/index.js';
import { planEnrichment, type EnrichmentPlan } from './enrich/plan.js';
import { actionChoiceOf } from './map.js';

/**
 * The resources delivery acts on: the applied ones (or, for test events, the desired ones), indexed
 * by the one applied-model index compute and preview use, plus what only delivery needs.
 */
export interface ActivationModel {
  /** Undefined while no Data Graph is applied (nothing can be delivered then). */
  applied: AppliedModel | undefined;
  /** When each emitter's current incarnation was applied (its delivery start), by key. */
  emitterCreatedAt: Map<string, string | null>;
  /** The stack of each emitter (Segment's space): `context.personas.namespace`. */
  namespaceOf: (emitterKey: string) => string;
  /** Applied resources left out because their stored spec cannot be read (delivery skips them). */
  unreadable?: UnreadableSpec[];
}

export const emittersOf = (model: ActivationModel): EventEmitter[] => model.applied?.resources.emitters ?? [];
export const destinationsOf = (model: ActivationModel): Destination[] => model.applied?.resources.destinations ?? [];

/** Everything needed to turn an emitter's rows into requests. */
export interface ResolvedEmitter {
  emitter: EventEmitter;
  audience: Audience;
  destination: Destination;
  graph: DataGraph;
  plan: EnrichmentPlan;
  choice: ActionChoice;
  eventName: string;
  namespace: string;
  createdAt: string | null;
}

/** The applied model from the state (resources of migration 001). */
export async function readActivationModel(wh: Warehouse, schema: string, stack?: string): Promise<ActivationModel> {
  return activationModelOf(wh, schema, await readAppliedRows(wh, schema, { stack }), stack);
}

/**
 * The model of `rows`, the active applied rows of `stack` (every stack's without one), for a
 * reader that has read them already; only the graph's catalog snapshot is read.
 */
export async function activationModelOf(wh: Warehouse, schema: string, rows: AppliedRows, stack?: string): Promise<ActivationModel> {
  const { graph, unreadable, ...applied } = groupApplied(rows.resources, rows.unreadable);
  const emitterRows = rows.resources.filter((r) => r.kind === 'event_emitter');
  const stacks = new Map(emitterRows.map((r) => [r.key, r.stack ?? stack ?? 'default']));
  return {
    applied: graph ? new AppliedModel({ graph, ...applied, ...(await keyTypesOf(wh, schema, graph)) }) : undefined,
    emitterCreatedAt: new Map(emitterRows.map((r) => [r.key, r.createdAt ?? r.appliedAt])),
    namespaceOf: (key) => stacks.get(key) ?? stack ?? 'default',
    unreadable: unreadable.map(({ kind, key, problem }) => ({ kind, key, problem })),
  };
}

/** Why the model has no `kind` `key` (no key: any of that kind), when its stored spec cannot be read. */
const unreadableIn = (model: ActivationModel, kind: ResourceKind, key?: string) => {
  const found = model.unreadable?.find((r) => r.kind === kind && (key === undefined || r.key === key));
  return found && unreadableError(found);
};

/**
 * From the catalog snapshot of the graph's last apply: relationships whose key types differ, and
 * id columns that are text already. Without a snapshot, every id is cast (as safe as it is slow).
 */
async function keyTypesOf(wh: Warehouse, schema: string, graph: DataGraph): Promise<{ castJoins: string[]; textKeys: string[] }> {
  const snapshot = await new CatalogSnapshotStore(wh, schema).ofGraph(graph.key);
  return snapshot ? { castJoins: castJoinsFromSnapshot(graph, snapshot), textKeys: textKeysFromSnapshot(graph, snapshot) } : { castJoins: [], textKeys: [] };
}

/** Resolves an emitter's audience, destination, enrichment plan and action; errors name what is missing. */
export function resolveEmitter(model: ActivationModel, emitter: EventEmitter): ResolvedEmitter {
  const applied = model.applied;
  if (!applied) throw unreadableIn(model, 'data_graph') ?? new LinkedError('GRAPH_MISSING', 'No Data Graph is applied: apply the stack first.');
  const audience = applied.audience(emitter.audience);
  if (!audience) {
    throw unreadableIn(model, 'audience', emitter.audience) ?? new LinkedError('EMITTER_AUDIENCE_MISSING', `Event emitter "${emitter.key}": the audience "${emitter.audience}" is not applied.`);
  }
  const destination = applied.destination(emitter.destination);
  if (!destination) {
    throw (
      unreadableIn(model, 'destination', emitter.destination) ??
      new LinkedError('EMITTER_DESTINATION_MISSING', `Event emitter "${emitter.key}": the destination "${emitter.destination}" is not applied.`)
    );
  }
  return {
    emitter,
    audience,
    destination,
    graph: applied.graph,
    plan: planEnrichment(applied.graph, audience, emitter, applied.resources),
    choice: actionChoiceOf(destination, emitter),
    eventName: eventNameOf(emitter),
    namespace: model.namespaceOf(emitter.key),
    createdAt: model.emitterCreatedAt.get(emitter.key) ?? null,
  };
}

export function findEmitter(model: ActivationModel, key: string): EventEmitter {
  const e = model.applied?.emitter(key);
  const unreadable = e ? undefined : unreadableIn(model, 'event_emitter', key);
  if (unreadable) throw unreadable;
  if (!e) {
    const known = emittersOf(model).map((x) => x.key).join(', ') || 'none';
    throw new LinkedError('EMITTER_NOT_FOUND', `No event emitter "${key}" (emitters: ${known}).`);
  }
  return e;
}

/**
 * The model of a synthesized stack (not yet applied): what previews and test events use while a
 * user configures an emitter. Delivery start points still come from the applied state when known.
 */
export function modelFromDesired(
  desired: ModelResources & { stack: string },
  applied?: ActivationModel,
): ActivationModel {
  return {
    applied: new AppliedModel({ ...desired, castJoins: applied?.applied?.resources.castJoins, textKeys: applied?.applied?.resources.textKeys }),
    emitterCreatedAt: applied?.emitterCreatedAt ?? new Map(),
    namespaceOf: () => desired.stack,
  };
}
