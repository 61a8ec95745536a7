import { Audience, ClassicAudience } from '../model/audience.js';
import { RESOURCE_KINDS, RESOURCE_SCHEMAS, type ResourceKind } from '../model/desired.js';
import type { Destination } from '../model/destination.js';
import type { EventEmitter } from '../model/emitter.js';
import { LinkedError } from '../model/errors.js';
import type { DataGraph } from '../model/graph.js';
import type { Warehouse } from '../warehouse/types.js';
import { isoTimestamp } from './canonical.js';
import { stateTable } from './migrate.js';

/** The model object of each kind, as stored in `resources.spec`. */
export interface ResourceSpecs {
  data_graph: DataGraph;
  classic_audience: ClassicAudience;
  audience: Audience;
  destination: Destination;
  event_emitter: EventEmitter;
}

/** One row of `resources`, its spec parsed back into the model. */
export interface AppliedResource<K extends ResourceKind = ResourceKind> {
  kind: K;
  key: string;
  spec: ResourceSpecs[K];
  specHash: string;
  /** Increases on every applied change of this row (create, update, replace, delete). */
  version: number;
  appliedAt: string;
  appliedBy: string | null;
  commitSha: string | null;
  /** Set when the resource was deleted: the row stays as history, no longer active. */
  deletedAt: string | null;
  /** When the current incarnation began (create, re-create after delete, replace). */
  createdAt: string | null;
  stack: string | null;
  /** The apply_log id of the last apply that changed this row. */
  applyId: string | null;
}

/** What is applied, as model objects: what compute and activation act on. */
export interface AppliedDesired {
  graph: DataGraph | undefined;
  classicAudiences: ClassicAudience[];
  audiences: Audience[];
  destinations: Destination[];
  emitters: EventEmitter[];
}

interface ResourceRow {
  kind: string;
  key: string;
  spec: string;
  spec_hash: string;
  version: number;
  applied_at: unknown;
  applied_by: string | null;
  commit_sha: string | null;
  deleted_at: unknown;
  created_at: unknown;
  stack: string | null;
  apply_id: string | null;
}

const KIND_ORDER = new Map<string, number>(RESOURCE_KINDS.map((k, i) => [k, i]));

/**
 * The applied resources, active ones only unless `includeDeleted`; `stack` narrows to one
 * stack's rows. Ordered by kind (dependency order), then key.
 */
export async function readAppliedResources(
  wh: Warehouse,
  schema: string,
  opts: { includeDeleted?: boolean; stack?: string; kind?: ResourceKind } = {},
): Promise<AppliedResource[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (!opts.includeDeleted) where.push('deleted_at IS NULL');
  if (opts.stack !== undefined) {
    where.push('stack = ?');
    params.push(opts.stack);
  }
  if (opts.kind !== undefined) {
    where.push('kind = ?');
    params.push(opts.kind);
  }
  const { rows } = await wh.query<ResourceRow>(
    `SELECT kind, key, spec, spec_hash, version, applied_at, applied_by, commit_sha, deleted_at, created_at, stack, apply_id
       FROM ${stateTable(wh, schema, 'resources')}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
    params,
  );
  return rows.map(toAppliedResource).sort(
    (a, b) => (KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)!) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

function toAppliedResource(r: ResourceRow): AppliedResource {
  if (!KIND_ORDER.has(r.kind)) {
    throw new LinkedError('STATE_INVALID', `The state holds a resource of unknown kind "${r.kind}" (key ${r.key}).`);
  }
  const kind = r.kind as ResourceKind;
  let parsed: unknown;
  try {
    parsed = RESOURCE_SCHEMAS[kind].parse(JSON.parse(r.spec));
  } catch (e) {
    throw new LinkedError(
      'STATE_INVALID',
      `The applied spec of ${kind}.${r.key} no longer matches the model (${(e as Error).message.split('\n')[0]}).`,
    );
  }
  return {
    kind,
    key: r.key,
    spec: parsed as ResourceSpecs[typeof kind],
    specHash: r.spec_hash,
    version: Number(r.version),
    appliedAt: isoTimestamp(r.applied_at)!,
    appliedBy: r.applied_by ?? null,
    commitSha: r.commit_sha ?? null,
    deletedAt: isoTimestamp(r.deleted_at),
    createdAt: isoTimestamp(r.created_at),
    stack: r.stack ?? null,
    applyId: r.apply_id ?? null,
  };
}

/**
 * The active applied resources as model objects. With several stacks in one state schema pass
 * `stack`; without it, more than one applied Data Graph is an error (which graph would apply?).
 */
export async function readAppliedDesired(wh: Warehouse, schema: string, opts: { stack?: string } = {}): Promise<AppliedDesired> {
  return groupApplied(await readAppliedResources(wh, schema, { stack: opts.stack }));
}

/** Groups active applied resources by kind, as the model names them. */
export function groupApplied(resources: readonly AppliedResource[]): AppliedDesired {
  const out: AppliedDesired = { graph: undefined, classicAudiences: [], audiences: [], destinations: [], emitters: [] };
  const graphs: DataGraph[] = [];
  for (const r of resources) {
    if (r.deletedAt) continue;
    switch (r.kind) {
      case 'data_graph':
        graphs.push(r.spec as DataGraph);
        break;
      case 'classic_audience':
        out.classicAudiences.push(r.spec as ClassicAudience);
        break;
      case 'audience':
        out.audiences.push(r.spec as Audience);
        break;
      case 'destination':
        out.destinations.push(r.spec as Destination);
        break;
      case 'event_emitter':
        out.emitters.push(r.spec as EventEmitter);
        break;
    }
  }
  if (graphs.length > 1) {
    throw new LinkedError(
      'STATE_AMBIGUOUS_GRAPH',
      `The state holds ${graphs.length} applied Data Graphs (${graphs.map((g) => g.key).join(', ')}): name the stack to read.`,
    );
  }
  out.graph = graphs[0];
  return out;
}

/** One applied resource by kind and key (deleted ones included), or undefined. */
export async function readAppliedResource(
  wh: Warehouse,
  schema: string,
  kind: ResourceKind,
  key: string,
): Promise<AppliedResource | undefined> {
  const all = await readAppliedResources(wh, schema, { includeDeleted: true, kind });
  return all.find((r) => r.key === key);
}
