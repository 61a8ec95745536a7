import type { IConstruct, TerraformResource } from './cdktn.js';
import type { ResourceKind } from '../src/model/desired.js';

/** What a stack needs of a resource declared in it (LinkedResource is the implementation). */
export interface StackMember extends IConstruct {
  /** The resource kind, as in src/model RESOURCE_KINDS. */
  readonly kind: ResourceKind;
  /** The resource key: immutable, names the resource in the manifest, the plan and the state. */
  readonly key: string;
  /** `audience.overdue-cards`: how the static checks name the resource. */
  readonly address: string;
  /** `linkedaudiences_audience.overdue-cards`: the Terraform address in cdk.tf.json. */
  readonly terraformAddress: string;
  /** The generated L1 resource it synthesizes to. */
  readonly resource: TerraformResource;
  /** The resource as the model's input shape (zod input), validated by the stack. */
  toModel(): Record<string, unknown>;
  /** What the resource names by key or slug, as the constructs that declare it (an audience, the Data Graph of a relationship). */
  references(): readonly object[];
}

/** What a stack needs of a test declared in it (AudienceTest is the implementation). */
export interface StackTest extends IConstruct {
  /** Unique in the stack. */
  readonly name: string;
  /** The test as the stack's linked-tests.json holds it. */
  toSpec(): Record<string, unknown>;
}
