import { and, arith, cast, eq, isNotNull, isNull, lit, notExists, ONE, sysCol, NULL, param, ref, select, stateTable, TRUE, update, insert, values, type Expr } from '../../dialect/ast.js';
import type { Audience, ClassicAudience } from '../../model/audience.js';
import { RESOURCE_KINDS, RESOURCE_SCHEMAS, type ResourceKind } from '../../model/desired.js';
import type { Destination } from '../../model/destination.js';
import type { EventEmitter } from '../../model/emitter.js';
import { LinkedError } from '../../model/errors.js';
import { formatPath, parseWithProblems } from '../../model/problems.js';
import type { DataGraph } from '../../model/graph.js';
import type { Warehouse } from '../../warehouse/types.js';
import { canonicalJson, isoTimestamp, specHash } from '../canonical.js';
import { columns } from '../columns.js';
import { StateStore } from '../store.js';
import { stateHashOf } from './state-hash.js';

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

/**
 * A row of `resources` whose spec does not parse as this code's model (written by another version
 * of linked, or damaged): all of the row but its spec, and why. Readers skip it and say so (one
 * such row must not stop every command); `linked plan` writes it again from code.
 */
export interface UnreadableResource extends Omit<AppliedResource, 'spec'> {
  /** Why, attribute by attribute. Never a value of the spec: it may hold a pasted secret. */
  problem: string;
  /** `preventDestroy` as far as the stored JSON says: a plan never deletes a protected resource it cannot read. */
  preventDestroy: boolean;
}

/** An unreadable resource as the models carry it (plain data: a compute model travels as JSON). */
export type UnreadableSpec = Pick<UnreadableResource, 'kind' | 'key' | 'problem'>;

/** The rows of `resources` read: the ones whose spec parses, and the ones whose spec does not. */
export interface AppliedRows {
  resources: AppliedResource[];
  unreadable: UnreadableResource[];
}

/** What is applied, as model objects: what compute and activation act on. */
export interface AppliedDesired {
  graph: DataGraph | undefined;
  classicAudiences: ClassicAudience[];
  audiences: Audience[];
  destinations: Destination[];
  emitters: EventEmitter[];
  /** Active resources whose spec cannot be read: left out above. */
  unreadable: UnreadableResource[];
}

/** Who and what an applied change is attributed to (copied onto each touched row). */
export interface WriteContext {
  applyId: string;
  appliedAt: Date;
  appliedBy: string | null;
  commitSha: string | null;
  stack: string;
}

export interface ResourceFilter {
  /** Deleted rows too (history); default: active ones only. */
  includeDeleted?: boolean;
  stack?: string;
  kind?: ResourceKind;
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

const RESOURCE_COLUMNS = ['kind', 'key', 'spec', 'spec_hash', 'version', 'applied_at', 'applied_by', 'commit_sha', 'deleted_at', 'created_at', 'stack', 'apply_id'];
const VERSION_COLUMNS = ['kind', 'key', 'version', 'spec', 'spec_hash', 'applied_at', 'applied_by', 'commit_sha', 'apply_id', 'stack', 'deleted'];
const KIND_ORDER = new Map<string, number>(RESOURCE_KINDS.map((k, i) => [k, i]));
const timestamp = (at: Date): Expr => cast(param(at.toISOString()), 'TIMESTAMP');
const identity = (kind: ResourceKind, key: string): Expr => and(eq(ref('kind'), param(kind)), eq(ref('key'), param(key)));

/** The `resources` table: every applied spec, one row per (kind, key), deleted ones kept as history. */
export class ResourceStore extends StateStore {
  /** The rows, those whose spec parses and those whose spec does not, each ordered by kind (dependency order), then key. */
  async read(filter: ResourceFilter = {}): Promise<AppliedRows> {
    const where = and(
      filter.includeDeleted ? TRUE : isNull(ref('deleted_at')),
      filter.stack !== undefined ? eq(ref('stack'), param(filter.stack)) : TRUE,
      filter.kind !== undefined ? eq(ref('kind'), param(filter.kind)) : TRUE,
    );
    const { rows } = await this.run<ResourceRow>(
      select(columns(RESOURCE_COLUMNS), { from: stateTable(this.t.resources), where: where === TRUE ? undefined : where }),
    );
    const out: AppliedRows = { resources: [], unreadable: [] };
    for (const r of rows) {
      const read = toAppliedResource(r);
      if ('spec' in read) out.resources.push(read);
      else out.unreadable.push(read);
    }
    const order = (a: { kind: ResourceKind; key: string }, b: { kind: ResourceKind; key: string }) =>
      KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)! || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    out.resources.sort(order);
    out.unreadable.sort(order);
    return out;
  }

  /** The rows whose spec parses (`read` says which do not). */
  async list(filter: ResourceFilter = {}): Promise<AppliedResource[]> {
    return (await this.read(filter)).resources;
  }

  /**
   * The active applied resources as model objects. With several stacks in one state schema pass
   * `stack`; without it, more than one applied Data Graph is an error (which graph would apply?).
   */
  async appliedDesired(opts: { stack?: string } = {}): Promise<AppliedDesired> {
    const { resources, unreadable } = await this.read({ stack: opts.stack });
    return groupApplied(resources, unreadable);
  }

  /** The fingerprint of `stack` as stored now (rows without a stack count as its own, as the plan counts them); unreadable rows count. */
  async stateHash(stack: string): Promise<string> {
    const { resources, unreadable } = await this.read({ includeDeleted: true });
    return stateHashOf([...resources, ...unreadable].filter((r) => r.stack === stack || r.stack === null));
  }

  /**
   * Writes the active spec of one resource: a new row, or the next version of an existing row
   * (including one deleted earlier, which becomes active again). `newIncarnation` resets
   * `created_at` (create, re-create, replace). Callers run it inside their transaction. True when
   * the key had a row already (an earlier incarnation, when `newIncarnation`).
   */
  async write(kind: ResourceKind, key: string, spec: unknown, ctx: WriteContext, newIncarnation: boolean): Promise<boolean> {
    const at = timestamp(ctx.appliedAt);
    const { rows } = await this.run(select({ version: ref('version') }, { from: stateTable(this.t.resources), where: identity(kind, key) }));
    if (rows.length === 0) {
      const row = [param(kind), param(key), param(canonicalJson(spec)), param(specHash(spec)), lit(1), at, param(ctx.appliedBy), param(ctx.commitSha), NULL, at, param(ctx.stack), param(ctx.applyId)];
      await this.run(insert(this.t.resources, RESOURCE_COLUMNS, values(row)));
      await this.recordVersion(kind, key);
      return false;
    }
    await this.run(
      update(
        this.t.resources,
        {
          spec: param(canonicalJson(spec)),
          spec_hash: param(specHash(spec)),
          version: arith('+', ref('version'), lit(1)),
          applied_at: at,
          applied_by: param(ctx.appliedBy),
          commit_sha: param(ctx.commitSha),
          deleted_at: NULL,
          stack: param(ctx.stack),
          apply_id: param(ctx.applyId),
          ...(newIncarnation ? { created_at: at } : {}),
        },
        identity(kind, key),
      ),
    );
    await this.recordVersion(kind, key);
    return true;
  }

  /** Marks a resource deleted: the row and its last spec stay for the audit trail. */
  async markDeleted(kind: ResourceKind, key: string, ctx: WriteContext): Promise<void> {
    await this.run(
      update(
        this.t.resources,
        {
          deleted_at: timestamp(ctx.appliedAt),
          version: arith('+', ref('version'), lit(1)),
          applied_at: timestamp(ctx.appliedAt),
          applied_by: param(ctx.appliedBy),
          commit_sha: param(ctx.commitSha),
          apply_id: param(ctx.applyId),
        },
        and(identity(kind, key), isNull(ref('deleted_at'))),
      ),
    );
    await this.recordVersion(kind, key);
  }

  /**
   * Appends the row of (kind, key) as it now stands to `resource_versions`, in the caller's
   * transaction: the history a trace reads once `resources` has moved on. A version already
   * recorded (a delete that found no active row) is not recorded twice.
   */
  private async recordVersion(kind: ResourceKind, key: string): Promise<void> {
    const r = (c: string) => sysCol('r', c);
    const v = (c: string) => sysCol('v', c);
    const recorded = select({ one: ONE }, {
      from: stateTable(this.t.resource_versions, 'v'),
      where: and(eq(v('kind'), r('kind')), eq(v('key'), r('key')), eq(v('version'), r('version'))),
    });
    const source = select(
      { ...Object.fromEntries(VERSION_COLUMNS.slice(0, -1).map((c) => [c, r(c)])), deleted: isNotNull(r('deleted_at')) },
      { from: stateTable(this.t.resources, 'r'), where: and(eq(r('kind'), param(kind)), eq(r('key'), param(key)), notExists(recorded)) },
    );
    await this.run(insert(this.t.resource_versions, VERSION_COLUMNS, source));
  }
}

/** The applied resources whose spec parses (see ResourceStore.list): for readers outside the apply path. */
export function readAppliedResources(wh: Warehouse, schema: string, filter: ResourceFilter = {}): Promise<AppliedResource[]> {
  return new ResourceStore(wh, schema).list(filter);
}

/** The applied rows, readable or not (see ResourceStore.read): for readers that must name, or act on, an unreadable one. */
export function readAppliedRows(wh: Warehouse, schema: string, filter: ResourceFilter = {}): Promise<AppliedRows> {
  return new ResourceStore(wh, schema).read(filter);
}

/**
 * What a command says of a resource it needs whose stored spec cannot be read: which one, why, and
 * the way out (the code is the source of truth: applying it writes the spec again).
 */
export function unreadableError(r: UnreadableSpec): LinkedError {
  return new LinkedError('STATE_INVALID', `The applied spec of ${r.kind}.${r.key} cannot be read: ${r.problem}. ${UNREADABLE_FIX}`);
}

/** The way out of an unreadable stored spec, in every message that names one. */
export const UNREADABLE_FIX = '`linked plan` shows it as an update from code, and `linked apply` writes it again.';

/**
 * The audience and emitter keys another stack of the state schema has applied (deleted ones
 * included: their history is that stack's): what a stack's run history, delivery record and
 * dead letters leave out. Empty when the schema holds one stack.
 */
export async function otherStacksKeys(wh: Warehouse, schema: string, stack: string): Promise<{ audiences: string[]; emitters: string[] }> {
  return otherStacksKeysOf(await new ResourceStore(wh, schema).list({ includeDeleted: true }), stack);
}

/** otherStacksKeys of rows read already: every stack's, deleted ones included. */
export function otherStacksKeysOf(rows: readonly AppliedResource[], stack: string): { audiences: string[]; emitters: string[] } {
  const others = rows.filter((r) => r.stack !== null && r.stack !== stack);
  const keys = (kind: ResourceKind) => others.filter((r) => r.kind === kind).map((r) => r.key);
  return { audiences: keys('audience'), emitters: keys('event_emitter') };
}

/** The active applied resources as model objects (see ResourceStore.appliedDesired). */
export function readAppliedDesired(wh: Warehouse, schema: string, opts: { stack?: string } = {}): Promise<AppliedDesired> {
  return new ResourceStore(wh, schema).appliedDesired(opts);
}

/** Writes one resource outside a plan (fixtures, benchmarks); see ResourceStore.write. */
export function writeResource(tx: Warehouse, schema: string, kind: ResourceKind, key: string, spec: unknown, ctx: WriteContext, newIncarnation: boolean): Promise<boolean> {
  return new ResourceStore(tx, schema).write(kind, key, spec, ctx, newIncarnation);
}

/**
 * zod can compile a parser for each object schema on its first parse. Over the dozens to thousands
 * of applied resources read at a time, a compiled parser is no faster than the plain one once warm,
 * and compiling them was about half of what a short command (`linked status`) spent parsing.
 */
const PARSE_WITHOUT_COMPILING = { jitless: true } as const;

/**
 * Why a stored spec does not parse, attribute by attribute (read again only once it failed). Not
 * JSON: only where, as the engine's message may quote the text, and a spec may hold a pasted secret.
 */
function specProblems(kind: ResourceKind, spec: string, e: unknown): string {
  if (e instanceof SyntaxError) {
    const at = /position (\d+)/.exec(e.message)?.[1];
    return `it is not JSON${at ? `: it breaks at character ${at}` : ''}`;
  }
  const r = parseWithProblems(RESOURCE_SCHEMAS[kind], JSON.parse(spec));
  return r.ok ? 'it does not match the model' : r.problems.map((p) => `${formatPath(p.path) || 'spec'}: ${p.message}`).join('; ');
}

/** `preventDestroy: true` in a stored spec that does not parse as the model, if its JSON says so. */
function protectedSpec(spec: string): boolean {
  try {
    const v: unknown = JSON.parse(spec);
    return typeof v === 'object' && v !== null && (v as { preventDestroy?: unknown }).preventDestroy === true;
  } catch {
    return false;
  }
}

function toAppliedResource(r: ResourceRow): AppliedResource | UnreadableResource {
  if (!KIND_ORDER.has(r.kind)) {
    throw new LinkedError('STATE_INVALID', `The state holds a resource of unknown kind "${r.kind}" (key ${r.key}).`);
  }
  const kind = r.kind as ResourceKind;
  const read = readStoredSpec(kind, r.spec);
  if ('problem' in read) return { kind, key: r.key, ...rowFacts(r), problem: read.problem, preventDestroy: protectedSpec(r.spec) };
  return { kind, key: r.key, spec: read.spec, ...rowFacts(r) };
}

/**
 * A stored spec (of `resources` or `resource_versions`) as this code's model, or why it cannot be
 * read (another version of linked wrote it, or it is damaged): every reader of a stored spec parses
 * it here, so one such row is named, never a reason for a command to fail.
 */
export function readStoredSpec<K extends ResourceKind>(kind: K, text: string): { spec: ResourceSpecs[K] } | { problem: string } {
  try {
    return { spec: RESOURCE_SCHEMAS[kind].parse(JSON.parse(text), PARSE_WITHOUT_COMPILING) as ResourceSpecs[K] };
  } catch (e) {
    return { problem: specProblems(kind, text, e) };
  }
}

/** Everything of a row but its kind, key and spec. */
function rowFacts(r: ResourceRow): Omit<AppliedResource, 'kind' | 'key' | 'spec'> {
  return {
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

/** Groups active applied resources by kind, as the model names them; the active unreadable ones beside them. */
export function groupApplied(resources: readonly AppliedResource[], unreadable: readonly UnreadableResource[] = []): AppliedDesired {
  const active = resources.filter((r) => !r.deletedAt);
  const specsOf = <K extends ResourceKind>(kind: K): ResourceSpecs[K][] =>
    active.filter((r): r is AppliedResource<K> => r.kind === kind).map((r) => r.spec);
  const graphs = specsOf('data_graph');
  if (graphs.length > 1) {
    throw new LinkedError(
      'STATE_AMBIGUOUS_GRAPH',
      `The state holds ${graphs.length} applied Data Graphs (${graphs.map((g) => g.key).join(', ')}): name the stack to read.`,
    );
  }
  return {
    graph: graphs[0],
    classicAudiences: specsOf('classic_audience'),
    audiences: specsOf('audience'),
    destinations: specsOf('destination'),
    emitters: specsOf('event_emitter'),
    unreadable: unreadable.filter((r) => !r.deletedAt),
  };
}
