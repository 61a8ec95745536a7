import type { ConditionDiff } from '../model/condition-diff.js';
import type { ResourceKind } from '../model/desired.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { WarehouseConfig } from '../model/warehouse.js';

/**
 * The plan as data: what `linked plan --json` prints and `--out` saves. This shape is a public,
 * documented interface (docs/plan-apply.md): fields may be added within a format version, never
 * renamed or removed. Bump PLAN_FORMAT_VERSION for anything else.
 */
export const PLAN_FORMAT_VERSION = 1;

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'no-op';

/** One attribute that differs, addressed by a path such as `condition.conditions[1].value.literal`. */
export interface AttributeChange {
  path: string;
  action: 'add' | 'remove' | 'change';
  /** Absent on `add`. A secret appears as its reference ({ secret: NAME }), never a value. */
  before?: unknown;
  /** Absent on `remove`. */
  after?: unknown;
  /** A secret reference: renderers print `(sensitive)`. */
  sensitive: boolean;
  /** This attribute cannot change in place: the resource is replaced. */
  forcesReplacement: boolean;
}

export interface ResourceChange {
  /** `<kind>.<key>`, e.g. `audience.overdue-cards`. */
  address: string;
  kind: ResourceKind;
  key: string;
  /**
   * Where the app declares the resource: the construct path cdktn recorded in cdktf.out (e.g.
   * `bank/overdue-cards`). Absent on delete (no longer declared) and when cdktf.out has no metadata.
   */
  constructPath?: string;
  action: ChangeAction;
  /** The applied spec (null on create). */
  before: unknown | null;
  /** The desired spec (null on delete). */
  after: unknown | null;
  /** Attribute by attribute; on create every attribute is `add`, on delete every one is `remove`. */
  attributes: AttributeChange[];
  /** For a replace caused by a key change (the Data Graph): the key being replaced. */
  replaces?: string;
  /** What this change means at run time (e.g. a condition change takes effect at the next compute). */
  notes: string[];
  /**
   * An audience whose condition is created, deleted or edited: the condition trees diffed node by
   * node, as the renderers show them (the `condition.*` attributes above stay, for tools).
   */
  conditionDiff?: ConditionDiff;
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  noop: number;
}

/**
 * `--impact`: membership movement of an audience whose condition changes, or that reads one
 * ("part of"), counted in the warehouse.
 */
export interface AudienceImpact {
  key: string;
  /** Members under the applied condition, now (null for a new audience). */
  currentSize: number | null;
  newSize: number;
  entering: number;
  exiting: number;
  /**
   * Set on an audience whose own condition is unchanged: the changed audiences it reads through
   * "part of" (directly or through other audiences), which move its members.
   */
  through?: string[];
  /**
   * Set on an audience disabled once the plan is applied: it is not computed until enabled, so
   * nobody enters or exits it on apply, and its emitters send nothing; the counts are what its
   * conditions hold now.
   */
  disabled?: true;
  /** Set instead of the counts when the warehouse could not count (e.g. a table is missing). */
  error?: string;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  stack: string;
  stateSchema: string;
  /** How to reach the state: secrets are references only. Lets `apply planfile` run without cdktf.out. */
  warehouse: WarehouseConfig;
  createdAt: string;
  /** Hash of the stack's applied state the plan was made against: a saved plan is stale when it differs. */
  stateHash: string;
  /** Hash of the synthesized stack the plan was made from: apply refuses the plan once cdktf.out holds another. */
  manifestHash: string;
  /** In apply order: deletes (reverse dependency order), then creates, replaces and updates. No-ops last. */
  changes: ResourceChange[];
  diagnostics: Diagnostic[];
  summary: PlanSummary;
  hasChanges: boolean;
  /** False when a diagnostic is an error: such a plan cannot be applied. */
  applicable: boolean;
  impact?: AudienceImpact[];
  /** sha256 of the canonical JSON of every other field: recorded in the apply log, checks a plan file is intact. */
  planHash: string;
}

/**
 * A plan read back from a file. Format version 1 only ever gains fields, so a plan saved by an
 * older linked lacks those added since: `manifestHash`, before linked recorded which synth a plan
 * was made from.
 */
export type SavedPlan = Omit<Plan, 'manifestHash'> & { manifestHash?: string };
