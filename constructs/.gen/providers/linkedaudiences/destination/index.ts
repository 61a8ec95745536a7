// https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktn from 'cdktn';

// Configuration

export interface DestinationConfig extends cdktn.TerraformMetaArguments {
  /**
  * key of the destination (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination#key Destination#key}
  */
  readonly key: string;
  /**
  * name of the destination (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination#name Destination#name}
  */
  readonly name?: string;
  /**
  * batchSize of the destination (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination#batch_size Destination#batch_size}
  */
  readonly batchSize?: number;
  /**
  * requestsPerSecond of the destination (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination#requests_per_second Destination#requests_per_second}
  */
  readonly requestsPerSecond?: number;
  /**
  * retryBudgetMinutes of the destination (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination#retry_budget_minutes Destination#retry_budget_minutes}
  */
  readonly retryBudgetMinutes?: number;
  /**
  * preventDestroy of the destination (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination#prevent_destroy Destination#prevent_destroy}
  */
  readonly preventDestroy?: boolean | cdktn.IResolvable;
  /**
  * type of the destination (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination#type Destination#type}
  */
  readonly type: string;
  /**
  * settings of the destination, JSON-encoded (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination#settings Destination#settings}
  */
  readonly settings: string;
}

/**
* Represents a {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination linkedaudiences_destination}
*/
export class Destination extends cdktn.TerraformResource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "linkedaudiences_destination";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTN code for importing a Destination resource upon running "cdktn plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the Destination to import
  * @param importFromId The id of the existing Destination that should be imported. Refer to the {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the Destination to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktn.TerraformProvider) {
        return new cdktn.ImportableResource(scope, importToId, { terraformResourceType: "linkedaudiences_destination", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/destination linkedaudiences_destination} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options DestinationConfig
  */
  public constructor(scope: Construct, id: string, config: DestinationConfig) {
    super(scope, id, {
      terraformResourceType: 'linkedaudiences_destination',
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
    this._batchSize = config.batchSize;
    this._requestsPerSecond = config.requestsPerSecond;
    this._retryBudgetMinutes = config.retryBudgetMinutes;
    this._preventDestroy = config.preventDestroy;
    this._type = config.type;
    this._settings = config.settings;
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

  // batch_size - computed: false, optional: true, required: false
  private _batchSize?: number; 
  public get batchSize() {
    return this.getNumberAttribute('batch_size');
  }
  public set batchSize(value: number) {
    this._batchSize = value;
  }
  public resetBatchSize() {
    this._batchSize = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get batchSizeInput() {
    return this._batchSize;
  }

  // requests_per_second - computed: false, optional: true, required: false
  private _requestsPerSecond?: number; 
  public get requestsPerSecond() {
    return this.getNumberAttribute('requests_per_second');
  }
  public set requestsPerSecond(value: number) {
    this._requestsPerSecond = value;
  }
  public resetRequestsPerSecond() {
    this._requestsPerSecond = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get requestsPerSecondInput() {
    return this._requestsPerSecond;
  }

  // retry_budget_minutes - computed: false, optional: true, required: false
  private _retryBudgetMinutes?: number; 
  public get retryBudgetMinutes() {
    return this.getNumberAttribute('retry_budget_minutes');
  }
  public set retryBudgetMinutes(value: number) {
    this._retryBudgetMinutes = value;
  }
  public resetRetryBudgetMinutes() {
    this._retryBudgetMinutes = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get retryBudgetMinutesInput() {
    return this._retryBudgetMinutes;
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

  // type - computed: false, optional: false, required: true
  private _type?: string; 
  public get type() {
    return this.getStringAttribute('type');
  }
  public set type(value: string) {
    this._type = value;
  }
  // Temporarily expose input value. Use with caution.
  public get typeInput() {
    return this._type;
  }

  // settings - computed: false, optional: false, required: true
  private _settings?: string; 
  public get settings() {
    return this.getStringAttribute('settings');
  }
  public set settings(value: string) {
    this._settings = value;
  }
  // Temporarily expose input value. Use with caution.
  public get settingsInput() {
    return this._settings;
  }

  // =========
  // SYNTHESIS
  // =========

  protected override synthesizeAttributes(): { [name: string]: any } {
    return {
      key: cdktn.stringToTerraform(this._key),
      name: cdktn.stringToTerraform(this._name),
      batch_size: cdktn.numberToTerraform(this._batchSize),
      requests_per_second: cdktn.numberToTerraform(this._requestsPerSecond),
      retry_budget_minutes: cdktn.numberToTerraform(this._retryBudgetMinutes),
      prevent_destroy: cdktn.booleanToTerraform(this._preventDestroy),
      type: cdktn.stringToTerraform(this._type),
      settings: cdktn.stringToTerraform(this._settings),
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
      batch_size: {
        value: cdktn.numberToHclTerraform(this._batchSize),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
      requests_per_second: {
        value: cdktn.numberToHclTerraform(this._requestsPerSecond),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
      retry_budget_minutes: {
        value: cdktn.numberToHclTerraform(this._retryBudgetMinutes),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
      prevent_destroy: {
        value: cdktn.booleanToHclTerraform(this._preventDestroy),
        isBlock: false,
        type: "simple",
        storageClassType: "boolean",
      },
      type: {
        value: cdktn.stringToHclTerraform(this._type),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      settings: {
        value: cdktn.stringToHclTerraform(this._settings),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
