import * as cdktn from './cdktn.js';
import type { Construct } from './cdktn.js';

/*
 * What every generated L1 resource class shares (constructs/.gen, written by `npm run gen`): the
 * meta-arguments, and the synthesis of its attributes from a table the generator writes per
 * resource type. A generated class is then its config interface and that table, nothing else.
 */

/** The Terraform type of an attribute, as provider-schema.json gives it. */
export type L1AttributeType = 'string' | 'number' | 'bool' | 'stringList';

/** A resource type's attributes: config field -> [Terraform attribute name, type]. */
export type L1Attributes = Readonly<Record<string, readonly [tfName: string, type: L1AttributeType]>>;

/** The resource type and the provider that writes it, as `cdktn get` records them in cdk.tf.json. */
export interface L1ResourceType {
  terraformResourceType: string;
  terraformGeneratorMetadata: cdktn.TerraformProviderGeneratorMetadata;
  attributes: L1Attributes;
}

const TO_TERRAFORM: Record<L1AttributeType, (value: never) => unknown> = {
  string: cdktn.stringToTerraform,
  number: cdktn.numberToTerraform,
  bool: cdktn.booleanToTerraform,
  stringList: cdktn.listMapper(cdktn.stringToTerraform, false),
};

const TO_HCL: Record<L1AttributeType, { toHcl: (value: never) => unknown; type: 'simple' | 'list'; storageClassType: string }> = {
  string: { toHcl: cdktn.stringToHclTerraform, type: 'simple', storageClassType: 'string' },
  number: { toHcl: cdktn.numberToHclTerraform, type: 'simple', storageClassType: 'number' },
  bool: { toHcl: cdktn.booleanToHclTerraform, type: 'simple', storageClassType: 'boolean' },
  stringList: { toHcl: cdktn.listMapperHcl(cdktn.stringToHclTerraform, false), type: 'list', storageClassType: 'stringList' },
};

/** A generated L1 resource: its config's attributes synthesized by the table of its type. */
export abstract class GeneratedResource<Config extends cdktn.TerraformMetaArguments> extends cdktn.TerraformResource {
  private readonly attributes: L1Attributes;
  private readonly config: Config;

  protected constructor(scope: Construct, id: string, type: L1ResourceType, config: Config) {
    super(scope, id, {
      terraformResourceType: type.terraformResourceType,
      terraformGeneratorMetadata: type.terraformGeneratorMetadata,
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
    this.attributes = type.attributes;
    this.config = config;
  }

  protected override synthesizeAttributes(): { [name: string]: unknown } {
    return Object.fromEntries(Object.entries(this.attributes).map(([field, [tfName, type]]) => [tfName, TO_TERRAFORM[type](this.config[field as keyof Config] as never)]));
  }

  protected override synthesizeHclAttributes(): { [name: string]: unknown } {
    const attrs = Object.entries(this.attributes).map(([field, [tfName, type]]) => {
      const { toHcl, ...shape } = TO_HCL[type];
      return [tfName, { value: toHcl(this.config[field as keyof Config] as never), isBlock: false, ...shape }] as const;
    });
    // Unset attributes are left out, as cdktn's own generated classes do.
    return Object.fromEntries(attrs.filter(([, attr]) => attr.value !== undefined));
  }
}
