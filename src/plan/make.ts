import type { Audience } from '../model/audience.js';
import { diffConditions } from '../model/condition-diff.js';
import { RESOURCE_KINDS, type Desired, type ResourceKind } from '../model/desired.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { hasErrors } from '../model/diagnostics.js';
import type { EventEmitter } from '../model/emitter.js';
import { canonicalJson, sha256, specHash } from '../state/canonical.js';
import type { AppliedResource, UnreadableResource } from '../state/apply/resources.js';
import { stateHashOf } from '../state/apply/state-hash.js';
import { diffAttributes, listAttributes } from './attributes.js';
import { PLAN_FORMAT_VERSION, type AttributeChange, type Plan, type ResourceChange } from './types.js';

/**
 * Attributes that cannot change in place (Terraform's ForceNew). A destination of another type is
 * another integration; an emitter bound to another audience, destination or trigger is another
 * stream of events, whose delivery history must not carry over. Everything else updates in place:
 * an audience's condition change is an update that takes effect at the next compute.
 */
const FORCES_REPLACEMENT: Record<ResourceKind, readonly string[]> = {
  data_graph: [],
  classic_audience: [],
  audience: [],
  destination: ['type'],
  event_emitter: ['audience', 'destination', 'trigger', 'entityPath'],
};

const forcesReplacement = (kind: ResourceKind) => (path: string) =>
  FORCES_REPLACEMENT[kind].some((a) => path === a || path.startsWith(`${a}.`) || path.startsWith(`${a}[`));

export const address = (kind: ResourceKind, key: string) => `${kind}.${key}`;

/** The desired resources of a stack, as (kind, key, spec), in dependency order. */
export function desiredResources(desired: Desired): { kind: ResourceKind; key: string; spec: { key: string } }[] {
  return [
    { kind: 'data_graph' as const, key: desired.graph.key, spec: desired.graph },
    ...desired.classicAudiences.map((spec) => ({ kind: 'classic_audience' as const, key: spec.key, spec })),
    ...desired.audiences.map((spec) => ({ kind: 'audience' as const, key: spec.key, spec })),
    ...desired.destinations.map((spec) => ({ kind: 'destination' as const, key: spec.key, spec })),
    ...desired.emitters.map((spec) => ({ kind: 'event_emitter' as const, key: spec.key, spec })),
  ];
}

export interface MakePlanOptions {
  /** Catalog and other diagnostics gathered by the caller; carried into the plan. */
  diagnostics?: Diagnostic[];
  now?: Date;
  /** Model address -> construct path (manifest's `constructPaths`): shown in each change's header. */
  constructPaths?: ReadonlyMap<string, string>;
  /** Applied rows whose stored spec cannot be read (ResourceStore.read): written again from code, or deleted. */
  unreadable?: readonly UnreadableResource[];
}

/** An applied row: its spec parsed, or unreadable (no `spec`, a `problem`). */
type StateRow = AppliedResource | UnreadableResource;
const specOf = (r: StateRow): unknown => ('spec' in r ? r.spec : null);

/** The applied rows as one stack sees them. */
interface StateView {
  /** Its own rows (and rows without a stack), deleted ones included: what the state hash covers. */
  owned: StateRow[];
  /** Its active rows, by address. */
  active: Map<string, StateRow>;
  /** Active rows of other stacks, by address: their keys are taken. */
  foreign: Map<string, StateRow>;
  /** The Data Graph is one per stack: an applied graph under another key is the same graph replaced. */
  replacedGraph: StateRow | undefined;
}

/**
 * Diffs the desired stack against the applied state. `applied` is every row of the state schema
 * (all stacks, deleted ones included): rows of other stacks are never touched, but a key they own
 * is a conflict. Pure: no warehouse access, so it is cheap to test and to benchmark.
 */
export function makePlan(desired: Desired, applied: readonly AppliedResource[], options: MakePlanOptions = {}): Plan {
  const view = viewOf([...applied, ...(options.unreadable ?? [])], desired);
  const diagnostics: Diagnostic[] = [...(options.diagnostics ?? [])];
  const { forward, noops } = diffDesired(desired, view, diagnostics);
  const changes = withConstructPaths(ordered(forward, deletesOf(desired, view), noops), options.constructPaths);
  diagnostics.push(...preventDestroyErrors(changes, view));
  const summary = summarize(changes);
  return sealPlan({
    formatVersion: PLAN_FORMAT_VERSION,
    stack: desired.stack,
    stateSchema: desired.warehouse.stateSchema,
    warehouse: desired.warehouse,
    createdAt: (options.now ?? new Date()).toISOString(),
    stateHash: stateHashOf(view.owned),
    manifestHash: manifestHashOf(desired),
    changes,
    diagnostics,
    summary,
    hasChanges: summary.create + summary.update + summary.replace + summary.delete > 0,
    applicable: !hasErrors(diagnostics),
    planHash: '',
  });
}

/** Each declared change with the construct that declares it; a delete is declared nowhere any more. */
function withConstructPaths(changes: ResourceChange[], paths: ReadonlyMap<string, string> | undefined): ResourceChange[] {
  if (!paths?.size) return changes;
  return changes.map((c) => {
    const constructPath = c.action === 'delete' ? undefined : paths.get(c.address);
    if (!constructPath) return c;
    const { address, kind, key, ...rest } = c;
    return { address, kind, key, constructPath, ...rest };
  });
}

function viewOf(applied: readonly StateRow[], desired: Desired): StateView {
  const stack = desired.stack;
  const owned = applied.filter((r) => r.stack === stack || r.stack === null);
  const active = new Map(owned.filter((r) => !r.deletedAt).map((r) => [address(r.kind, r.key), r]));
  const foreign = new Map(applied.filter((r) => !r.deletedAt && r.stack !== null && r.stack !== stack).map((r) => [address(r.kind, r.key), r]));
  const appliedGraph = [...active.values()].find((r) => r.kind === 'data_graph');
  const replacedGraph = appliedGraph && appliedGraph.key !== desired.graph.key ? appliedGraph : undefined;
  return { owned, active, foreign, replacedGraph };
}

/**
 * Why a key another stack owns cannot be applied, and the two ways out: both stacks keep their
 * state in one schema, where a key names one resource.
 */
export function keyConflictMessage(addr: string, owner: string, stack: string): string {
  return (
    `${addr} is already applied by stack "${owner}": keys are unique in a state schema. ` +
    `Give the resource of stack "${stack}" another key (its construct id, or \`key\` of a DataGraph), ` +
    `or give stack "${stack}" a state schema of its own (\`stateSchema\` of its Warehouse).`
  );
}

/** Creates, updates, replaces and no-ops of the desired resources; key conflicts become diagnostics. */
function diffDesired(desired: Desired, view: StateView, diagnostics: Diagnostic[]): { forward: ResourceChange[]; noops: ResourceChange[] } {
  const forward: ResourceChange[] = [];
  const noops: ResourceChange[] = [];
  for (const { kind, key, spec } of desiredResources(desired)) {
    const addr = address(kind, key);
    const other = view.foreign.get(addr);
    if (other) {
      diagnostics.push({
        severity: 'error',
        code: 'STATE_KEY_CONFLICT',
        message: keyConflictMessage(addr, other.stack!, desired.stack),
        resource: addr,
      });
      continue;
    }
    const current = kind === 'data_graph' && view.replacedGraph ? view.replacedGraph : view.active.get(addr);
    const c = diffOne(kind, key, spec, current);
    (c.action === 'no-op' ? noops : forward).push(c);
  }
  return { forward, noops };
}

function diffOne(kind: ResourceKind, key: string, spec: { key: string }, current: StateRow | undefined): ResourceChange {
  if (!current) return change(kind, key, 'create', null, spec, listAttributes(spec, 'add'));
  if (!('spec' in current)) return rewrite(kind, key, spec, current);
  if (current.specHash === specHash(spec)) return change(kind, key, 'no-op', current.spec, spec, []);
  const attributes = diffAttributes(current.spec, spec, forcesReplacement(kind));
  // Same content, different stored hash (e.g. written by an older version): nothing to do.
  if (attributes.length === 0) return change(kind, key, 'no-op', current.spec, spec, []);
  const replace = current.key !== key || attributes.some((a) => a.forcesReplacement);
  const c = change(kind, key, replace ? 'replace' : 'update', current.spec, spec, attributes);
  if (current.key !== key) c.replaces = current.key;
  return c;
}

/**
 * A desired resource whose applied spec cannot be read: the code's spec written over it in place
 * (an update, never a no-op: the stored hash may still match a damaged spec). In place, since an
 * emitter replaced would start its delivery afresh; its history (cursor, snapshots) stays. What it
 * was is unknown, so every attribute shows as set.
 */
function rewrite(kind: ResourceKind, key: string, spec: { key: string }, current: UnreadableResource): ResourceChange {
  const c = change(kind, key, current.key !== key ? 'replace' : 'update', null, spec, listAttributes(spec, 'add'));
  if (current.key !== key) c.replaces = current.key;
  c.notes.unshift(`its applied spec cannot be read (${current.problem}): written again from code`);
  return c;
}

/** The stack's active resources no longer desired (a replaced graph is not deleted: it is replaced). */
function deletesOf(desired: Desired, view: StateView): ResourceChange[] {
  const desiredAddrs = new Set(desiredResources(desired).map((r) => address(r.kind, r.key)));
  return [...view.active.values()]
    .filter((r) => !desiredAddrs.has(address(r.kind, r.key)) && r !== view.replacedGraph)
    .map((r) => {
      const c = change(r.kind, r.key, 'delete', specOf(r), null, 'spec' in r ? listAttributes(r.spec, 'remove') : []);
      if (!('spec' in r)) c.notes.unshift(`its applied spec cannot be read (${r.problem})`);
      return c;
    });
}

/** Deletes first, in reverse dependency order; then creates and updates, then no-ops, in dependency order. */
function ordered(forward: ResourceChange[], deletes: ResourceChange[], noops: ResourceChange[]): ResourceChange[] {
  const order = (c: ResourceChange) => RESOURCE_KINDS.indexOf(c.kind);
  const byKey = (a: ResourceChange, b: ResourceChange) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  forward.sort((a, b) => order(a) - order(b) || byKey(a, b));
  deletes.sort((a, b) => order(b) - order(a) || byKey(a, b));
  noops.sort((a, b) => order(a) - order(b) || byKey(a, b));
  return [...deletes, ...forward, ...noops];
}

function preventDestroyErrors(changes: readonly ResourceChange[], view: StateView): Diagnostic[] {
  return changes
    .filter((c) => (c.action === 'delete' || c.action === 'replace') && (protectedBefore(c, view) || (c.action === 'replace' && preventsDestroy(c.after))))
    .map((c) => ({
      severity: 'error' as const,
      code: 'PREVENT_DESTROY',
      message:
        `${c.address} has preventDestroy set and this plan would ${c.action === 'delete' ? 'delete' : 'replace'} it. ` +
        'Set preventDestroy: false and apply that first if you mean it.',
      resource: c.address,
    }));
}

function summarize(changes: readonly ResourceChange[]): Plan['summary'] {
  const count = (a: ResourceChange['action']) => changes.filter((c) => c.action === a).length;
  return { create: count('create'), update: count('update'), replace: count('replace'), delete: count('delete'), noop: count('no-op') };
}

/** The synthesized stack's identity: its parsed model, so formatting of cdktf.out does not count. */
export const manifestHashOf = (desired: Desired): string => sha256(canonicalJson(desired));

/** Recomputes `planHash` over every other field (call after adding impact or diagnostics). */
export function sealPlan(plan: Plan): Plan {
  const { planHash: _omit, ...rest } = plan;
  return { ...plan, applicable: !hasErrors(plan.diagnostics), planHash: sha256(canonicalJson(rest)) };
}

/**
 * The plan minus its deletions: what a git-pulling controller applies without `--prune` (Argo
 * CD's default), so a file removed by mistake does not delete an audience. Re-sealed.
 */
export function withoutDeletes(plan: Plan): Plan {
  const changes = plan.changes.filter((c) => c.action !== 'delete');
  return sealPlan({ ...plan, changes, summary: { ...plan.summary, delete: 0 }, hasChanges: changes.some((c) => c.action !== 'no-op') });
}

const preventsDestroy = (spec: unknown) => !!spec && (spec as { preventDestroy?: boolean }).preventDestroy === true;

/** Whether the applied resource a change deletes or replaces sets preventDestroy (one that cannot be read: as far as its stored JSON says). */
function protectedBefore(c: ResourceChange, view: StateView): boolean {
  if (preventsDestroy(c.before)) return true;
  const row = view.active.get(c.replaces ? address(c.kind, c.replaces) : c.address);
  return !!row && !('spec' in row) && row.preventDestroy;
}

function change(
  kind: ResourceKind,
  key: string,
  action: ResourceChange['action'],
  before: unknown,
  after: unknown,
  attributes: AttributeChange[],
): ResourceChange {
  const c: ResourceChange = { address: address(kind, key), kind, key, action, before, after, attributes, notes: notesFor(kind, action, before, after, attributes) };
  const conditionDiff = kind === 'audience' && action !== 'no-op' ? diffConditions((before as Audience | null)?.condition, (after as Audience | null)?.condition) : undefined;
  if (conditionDiff) c.conditionDiff = conditionDiff;
  return c;
}

/** What a change means at run time, in the seed's terms. */
function notesFor(kind: ResourceKind, action: ResourceChange['action'], before: unknown, after: unknown, attrs: AttributeChange[]): string[] {
  const notes: string[] = [];
  const touched = (prefix: string) => attrs.some((a) => a.path === prefix || a.path.startsWith(`${prefix}.`) || a.path.startsWith(`${prefix}[`));
  if (kind === 'audience') {
    const a = after as Audience | null;
    const b = before as Audience | null;
    if (action === 'create') notes.push(a!.enabled ? 'enabled: computes at the next tick' : 'created disabled: set enabled: true to compute it');
    if (action === 'update' || action === 'replace') {
      if (touched('condition')) notes.push(`condition change takes effect at the next compute${a!.enabled ? ` (\`linked compute ${a!.key}\` computes it now)` : ''}`);
      if (b && a && !b.enabled && a.enabled) notes.push('enabled: computes at the next tick');
      if (b && a && b.enabled && !a.enabled) notes.push('disabled: stops computing (status Disabled)');
      if (touched('schedule')) notes.push('new schedule applies from the next tick');
    }
    if (action === 'delete') notes.push('stops computing and sends no more events; its history stays, marked deleted');
  }
  if (kind === 'destination' && action === 'delete') notes.push('delivery to this destination stops');
  if (kind === 'event_emitter') {
    if (action === 'delete') notes.push('this emitter stops sending events');
    if (action === 'replace') notes.push('a new emitter: its delivery starts afresh');
    const e = after as EventEmitter | null;
    if (action === 'create' && e?.sendForCurrent) {
      // Entity matches are written for the paths an emitter needs, so a new path has none until the audience computes again.
      notes.push(
        e.trigger === 'entity_added'
          ? 'sends events for the entities matched now at its first delivery (for an entity path new to the audience: after its next compute)'
          : 'sends events for current members at its first delivery',
      );
    }
  }
  if (kind === 'data_graph' && action !== 'create' && action !== 'no-op' && action !== 'delete') {
    notes.push('audiences compile against the new graph at their next compute');
  }
  return notes;
}
