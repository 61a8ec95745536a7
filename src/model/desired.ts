import { z } from 'zod';
import { Slug } from './common.js';
import { WarehouseConfig } from './warehouse.js';
import { DataGraph } from './graph.js';
import { Audience, ClassicAudience } from './audience.js';
import { Destination } from './destination.js';
import { EventEmitter } from './emitter.js';

/**
 * Everything one stack declares: the desired state that plan diffs against the applied state.
 * Resource kinds in dependency order: apply creates in this order, deletes in reverse.
 */
export const RESOURCE_KINDS = ['data_graph', 'classic_audience', 'audience', 'destination', 'event_emitter'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export const Desired = z
  .object({
    stack: Slug,
    warehouse: WarehouseConfig,
    graph: DataGraph,
    classicAudiences: z.array(ClassicAudience).default([]),
    audiences: z.array(Audience).default([]),
    destinations: z.array(Destination).default([]),
    emitters: z.array(EventEmitter).default([]),
  })
  .strict();
export type Desired = z.infer<typeof Desired>;

/** The zod schema of each resource kind: one place, used by the manifest, the provider schema and state. */
export const RESOURCE_SCHEMAS = {
  data_graph: DataGraph,
  classic_audience: ClassicAudience,
  audience: Audience,
  destination: Destination,
  event_emitter: EventEmitter,
} as const;

/** Terraform resource type of each kind, e.g. `linkedaudiences_audience`. */
export const PROVIDER_NAME = 'linkedaudiences';
export const terraformType = (kind: ResourceKind) => `${PROVIDER_NAME}_${kind}`;
