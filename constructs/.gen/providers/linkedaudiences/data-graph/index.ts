// https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktn from 'cdktn';

// Configuration

export interface DataGraphConfig extends cdktn.TerraformMetaArguments {
  /**
  * key of the data graph (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph#key DataGraph#key}
  */
  readonly key?: string;
  /**
  * maxDepth of the data graph (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph#max_depth DataGraph#max_depth}
  */
  readonly maxDepth?: number;
  /**
  * joinKeys of the data graph (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph#join_keys DataGraph#join_keys}
  */
  readonly joinKeys?: string;
  /**
  * timeZone of the data graph (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph#time_zone DataGraph#time_zone}
  */
  readonly timeZone?: string;
  /**
  * profile of the data graph, JSON-encoded (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph#profile DataGraph#profile}
  */
  readonly profile: string;
  /**
  * events of the data graph, JSON-encoded (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph#events DataGraph#events}
  */
  readonly events?: string;
  /**
  * entities of the data graph, JSON-encoded (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph#entities DataGraph#entities}
  */
  readonly entities?: string;
  /**
  * relationships of the data graph, JSON-encoded (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph#relationships DataGraph#relationships}
  */
  readonly relationships?: string;
  /**
  * preventDestroy of the data graph (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph#prevent_destroy DataGraph#prevent_destroy}
  */
  readonly preventDestroy?: boolean | cdktn.IResolvable;
}

/**
* Represents a {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph linkedaudiences_data_graph}
*/
export class DataGraph extends cdktn.TerraformResource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "linkedaudiences_data_graph";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTN code for importing a DataGraph resource upon running "cdktn plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the DataGraph to import
  * @param importFromId The id of the existing DataGraph that should be imported. Refer to the {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the DataGraph to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktn.TerraformProvider) {
        return new cdktn.ImportableResource(scope, importToId, { terraformResourceType: "linkedaudiences_data_graph", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/data_graph linkedaudiences_data_graph} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options DataGraphConfig
  */
  public constructor(scope: Construct, id: string, config: DataGraphConfig) {
    super(scope, id, {
      terraformResourceType: 'linkedaudiences_data_graph',
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
    this._maxDepth = config.maxDepth;
    this._joinKeys = config.joinKeys;
    this._timeZone = config.timeZone;
    this._profile = config.profile;
    this._events = config.events;
    this._entities = config.entities;
    this._relationships = config.relationships;
    this._preventDestroy = config.preventDestroy;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // key - computed: false, optional: true, required: false
  private _key?: string; 
  public get key() {
    return this.getStringAttribute('key');
  }
  public set key(value: string) {
    this._key = value;
  }
  public resetKey() {
    this._key = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get keyInput() {
    return this._key;
  }

  // max_depth - computed: false, optional: true, required: false
  private _maxDepth?: number; 
  public get maxDepth() {
    return this.getNumberAttribute('max_depth');
  }
  public set maxDepth(value: number) {
    this._maxDepth = value;
  }
  public resetMaxDepth() {
    this._maxDepth = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get maxDepthInput() {
    return this._maxDepth;
  }

  // join_keys - computed: false, optional: true, required: false
  private _joinKeys?: string; 
  public get joinKeys() {
    return this.getStringAttribute('join_keys');
  }
  public set joinKeys(value: string) {
    this._joinKeys = value;
  }
  public resetJoinKeys() {
    this._joinKeys = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get joinKeysInput() {
    return this._joinKeys;
  }

  // time_zone - computed: false, optional: true, required: false
  private _timeZone?: string; 
  public get timeZone() {
    return this.getStringAttribute('time_zone');
  }
  public set timeZone(value: string) {
    this._timeZone = value;
  }
  public resetTimeZone() {
    this._timeZone = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get timeZoneInput() {
    return this._timeZone;
  }

  // profile - computed: false, optional: false, required: true
  private _profile?: string; 
  public get profile() {
    return this.getStringAttribute('profile');
  }
  public set profile(value: string) {
    this._profile = value;
  }
  // Temporarily expose input value. Use with caution.
  public get profileInput() {
    return this._profile;
  }

  // events - computed: false, optional: true, required: false
  private _events?: string; 
  public get events() {
    return this.getStringAttribute('events');
  }
  public set events(value: string) {
    this._events = value;
  }
  public resetEvents() {
    this._events = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get eventsInput() {
    return this._events;
  }

  // entities - computed: false, optional: true, required: false
  private _entities?: string; 
  public get entities() {
    return this.getStringAttribute('entities');
  }
  public set entities(value: string) {
    this._entities = value;
  }
  public resetEntities() {
    this._entities = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get entitiesInput() {
    return this._entities;
  }

  // relationships - computed: false, optional: true, required: false
  private _relationships?: string; 
  public get relationships() {
    return this.getStringAttribute('relationships');
  }
  public set relationships(value: string) {
    this._relationships = value;
  }
  public resetRelationships() {
    this._relationships = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get relationshipsInput() {
    return this._relationships;
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
      max_depth: cdktn.numberToTerraform(this._maxDepth),
      join_keys: cdktn.stringToTerraform(this._joinKeys),
      time_zone: cdktn.stringToTerraform(this._timeZone),
      profile: cdktn.stringToTerraform(this._profile),
      events: cdktn.stringToTerraform(this._events),
      entities: cdktn.stringToTerraform(this._entities),
      relationships: cdktn.stringToTerraform(this._relationships),
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
      max_depth: {
        value: cdktn.numberToHclTerraform(this._maxDepth),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
      join_keys: {
        value: cdktn.stringToHclTerraform(this._joinKeys),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      time_zone: {
        value: cdktn.stringToHclTerraform(this._timeZone),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      profile: {
        value: cdktn.stringToHclTerraform(this._profile),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      events: {
        value: cdktn.stringToHclTerraform(this._events),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      entities: {
        value: cdktn.stringToHclTerraform(this._entities),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      relationships: {
        value: cdktn.stringToHclTerraform(this._relationships),
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
