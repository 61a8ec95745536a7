// https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/classic_audience
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktn from 'cdktn';

// Configuration

export interface ClassicAudienceConfig extends cdktn.TerraformMetaArguments {
  /**
  * key of the classic audience (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/classic_audience#key ClassicAudience#key}
  */
  readonly key: string;
  /**
  * name of the classic audience (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/classic_audience#name ClassicAudience#name}
  */
  readonly name?: string;
  /**
  * table of the classic audience (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/classic_audience#table ClassicAudience#table}
  */
  readonly table: string;
  /**
  * profileIdColumn of the classic audience (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/classic_audience#profile_id_column ClassicAudience#profile_id_column}
  */
  readonly profileIdColumn: string;
  /**
  * preventDestroy of the classic audience (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/classic_audience#prevent_destroy ClassicAudience#prevent_destroy}
  */
  readonly preventDestroy?: boolean | cdktn.IResolvable;
}

/**
* Represents a {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/classic_audience linkedaudiences_classic_audience}
*/
export class ClassicAudience extends cdktn.TerraformResource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "linkedaudiences_classic_audience";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTN code for importing a ClassicAudience resource upon running "cdktn plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the ClassicAudience to import
  * @param importFromId The id of the existing ClassicAudience that should be imported. Refer to the {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/classic_audience#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the ClassicAudience to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktn.TerraformProvider) {
        return new cdktn.ImportableResource(scope, importToId, { terraformResourceType: "linkedaudiences_classic_audience", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/classic_audience linkedaudiences_classic_audience} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options ClassicAudienceConfig
  */
  public constructor(scope: Construct, id: string, config: ClassicAudienceConfig) {
    super(scope, id, {
      terraformResourceType: 'linkedaudiences_classic_audience',
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
    this._table = config.table;
    this._profileIdColumn = config.profileIdColumn;
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

  // name - computed: false, optional: true, required: false
  private _name?: string; 
  public get name() {
    return this.getStringAttribute('name');
  }
  public set name(value: string) {
    this._name = value;
  }
  public resetName() {
    this._name = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get nameInput() {
    return this._name;
  }

  // table - computed: false, optional: false, required: true
  private _table?: string; 
  public get table() {
    return this.getStringAttribute('table');
  }
  public set table(value: string) {
    this._table = value;
  }
  // Temporarily expose input value. Use with caution.
  public get tableInput() {
    return this._table;
  }

  // profile_id_column - computed: false, optional: false, required: true
  private _profileIdColumn?: string; 
  public get profileIdColumn() {
    return this.getStringAttribute('profile_id_column');
  }
  public set profileIdColumn(value: string) {
    this._profileIdColumn = value;
  }
  // Temporarily expose input value. Use with caution.
  public get profileIdColumnInput() {
    return this._profileIdColumn;
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
      table: cdktn.stringToTerraform(this._table),
      profile_id_column: cdktn.stringToTerraform(this._profileIdColumn),
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
      table: {
        value: cdktn.stringToHclTerraform(this._table),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      profile_id_column: {
        value: cdktn.stringToHclTerraform(this._profileIdColumn),
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
