import type { z } from 'zod';
import { Construct, type TerraformResource } from './cdktn.js';
import { ModelAttributes } from './attributes.js';
import type { StackMember } from './member.js';
import { LinkedAudiencesStack } from './stack.js';
import { resourceAddress } from '../src/model/address.js';
import { terraformType, type RESOURCE_SCHEMAS, type ResourceKind } from '../src/model/desired.js';

/** The model's input shape of a resource kind. */
export type ResourceInput<K extends ResourceKind> = z.input<(typeof RESOURCE_SCHEMAS)[K]>;

/**
 * What every L2 construct shares: one resource of the model, keyed, synthesized as one literal
 * `linkedaudiences_<kind>` resource named by its key, validated by its stack. Each L2 makes its
 * generated L1 in its constructor from `attributes`.
 */
export abstract class LinkedResource<K extends ResourceKind = ResourceKind> extends Construct implements StackMember {
  /** The stack this resource belongs to. */
  readonly stack: LinkedAudiencesStack;

  /** Escape hatch: the generated L1 resource, e.g. to add an override. */
  abstract readonly resource: TerraformResource;

  /** The L1's attribute values, resolved at synth from the model the stack validated. */
  protected readonly attributes: ModelAttributes<ResourceInput<K>>;

  protected constructor(
    scope: Construct,
    id: string,
    /** The resource kind, as in src/model RESOURCE_KINDS. */
    readonly kind: K,
    /** The resource key: immutable, names the resource in the manifest, the plan and the state. */
    readonly key: string,
  ) {
    super(scope, id);
    this.stack = LinkedAudiencesStack.of(this);
    this.stack._register(this);
    this.attributes = new ModelAttributes(() => this.stack._attributesOf(this));
    this.node.addValidation({ validate: () => this.stack._problemsOf(this) });
  }

  /** The resource as the model's input shape (zod input): validated and encoded at synth. */
  abstract toModel(): Record<string, unknown>;

  /** `audience.overdue-cards`: how diagnostics and the plan name this resource. */
  get address(): string {
    return resourceAddress(this.kind, this.key);
  }

  /** `linkedaudiences_audience.overdue-cards`: the Terraform address in cdk.tf.json. */
  get terraformAddress(): string {
    return `${terraformType(this.kind)}.${this.key}`;
  }
}
