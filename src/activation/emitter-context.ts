import type { Audience } from '../model/audience.js';
import type { Destination } from '../model/destination.js';
import type { EventEmitter } from '../model/emitter.js';
import { LinkedError } from '../model/errors.js';
import type { DataGraph } from '../model/graph.js';
import { readAppliedResources, groupApplied } from '../state/apply/resources.js';
import type { Warehouse } from '../warehouse/types.js';
import { eventNameOf } from './build-event.js';
import type { ActionChoice } from './destinations/index.js';
import { planEnrichment, type EnrichmentPlan } from './enrich/plan.js';
import { actionChoiceOf } from './map.js';

/** The resources delivery acts on: the applied ones (or, for test events, the desired ones). */
export interface ActivationModel {
  graph: DataGraph | undefined;
  audiences: Audience[];
  destinations: Destination[];
  emitters: EventEmitter[];
  /** When each emitter's current incarnation was applied (its delivery start), by key. */
  emitterCreatedAt: Map<string, string | null>;
  /** The stack of each emitter (Segment's space): `context.personas.namespace`. */
  namespaceOf: (emitterKey: string) => string;
}

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
  const resources = await readAppliedResources(wh, schema, { stack });
  const applied = groupApplied(resources);
  const emitterRows = resources.filter((r) => r.kind === 'event_emitter');
  const stacks = new Map(emitterRows.map((r) => [r.key, r.stack ?? stack ?? 'default']));
  return {
    graph: applied.graph,
    audiences: applied.audiences,
    destinations: applied.destinations,
    emitters: applied.emitters,
    emitterCreatedAt: new Map(emitterRows.map((r) => [r.key, r.createdAt ?? r.appliedAt])),
    namespaceOf: (key) => stacks.get(key) ?? stack ?? 'default',
  };
}

/** Resolves an emitter's audience, destination, enrichment plan and action; errors name what is missing. */
export function resolveEmitter(model: ActivationModel, emitter: EventEmitter): ResolvedEmitter {
  const audience = model.audiences.find((a) => a.key === emitter.audience);
  if (!audience) throw new LinkedError('EMITTER_AUDIENCE_MISSING', `Event emitter "${emitter.key}": the audience "${emitter.audience}" is not applied.`);
  const destination = model.destinations.find((d) => d.key === emitter.destination);
  if (!destination) {
    throw new LinkedError('EMITTER_DESTINATION_MISSING', `Event emitter "${emitter.key}": the destination "${emitter.destination}" is not applied.`);
  }
  if (!model.graph) throw new LinkedError('GRAPH_MISSING', 'No Data Graph is applied: apply the stack first.');
  return {
    emitter,
    audience,
    destination,
    graph: model.graph,
    plan: planEnrichment(model.graph, audience, emitter),
    choice: actionChoiceOf(destination, emitter),
    eventName: eventNameOf(emitter),
    namespace: model.namespaceOf(emitter.key),
    createdAt: model.emitterCreatedAt.get(emitter.key) ?? null,
  };
}

export function findEmitter(model: ActivationModel, key: string): EventEmitter {
  const e = model.emitters.find((x) => x.key === key);
  if (!e) {
    const known = model.emitters.map((x) => x.key).join(', ') || 'none';
    throw new LinkedError('EMITTER_NOT_FOUND', `No event emitter "${key}" (emitters: ${known}).`);
  }
  return e;
}

/**
 * The model of a synthesized stack (not yet applied): what previews and test events use while a
 * user configures an emitter. Delivery start points still come from the applied state when known.
 */
export function modelFromDesired(
  desired: { stack: string; graph: DataGraph; audiences: Audience[]; destinations: Destination[]; emitters: EventEmitter[] },
  applied?: ActivationModel,
): ActivationModel {
  return {
    graph: desired.graph,
    audiences: desired.audiences,
    destinations: desired.destinations,
    emitters: desired.emitters,
    emitterCreatedAt: applied?.emitterCreatedAt ?? new Map(),
    namespaceOf: () => desired.stack,
  };
}
