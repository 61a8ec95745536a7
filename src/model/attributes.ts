import { z } from 'zod';
import { RESOURCE_KINDS, RESOURCE_SCHEMAS, type ResourceKind } from './desired.js';
import { WarehouseConfig } from './warehouse.js';

/*
 * How a model field travels as a Terraform attribute. Derived mechanically from the
 * zod schemas, and used three times: by scripts/gen.ts to write provider-schema.json (from which
 * the L1 classes are generated), by the constructs to encode a resource for its L1 class, and by
 * the loader to decode cdk.tf.json. Scalars stay scalars, lists of strings stay lists, everything
 * structured (the condition tree, the profile, settings, mappings...) is one JSON-encoded string,
 * like `aws_iam_policy.policy`.
 */

export type AttributeEncoding = 'string' | 'number' | 'bool' | 'list' | 'json';

export interface AttributeSpec {
  /** The model's field name (camelCase). */
  field: string;
  /** The Terraform attribute name (snake_case); the generator turns it back into `field`. */
  tfName: string;
  encoding: AttributeEncoding;
  /** Required by every variant of the schema and without a default. */
  required: boolean;
}

type JsonSchema = {
  type?: string | string[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
};

export const toSnakeCase = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function encodingOf(p: JsonSchema): AttributeEncoding {
  if (p.type === 'string') return 'string';
  if (p.type === 'number' || p.type === 'integer') return 'number';
  if (p.type === 'boolean') return 'bool';
  if (p.type === 'array' && p.items?.type === 'string') return 'list';
  return 'json';
}

/** The attributes of one top-level object schema, or of the union of its variants. */
export function attributesOf(schema: z.ZodType): AttributeSpec[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const variants = root.oneOf ?? root.anyOf ?? [root];
  const byField = new Map<string, AttributeSpec>();
  variants.forEach((variant) => {
    for (const [field, prop] of Object.entries(variant.properties ?? {})) {
      const encoding = encodingOf(prop);
      const required = (variant.required ?? []).includes(field);
      const seen = byField.get(field);
      if (!seen) byField.set(field, { field, tfName: toSnakeCase(field), encoding, required });
      else {
        // A field that differs between variants travels as JSON: one attribute, one type.
        if (seen.encoding !== encoding) seen.encoding = 'json';
        seen.required &&= required;
      }
    }
  });
  // A field absent from some variant is optional.
  for (const spec of byField.values()) {
    if (!variants.every((v) => v.properties && spec.field in v.properties)) spec.required = false;
  }
  return [...byField.values()];
}

/**
 * Attributes of each `linkedaudiences_<kind>` resource type, each derived on first read: deriving
 * them converts the whole schema to JSON Schema, which commands that read no resource skip.
 */
export const RESOURCE_ATTRIBUTES: Readonly<Record<ResourceKind, AttributeSpec[]>> = Object.defineProperties(
  {} as Record<ResourceKind, AttributeSpec[]>,
  Object.fromEntries(
    RESOURCE_KINDS.map((kind) => {
      let specs: AttributeSpec[] | undefined;
      return [kind, { enumerable: true, get: () => (specs ??= attributesOf(RESOURCE_SCHEMAS[kind])) }];
    }),
  ),
);

let derivedProviderAttributes: AttributeSpec[] | undefined;
/** Attributes of the `linkedaudiences` provider block (the warehouse configuration), derived on first call. */
export const providerAttributes = (): AttributeSpec[] => (derivedProviderAttributes ??= attributesOf(WarehouseConfig));

/**
 * Model object -> L1 props (keyed by the camelCase field, as the generated classes expect).
 * Undefined fields are left out so that the model's defaults apply on load.
 */
export function encodeAttributes(specs: readonly AttributeSpec[], value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const v = value[spec.field];
    if (v === undefined) continue;
    out[spec.field] = spec.encoding === 'json' ? JSON.stringify(v) : v;
  }
  return out;
}

export interface DecodeProblem {
  /** The Terraform attribute name. */
  attribute: string;
  message: string;
}

/**
 * A resource block of cdk.tf.json -> model object (still to be validated by zod). Meta-arguments
 * (`depends_on`, `lifecycle`, `provider`, the `//` metadata) are not attributes and are skipped;
 * an attribute the schema does not know is left to zod's strict check under its model name.
 */
export function decodeAttributes(
  specs: readonly AttributeSpec[],
  block: Record<string, unknown>,
): { value: Record<string, unknown>; problems: DecodeProblem[] } {
  const value: Record<string, unknown> = {};
  const problems: DecodeProblem[] = [];
  const byTfName = new Map(specs.map((s) => [s.tfName, s]));
  for (const [name, raw] of Object.entries(block)) {
    if (TERRAFORM_META_ARGUMENTS.has(name)) continue;
    const spec = byTfName.get(name);
    if (!spec) {
      problems.push({ attribute: name, message: `unknown attribute "${name}"` });
      continue;
    }
    if (spec.encoding !== 'json') {
      value[spec.field] = raw;
      continue;
    }
    if (typeof raw !== 'string') {
      problems.push({ attribute: name, message: 'must be a JSON-encoded string' });
      continue;
    }
    try {
      value[spec.field] = JSON.parse(raw);
    } catch (e) {
      problems.push({ attribute: name, message: `is not valid JSON (${(e as Error).message})` });
    }
  }
  return { value, problems };
}

const TERRAFORM_META_ARGUMENTS = new Set(['//', 'depends_on', 'lifecycle', 'provider', 'count', 'for_each', 'provisioner', 'connection']);

/** The Terraform attribute name of a model field (for error messages that name the attribute). */
export function tfNameOf(specs: readonly AttributeSpec[], field: string): string {
  return specs.find((s) => s.field === field)?.tfName ?? field;
}
