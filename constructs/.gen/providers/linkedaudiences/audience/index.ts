// https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktn from 'cdktn';

// Configuration

export interface AudienceConfig extends cdktn.TerraformMetaArguments {
  /**
  * key of the audience (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience#key Audience#key}
  */
  readonly key: string;
  /**
  * name of the audience (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience#name Audience#name}
  */
  readonly name: string;
  /**
  * description of the audience (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience#description Audience#description}
  */
  readonly description?: string;
  /**
  * enabled of the audience (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience#enabled Audience#enabled}
  */
  readonly enabled?: boolean | cdktn.IResolvable;
  /**
  * schedule of the audience, JSON-encoded (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience#schedule Audience#schedule}
  */
  readonly schedule?: string;
  /**
  * condition of the audience, JSON-encoded (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience#condition Audience#condition}
  */
  readonly condition: string;
  /**
  * preventDestroy of the audience (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience#prevent_destroy Audience#prevent_destroy}
  */
  readonly preventDestroy?: boolean | cdktn.IResolvable;
}

/**
* Represents a {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience linkedaudiences_audience}
*/
export class Audience extends cdktn.TerraformResource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "linkedaudiences_audience";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTN code for importing a Audience resource upon running "cdktn plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the Audience to import
  * @param importFromId The id of the existing Audience that should be imported. Refer to the {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the Audience to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktn.TerraformProvider) {
        return new cdktn.ImportableResource(scope, importToId, { terraformResourceType: "linkedaudiences_audience", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/audience linkedaudiences_audience} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options AudienceConfig
  */
  public constructor(scope: Construct, id: string, config: AudienceConfig) {
    super(scope, id, {
      terraformResourceType: 'linkedaudiences_audience',
      terraformGeneratorMetadata: {
        providerName: 'linkedaudiences',
        providerVersion: '0.1.0'
      },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach
    });
    this._key = config.key;
    this._name = config.name;
    this._description = config.description;
    this._enabled = config.enabled;
    this._schedule = config.schedule;
    this._condition = config.condition;
    this._preventDestroy = config.preventDestroy;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // key - computed: false, optional: false, required: true
  private _key?: string; 
  public get key() {
    return this.getStringAttribute('key');
  }
  public set key(value: string) {
    this._key = value;
  }
  // Temporarily expose input value. Use with caution.
  public get keyInput() {
    return this._key;
  }

  // name - computed: false, optional: false, required: true
  private _name?: string; 
  public get name() {
    return this.getStringAttribute('name');
  }
  public set name(value: string) {
    this._name = value;
  }
  // Temporarily expose input value. Use with caution.
  public get nameInput() {
    return this._name;
  }

  // description - computed: false, optional: true, required: false
  private _description?: string; 
  public get description() {
    return this.getStringAttribute('description');
  }
  public set description(value: string) {
    this._description = value;
  }
  public resetDescription() {
    this._description = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get descriptionInput() {
    return this._description;
  }

  // enabled - computed: false, optional: true, required: false
  private _enabled?: boolean | cdktn.IResolvable; 
  public get enabled() {
    return this.getBooleanAttribute('enabled');
  }
  public set enabled(value: boolean | cdktn.IResolvable) {
    this._enabled = value;
  }
  public resetEnabled() {
    this._enabled = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get enabledInput() {
    return this._enabled;
  }

  // schedule - computed: false, optional: true, required: false
  private _schedule?: string; 
  public get schedule() {
    return this.getStringAttribute('schedule');
  }
  public set schedule(value: string) {
    this._schedule = value;
  }
  public resetSchedule() {
    this._schedule = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get scheduleInput() {
    return this._schedule;
  }

  // condition - computed: false, optional: false, required: true
  private _condition?: string; 
  public get condition() {
    return this.getStringAttribute('condition');
  }
  public set condition(value: string) {
    this._condition = value;
  }
  // Temporarily expose input value. Use with caution.
  public get conditionInput() {
    return this._condition;
  }

  // prevent_destroy - computed: false, optional: true, required: false
  private _preventDestroy?: boolean | cdktn.IResolvable; 
  public get preventDestroy() {
    return this.getBooleanAttribute('prevent_destroy');
  }
  public set preventDestroy(value: boolean | cdktn.IResolvable) {
    this._preventDestroy = value;
  }
  public resetPreventDestroy() {
    this._preventDestroy = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get preventDestroyInput() {
    return this._preventDestroy;
  }

  // =========
  // SYNTHESIS
  // =========

  protected override synthesizeAttributes(): { [name: string]: any } {
    return {
      key: cdktn.stringToTerraform(this._key),
      name: cdktn.stringToTerraform(this._name),
      description: cdktn.stringToTerraform(this._description),
      enabled: cdktn.booleanToTerraform(this._enabled),
      schedule: cdktn.stringToTerraform(this._schedule),
      condition: cdktn.stringToTerraform(this._condition),
      prevent_destroy: cdktn.booleanToTerraform(this._preventDestroy),
    };
  }

  protected override synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      key: {
        value: cdktn.stringToHclTerraform(this._key),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      name: {
        value: cdktn.stringToHclTerraform(this._name),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      description: {
        value: cdktn.stringToHclTerraform(this._description),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      enabled: {
        value: cdktn.booleanToHclTerraform(this._enabled),
        isBlock: false,
        type: "simple",
        storageClassType: "boolean",
      },
      schedule: {
        value: cdktn.stringToHclTerraform(this._schedule),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      condition: {
        value: cdktn.stringToHclTerraform(this._condition),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      prevent_destroy: {
        value: cdktn.booleanToHclTerraform(this._preventDestroy),
        isBlock: false,
        type: "simple",
        storageClassType: "boolean",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
