import { Construct, type TerraformResource } from './cdktn.js';
import { l1 } from './l1.js';
import { RESOURCE_ATTRIBUTES, encodeAttributes } from '../src/model/attributes.js';
import { terraformType, type ResourceKind } from '../src/model/desired.js';
import { resourceAddress } from '../src/model/address.js';
import { LinkedAudiencesStack } from './stack.js';

/** The generated L1 class of each resource kind. */
const L1_CLASSES = {
  data_graph: l1.dataGraph.DataGraph,
  classic_audience: l1.classicAudience.ClassicAudience,
  audience: l1.audience.Audience,
  destination: l1.destination.Destination,
  event_emitter: l1.eventEmitter.EventEmitter,
} as const;

/**
 * What every L2 construct shares: one resource of the model, keyed, synthesized as one literal
 * `linkedaudiences_<kind>` resource named by its key (DESIGN D3), validated by its stack.
 */
export abstract class LinkedResource extends Construct {
  /** The stack this resource belongs to. */
  readonly stack: LinkedAudiencesStack;
  private l1Resource?: TerraformResource;

  protected constructor(
    scope: Construct,
    id: string,
    /** The resource kind, as in src/model RESOURCE_KINDS. */
    readonly kind: ResourceKind,
    /** The resource key: immutable, names the resource in the manifest, the plan and the state. */
    readonly key: string,
  ) {
    super(scope, id);
    this.stack = LinkedAudiencesStack.of(this);
    this.stack._register(this);
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

  /**
   * Escape hatch: the generated L1 resource (cdk8s-plus style), e.g. to add an override. It exists
   * once the app synthesizes.
   */
  get resource(): TerraformResource | undefined {
    return this.l1Resource;
  }

  /**
   * Writes the L1 resource from the model: literal values only, the key as the Terraform name,
   * `depends_on` as literal addresses of the resources named by key.
   * @internal called by the stack before synthesis, when every resource is declared
   */
  _materialize(model: Record<string, unknown>, dependsOn: string[]): void {
    const props = encodeAttributes(RESOURCE_ATTRIBUTES[this.kind], model);
    if (!this.l1Resource) {
      const Cls = L1_CLASSES[this.kind] as unknown as new (scope: Construct, id: string, config: object) => TerraformResource;
      this.l1Resource = new Cls(this, 'resource', props);
      this.l1Resource.overrideLogicalId(this.key);
    } else {
      // A second synth of the same app: refresh the values (setters are generated per attribute).
      Object.assign(this.l1Resource, props);
    }
    this.l1Resource.dependsOn = dependsOn.length > 0 ? dependsOn : undefined;
  }
}
