import { z } from 'zod';
import { RESOURCE_KINDS } from '../model/desired.js';
import { WarehouseConfig } from '../model/warehouse.js';
import { PLAN_FORMAT_VERSION } from './types.js';

/**
 * The JSON plan's schema (format version 1), checked when a saved plan is read back and published
 * as JSON Schema in docs/plan-apply.md (`z.toJSONSchema(PlanSchema)`). Specs are validated per
 * kind at apply time, against the model.
 */
const AttributeChangeSchema = z.object({
  path: z.string(),
  action: z.enum(['add', 'remove', 'change']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  sensitive: z.boolean(),
  forcesReplacement: z.boolean(),
});

type ConditionDiffInput = {
  action: 'add' | 'remove' | 'change' | 'unchanged';
  before?: string;
  after?: string;
  path: string;
  children: ConditionDiffInput[];
  folded?: number;
};
const ConditionDiffSchema: z.ZodType<ConditionDiffInput> = z.object({
  action: z.enum(['add', 'remove', 'change', 'unchanged']),
  before: z.string().optional(),
  after: z.string().optional(),
  path: z.string(),
  get children() {
    return z.array(ConditionDiffSchema);
  },
  folded: z.number().int().optional(),
});

const ResourceChangeSchema = z.object({
  address: z.string(),
  kind: z.enum(RESOURCE_KINDS),
  key: z.string(),
  constructPath: z.string().optional(),
  action: z.enum(['create', 'update', 'replace', 'delete', 'no-op']),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  attributes: z.array(AttributeChangeSchema),
  replaces: z.string().optional(),
  notes: z.array(z.string()),
  conditionDiff: ConditionDiffSchema.optional(),
});

const DiagnosticSchema = z.object({
  severity: z.enum(['error', 'warning']),
  code: z.string(),
  message: z.string(),
  resource: z.string().optional(),
  attribute: z.string().optional(),
  hint: z.string().optional(),
});

const ImpactSchema = z.object({
  key: z.string(),
  currentSize: z.number().nullable(),
  newSize: z.number(),
  entering: z.number(),
  exiting: z.number(),
  through: z.array(z.string()).optional(),
  disabled: z.literal(true).optional(),
  error: z.string().optional(),
});

export const PlanSchema = z.object({
  formatVersion: z.literal(PLAN_FORMAT_VERSION),
  stack: z.string(),
  stateSchema: z.string(),
  warehouse: WarehouseConfig,
  createdAt: z.string(),
  stateHash: z.string(),
  // Absent from plans saved before linked recorded it (SavedPlan).
  manifestHash: z.string().optional(),
  changes: z.array(ResourceChangeSchema),
  diagnostics: z.array(DiagnosticSchema),
  summary: z.object({ create: z.number(), update: z.number(), replace: z.number(), delete: z.number(), noop: z.number() }),
  hasChanges: z.boolean(),
  applicable: z.boolean(),
  impact: z.array(ImpactSchema).optional(),
  planHash: z.string(),
});

/** JSON Schema (draft 2020-12) of the plan, for consumers outside TypeScript. */
export const planJsonSchema = () => z.toJSONSchema(PlanSchema, { io: 'input', unrepresentable: 'any' });
