// https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktn from 'cdktn';

// Configuration

export interface EventEmitterConfig extends cdktn.TerraformMetaArguments {
  /**
  * key of the event emitter (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#key EventEmitter#key}
  */
  readonly key: string;
  /**
  * audience of the event emitter (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#audience EventEmitter#audience}
  */
  readonly audience: string;
  /**
  * destination of the event emitter (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#destination EventEmitter#destination}
  */
  readonly destination: string;
  /**
  * trigger of the event emitter (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#trigger EventEmitter#trigger}
  */
  readonly trigger: string;
  /**
  * entityPath of the event emitter (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#entity_path EventEmitter#entity_path}
  */
  readonly entityPath?: string[];
  /**
  * action of the event emitter (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#action EventEmitter#action}
  */
  readonly action?: string;
  /**
  * mapping of the event emitter, JSON-encoded (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#mapping EventEmitter#mapping}
  */
  readonly mapping?: string;
  /**
  * eventName of the event emitter (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#event_name EventEmitter#event_name}
  */
  readonly eventName?: string;
  /**
  * enrich of the event emitter, JSON-encoded (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#enrich EventEmitter#enrich}
  */
  readonly enrich?: string;
  /**
  * sendForCurrent of the event emitter (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#send_for_current EventEmitter#send_for_current}
  */
  readonly sendForCurrent?: boolean | cdktn.IResolvable;
  /**
  * preventDestroy of the event emitter (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#prevent_destroy EventEmitter#prevent_destroy}
  */
  readonly preventDestroy?: boolean | cdktn.IResolvable;
}

/**
* Represents a {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter linkedaudiences_event_emitter}
*/
export class EventEmitter extends cdktn.TerraformResource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "linkedaudiences_event_emitter";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTN code for importing a EventEmitter resource upon running "cdktn plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the EventEmitter to import
  * @param importFromId The id of the existing EventEmitter that should be imported. Refer to the {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the EventEmitter to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktn.TerraformProvider) {
        return new cdktn.ImportableResource(scope, importToId, { terraformResourceType: "linkedaudiences_event_emitter", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs/resources/event_emitter linkedaudiences_event_emitter} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options EventEmitterConfig
  */
  public constructor(scope: Construct, id: string, config: EventEmitterConfig) {
    super(scope, id, {
      terraformResourceType: 'linkedaudiences_event_emitter',
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
    this._audience = config.audience;
    this._destination = config.destination;
    this._trigger = config.trigger;
    this._entityPath = config.entityPath;
    this._action = config.action;
    this._mapping = config.mapping;
    this._eventName = config.eventName;
    this._enrich = config.enrich;
    this._sendForCurrent = config.sendForCurrent;
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

  // audience - computed: false, optional: false, required: true
  private _audience?: string; 
  public get audience() {
    return this.getStringAttribute('audience');
  }
  public set audience(value: string) {
    this._audience = value;
  }
  // Temporarily expose input value. Use with caution.
  public get audienceInput() {
    return this._audience;
  }

  // destination - computed: false, optional: false, required: true
  private _destination?: string; 
  public get destination() {
    return this.getStringAttribute('destination');
  }
  public set destination(value: string) {
    this._destination = value;
  }
  // Temporarily expose input value. Use with caution.
  public get destinationInput() {
    return this._destination;
  }

  // trigger - computed: false, optional: false, required: true
  private _trigger?: string; 
  public get trigger() {
    return this.getStringAttribute('trigger');
  }
  public set trigger(value: string) {
    this._trigger = value;
  }
  // Temporarily expose input value. Use with caution.
  public get triggerInput() {
    return this._trigger;
  }

  // entity_path - computed: false, optional: true, required: false
  private _entityPath?: string[]; 
  public get entityPath() {
    return this.getListAttribute('entity_path');
  }
  public set entityPath(value: string[]) {
    this._entityPath = value;
  }
  public resetEntityPath() {
    this._entityPath = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get entityPathInput() {
    return this._entityPath;
  }

  // action - computed: false, optional: true, required: false
  private _action?: string; 
  public get action() {
    return this.getStringAttribute('action');
  }
  public set action(value: string) {
    this._action = value;
  }
  public resetAction() {
    this._action = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get actionInput() {
    return this._action;
  }

  // mapping - computed: false, optional: true, required: false
  private _mapping?: string; 
  public get mapping() {
    return this.getStringAttribute('mapping');
  }
  public set mapping(value: string) {
    this._mapping = value;
  }
  public resetMapping() {
    this._mapping = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get mappingInput() {
    return this._mapping;
  }

  // event_name - computed: false, optional: true, required: false
  private _eventName?: string; 
  public get eventName() {
    return this.getStringAttribute('event_name');
  }
  public set eventName(value: string) {
    this._eventName = value;
  }
  public resetEventName() {
    this._eventName = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get eventNameInput() {
    return this._eventName;
  }

  // enrich - computed: false, optional: true, required: false
  private _enrich?: string; 
  public get enrich() {
    return this.getStringAttribute('enrich');
  }
  public set enrich(value: string) {
    this._enrich = value;
  }
  public resetEnrich() {
    this._enrich = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get enrichInput() {
    return this._enrich;
  }

  // send_for_current - computed: false, optional: true, required: false
  private _sendForCurrent?: boolean | cdktn.IResolvable; 
  public get sendForCurrent() {
    return this.getBooleanAttribute('send_for_current');
  }
  public set sendForCurrent(value: boolean | cdktn.IResolvable) {
    this._sendForCurrent = value;
  }
  public resetSendForCurrent() {
    this._sendForCurrent = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get sendForCurrentInput() {
    return this._sendForCurrent;
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
      audience: cdktn.stringToTerraform(this._audience),
      destination: cdktn.stringToTerraform(this._destination),
      trigger: cdktn.stringToTerraform(this._trigger),
      entity_path: cdktn.listMapper(cdktn.stringToTerraform, false)(this._entityPath),
      action: cdktn.stringToTerraform(this._action),
      mapping: cdktn.stringToTerraform(this._mapping),
      event_name: cdktn.stringToTerraform(this._eventName),
      enrich: cdktn.stringToTerraform(this._enrich),
      send_for_current: cdktn.booleanToTerraform(this._sendForCurrent),
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
      audience: {
        value: cdktn.stringToHclTerraform(this._audience),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      destination: {
        value: cdktn.stringToHclTerraform(this._destination),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      trigger: {
        value: cdktn.stringToHclTerraform(this._trigger),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      entity_path: {
        value: cdktn.listMapperHcl(cdktn.stringToHclTerraform, false)(this._entityPath),
        isBlock: false,
        type: "list",
        storageClassType: "stringList",
      },
      action: {
        value: cdktn.stringToHclTerraform(this._action),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      mapping: {
        value: cdktn.stringToHclTerraform(this._mapping),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      event_name: {
        value: cdktn.stringToHclTerraform(this._eventName),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      enrich: {
        value: cdktn.stringToHclTerraform(this._enrich),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      send_for_current: {
        value: cdktn.booleanToHclTerraform(this._sendForCurrent),
        isBlock: false,
        type: "simple",
        storageClassType: "boolean",
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
