import type { z } from 'zod';
import { Construct, type TerraformResource } from './cdktn.js';
import { ModelAttributes } from './attributes.js';
import type { StackMember } from './member.js';
import { LinkedAudiencesStack } from './stack.js';
import { resourceAddress } from '../src/model/address.js';
import { RESOURCE_ATTRIBUTES } from '../src/model/attributes.js';
import { terraformType, type RESOURCE_SCHEMAS, type ResourceKind } from '../src/model/desired.js';

/** The model's input shape of a resource kind. */
export type ResourceInput<K extends ResourceKind> = z.input<(typeof RESOURCE_SCHEMAS)[K]>;

/** A generated L1 class, as `npm run gen` writes them: made from a scope, an id and its config. */
export type L1Class<R extends TerraformResource, Config> = new (scope: Construct, id: string, config: Config) => R;

/**
 * What every L2 construct shares: one resource of the model, keyed, synthesized as one literal
 * `linkedaudiences_<kind>` resource named by its key, validated by its stack. Each L2 makes its
 * generated L1 with `createL1`.
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

  /**
   * This resource's generated L1, named by its key. It gets every attribute the model lists for
   * the kind (RESOURCE_ATTRIBUTES, the table the L1 classes are generated from, so the two cannot
   * drift apart), each resolved at synth from the model the stack validated.
   */
  protected createL1<R extends TerraformResource, Config>(L1: L1Class<R, Config>): R {
    const config = { ...this.attributes.all(RESOURCE_ATTRIBUTES[this.kind]), key: this.key };
    const resource = new L1(this, 'resource', config as Config);
    resource.overrideLogicalId(this.key);
    return resource;
  }

  /** The resource as the model's input shape (zod input): validated and encoded at synth. */
  abstract toModel(): Record<string, unknown>;

  /**
   * The constructs this resource names by key or slug (the audiences of its conditions, an
   * emitter's destination...): its stack refuses one declared in another stack.
   */
  references(): readonly object[] {
    return [];
  }

  /** `audience.overdue-cards`: how diagnostics and the plan name this resource. */
  get address(): string {
    return resourceAddress(this.kind, this.key);
  }

  /** `linkedaudiences_audience.overdue-cards`: the Terraform address in cdk.tf.json. */
  get terraformAddress(): string {
    return `${terraformType(this.kind)}.${this.key}`;
  }
}
