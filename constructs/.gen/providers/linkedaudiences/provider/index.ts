// https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktn from 'cdktn';

// Configuration

export interface LinkedaudiencesProviderConfig {
  /**
  * type of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#type LinkedaudiencesProvider#type}
  */
  readonly type: string;
  /**
  * path of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#path LinkedaudiencesProvider#path}
  */
  readonly path?: string;
  /**
  * stateSchema of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#state_schema LinkedaudiencesProvider#state_schema}
  */
  readonly stateSchema?: string;
  /**
  * account of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#account LinkedaudiencesProvider#account}
  */
  readonly account?: string;
  /**
  * username of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#username LinkedaudiencesProvider#username}
  */
  readonly username?: string;
  /**
  * database of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#database LinkedaudiencesProvider#database}
  */
  readonly database?: string;
  /**
  * warehouse of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#warehouse LinkedaudiencesProvider#warehouse}
  */
  readonly warehouse?: string;
  /**
  * role of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#role LinkedaudiencesProvider#role}
  */
  readonly role?: string;
  /**
  * schema of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#schema LinkedaudiencesProvider#schema}
  */
  readonly schema?: string;
  /**
  * auth of the warehouse, JSON-encoded (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#auth LinkedaudiencesProvider#auth}
  */
  readonly auth?: string;
  /**
  * accessUrl of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#access_url LinkedaudiencesProvider#access_url}
  */
  readonly accessUrl?: string;
  /**
  * loginTimeoutSeconds of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#login_timeout_seconds LinkedaudiencesProvider#login_timeout_seconds}
  */
  readonly loginTimeoutSeconds?: number;
  /**
  * statementTimeoutSeconds of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#statement_timeout_seconds LinkedaudiencesProvider#statement_timeout_seconds}
  */
  readonly statementTimeoutSeconds?: number;
  /**
  * queryTag of the warehouse (see src/model).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#query_tag LinkedaudiencesProvider#query_tag}
  */
  readonly queryTag?: string;
  /**
  * Alias name
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#alias LinkedaudiencesProvider#alias}
  */
  readonly alias?: string;
}

/**
* Represents a {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs linkedaudiences}
*/
export class LinkedaudiencesProvider extends cdktn.TerraformProvider {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "linkedaudiences";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTN code for importing a LinkedaudiencesProvider resource upon running "cdktn plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the LinkedaudiencesProvider to import
  * @param importFromId The id of the existing LinkedaudiencesProvider that should be imported. Refer to the {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the LinkedaudiencesProvider to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktn.TerraformProvider) {
        return new cdktn.ImportableResource(scope, importToId, { terraformResourceType: "linkedaudiences", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/linked-audiences/linkedaudiences/0.1.0/docs linkedaudiences} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options LinkedaudiencesProviderConfig
  */
  public constructor(scope: Construct, id: string, config: LinkedaudiencesProviderConfig) {
    super(scope, id, {
      terraformResourceType: 'linkedaudiences',
      terraformGeneratorMetadata: {
        providerName: 'linkedaudiences',
        providerVersion: '0.1.0'
      },
      terraformProviderSource: 'registry.terraform.io/linked-audiences/linkedaudiences'
    });
    this._type = config.type;
    this._path = config.path;
    this._stateSchema = config.stateSchema;
    this._account = config.account;
    this._username = config.username;
    this._database = config.database;
    this._warehouse = config.warehouse;
    this._role = config.role;
    this._schema = config.schema;
    this._auth = config.auth;
    this._accessUrl = config.accessUrl;
    this._loginTimeoutSeconds = config.loginTimeoutSeconds;
    this._statementTimeoutSeconds = config.statementTimeoutSeconds;
    this._queryTag = config.queryTag;
    this._alias = config.alias;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // type - computed: false, optional: false, required: true
  private _type?: string; 
  public get type() {
    return this._type;
  }
  public set type(value: string | undefined) {
    this._type = value;
  }
  // Temporarily expose input value. Use with caution.
  public get typeInput() {
    return this._type;
  }

  // path - computed: false, optional: true, required: false
  private _path?: string; 
  public get path() {
    return this._path;
  }
  public set path(value: string | undefined) {
    this._path = value;
  }
  public resetPath() {
    this._path = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get pathInput() {
    return this._path;
  }

  // state_schema - computed: false, optional: true, required: false
  private _stateSchema?: string; 
  public get stateSchema() {
    return this._stateSchema;
  }
  public set stateSchema(value: string | undefined) {
    this._stateSchema = value;
  }
  public resetStateSchema() {
    this._stateSchema = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get stateSchemaInput() {
    return this._stateSchema;
  }

  // account - computed: false, optional: true, required: false
  private _account?: string; 
  public get account() {
    return this._account;
  }
  public set account(value: string | undefined) {
    this._account = value;
  }
  public resetAccount() {
    this._account = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get accountInput() {
    return this._account;
  }

  // username - computed: false, optional: true, required: false
  private _username?: string; 
  public get username() {
    return this._username;
  }
  public set username(value: string | undefined) {
    this._username = value;
  }
  public resetUsername() {
    this._username = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get usernameInput() {
    return this._username;
  }

  // database - computed: false, optional: true, required: false
  private _database?: string; 
  public get database() {
    return this._database;
  }
  public set database(value: string | undefined) {
    this._database = value;
  }
  public resetDatabase() {
    this._database = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get databaseInput() {
    return this._database;
  }

  // warehouse - computed: false, optional: true, required: false
  private _warehouse?: string; 
  public get warehouse() {
    return this._warehouse;
  }
  public set warehouse(value: string | undefined) {
    this._warehouse = value;
  }
  public resetWarehouse() {
    this._warehouse = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get warehouseInput() {
    return this._warehouse;
  }

  // role - computed: false, optional: true, required: false
  private _role?: string; 
  public get role() {
    return this._role;
  }
  public set role(value: string | undefined) {
    this._role = value;
  }
  public resetRole() {
    this._role = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get roleInput() {
    return this._role;
  }

  // schema - computed: false, optional: true, required: false
  private _schema?: string; 
  public get schema() {
    return this._schema;
  }
  public set schema(value: string | undefined) {
    this._schema = value;
  }
  public resetSchema() {
    this._schema = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get schemaInput() {
    return this._schema;
  }

  // auth - computed: false, optional: true, required: false
  private _auth?: string; 
  public get auth() {
    return this._auth;
  }
  public set auth(value: string | undefined) {
    this._auth = value;
  }
  public resetAuth() {
    this._auth = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get authInput() {
    return this._auth;
  }

  // access_url - computed: false, optional: true, required: false
  private _accessUrl?: string; 
  public get accessUrl() {
    return this._accessUrl;
  }
  public set accessUrl(value: string | undefined) {
    this._accessUrl = value;
  }
  public resetAccessUrl() {
    this._accessUrl = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get accessUrlInput() {
    return this._accessUrl;
  }

  // login_timeout_seconds - computed: false, optional: true, required: false
  private _loginTimeoutSeconds?: number; 
  public get loginTimeoutSeconds() {
    return this._loginTimeoutSeconds;
  }
  public set loginTimeoutSeconds(value: number | undefined) {
    this._loginTimeoutSeconds = value;
  }
  public resetLoginTimeoutSeconds() {
    this._loginTimeoutSeconds = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get loginTimeoutSecondsInput() {
    return this._loginTimeoutSeconds;
  }

  // statement_timeout_seconds - computed: false, optional: true, required: false
  private _statementTimeoutSeconds?: number; 
  public get statementTimeoutSeconds() {
    return this._statementTimeoutSeconds;
  }
  public set statementTimeoutSeconds(value: number | undefined) {
    this._statementTimeoutSeconds = value;
  }
  public resetStatementTimeoutSeconds() {
    this._statementTimeoutSeconds = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get statementTimeoutSecondsInput() {
    return this._statementTimeoutSeconds;
  }

  // query_tag - computed: false, optional: true, required: false
  private _queryTag?: string; 
  public get queryTag() {
    return this._queryTag;
  }
  public set queryTag(value: string | undefined) {
    this._queryTag = value;
  }
  public resetQueryTag() {
    this._queryTag = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get queryTagInput() {
    return this._queryTag;
  }

  // alias - computed: false, optional: true, required: false
  private _alias?: string; 
  public override get alias() {
    return this._alias;
  }
  public override set alias(value: string | undefined) {
    this._alias = value;
  }
  public resetAlias() {
    this._alias = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get aliasInput() {
    return this._alias;
  }

  // =========
  // SYNTHESIS
  // =========

  protected override synthesizeAttributes(): { [name: string]: any } {
    return {
      type: cdktn.stringToTerraform(this._type),
      path: cdktn.stringToTerraform(this._path),
      state_schema: cdktn.stringToTerraform(this._stateSchema),
      account: cdktn.stringToTerraform(this._account),
      username: cdktn.stringToTerraform(this._username),
      database: cdktn.stringToTerraform(this._database),
      warehouse: cdktn.stringToTerraform(this._warehouse),
      role: cdktn.stringToTerraform(this._role),
      schema: cdktn.stringToTerraform(this._schema),
      auth: cdktn.stringToTerraform(this._auth),
      access_url: cdktn.stringToTerraform(this._accessUrl),
      login_timeout_seconds: cdktn.numberToTerraform(this._loginTimeoutSeconds),
      statement_timeout_seconds: cdktn.numberToTerraform(this._statementTimeoutSeconds),
      query_tag: cdktn.stringToTerraform(this._queryTag),
      alias: cdktn.stringToTerraform(this._alias),
    };
  }

  protected override synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      type: {
        value: cdktn.stringToHclTerraform(this._type),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      path: {
        value: cdktn.stringToHclTerraform(this._path),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      state_schema: {
        value: cdktn.stringToHclTerraform(this._stateSchema),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      account: {
        value: cdktn.stringToHclTerraform(this._account),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      username: {
        value: cdktn.stringToHclTerraform(this._username),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      database: {
        value: cdktn.stringToHclTerraform(this._database),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      warehouse: {
        value: cdktn.stringToHclTerraform(this._warehouse),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      role: {
        value: cdktn.stringToHclTerraform(this._role),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      schema: {
        value: cdktn.stringToHclTerraform(this._schema),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      auth: {
        value: cdktn.stringToHclTerraform(this._auth),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      access_url: {
        value: cdktn.stringToHclTerraform(this._accessUrl),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      login_timeout_seconds: {
        value: cdktn.numberToHclTerraform(this._loginTimeoutSeconds),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
      statement_timeout_seconds: {
        value: cdktn.numberToHclTerraform(this._statementTimeoutSeconds),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
      query_tag: {
        value: cdktn.stringToHclTerraform(this._queryTag),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      alias: {
        value: cdktn.stringToHclTerraform(this._alias),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
