import snowflake from 'snowflake-sdk';
import { LinkedError } from '../model/errors.js';
import type { SnowflakeWarehouseConfig } from '../model/warehouse.js';
import { resolveSecret } from '../secrets.js';
import { and, col, eq, param, select, table as tableRef } from '../dialect/ast.js';
import { classifySnowflakeError } from './errors.js';
import { execute } from './execute.js';
import { TransactionGate } from './transactions.js';
import type { CatalogColumn, CatalogTable, QueryOptions, QueryResult, Row, Warehouse } from './types.js';

export interface SnowflakeOpenOptions {
  /** Where secrets are read from (tests pass their own); default process.env. */
  env?: NodeJS.ProcessEnv;
}

let sdkConfigured = false;
/** The driver logs to a file and the console by default; a CLI must stay quiet (and never log a secret). */
function configureSdkOnce(): void {
  if (sdkConfigured) return;
  sdkConfigured = true;
  snowflake.configure({ logLevel: 'OFF', additionalLogToConsole: false } as snowflake.ConfigureOptions);
}

/**
 * A PEM key kept in an environment variable often arrives with its newlines escaped (`\n`) or
 * stripped of them by a CI secret store; restore them so the driver can parse it.
 */
export function normalisePrivateKey(pem: string): string {
  const text = pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem;
  return text.trim() + '\n';
}

/** The driver's connection options for a stack's Snowflake config: secrets resolved now, at the moment of use. */
export function snowflakeConnectionOptions(config: SnowflakeWarehouseConfig, env: NodeJS.ProcessEnv = process.env): snowflake.ConnectionOptions {
  const base: snowflake.ConnectionOptions = {
    account: config.account,
    username: config.username,
    database: config.database,
    warehouse: config.warehouse,
    role: config.role,
    ...(config.schema ? { schema: config.schema } : {}),
    ...(config.accessUrl ? { accessUrl: config.accessUrl.replace(/\/+$/, '') } : {}),
    application: 'linked_audiences',
    // Integers as JS numbers (ids and counts fit); the adapter never hands out bigints.
    jsTreatIntegerAsBigInt: false,
  };
  if (config.auth.type === 'keypair') {
    return {
      ...base,
      authenticator: 'SNOWFLAKE_JWT',
      privateKey: normalisePrivateKey(resolveSecret(config.auth.privateKey, env)),
      ...(config.auth.passphrase ? { privateKeyPass: resolveSecret(config.auth.passphrase, env) } : {}),
    };
  }
  return { ...base, authenticator: 'SNOWFLAKE', password: resolveSecret(config.auth.password, env) };
}

/** Opens a Snowflake session (key-pair or password auth). Errors name the account, never a secret. */
export async function openSnowflake(config: SnowflakeWarehouseConfig, options: SnowflakeOpenOptions = {}): Promise<SnowflakeWarehouse> {
  configureSdkOnce();
  const connection = snowflake.createConnection(snowflakeConnectionOptions(config, options.env));
  await new Promise<void>((resolvePromise, reject) => {
    connection.connect((err) => {
      if (!err) return resolvePromise();
      const classified = classifySnowflakeError(err);
      reject(
        new LinkedError(
          (classified as LinkedError).code ?? 'WAREHOUSE',
          `Could not connect to Snowflake account ${config.account} as ${config.username}: ${classified.message}`,
        ),
      );
    });
  });
  return new SnowflakeWarehouse(connection, config);
}

/** Bound values as Snowflake takes them: Dates as UTC wall-clock text (TIMESTAMP_NTZ keeps no zone). */
function bindable(params: readonly unknown[]): snowflake.Bind[] {
  return params.map((p) => {
    if (p === undefined || p === null) return null as unknown as snowflake.Bind;
    if (p instanceof Date) {
      const iso = p.toISOString();
      return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
    }
    if (typeof p === 'bigint') return p.toString();
    return p as snowflake.Bind;
  });
}

/** Driver values as plain JS, the same shapes DuckDB returns: dates as Date, VARIANT as parsed JSON. */
function plainRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    // The driver decorates Dates with its own toJSON (the session's output format): strip it.
    out[k] = v instanceof Date ? new Date(v.getTime()) : v;
  }
  return out;
}

const FAMILIES: [RegExp, CatalogColumn['family']][] = [
  [/^(TEXT|VARCHAR|STRING|CHAR|CHARACTER|NCHAR|NVARCHAR)$/i, 'string'],
  [/^(NUMBER|DECIMAL|NUMERIC|INT|INTEGER|BIGINT|SMALLINT|TINYINT|BYTEINT|FLOAT|FLOAT4|FLOAT8|DOUBLE|DOUBLE PRECISION|REAL|FIXED)$/i, 'number'],
  [/^BOOLEAN$/i, 'boolean'],
  [/^DATE$/i, 'date'],
  [/^(TIMESTAMP|TIMESTAMP_NTZ|TIMESTAMP_LTZ|TIMESTAMP_TZ|DATETIME)$/i, 'timestamp'],
  [/^(VARIANT|OBJECT)$/i, 'json'],
];

export function snowflakeTypeFamily(type: string): CatalogColumn['family'] {
  return FAMILIES.find(([re]) => re.test(type.trim()))?.[1] ?? 'other';
}

export class SnowflakeWarehouse implements Warehouse {
  readonly dialect = 'snowflake' as const;
  private readonly gate = new TransactionGate((sql) => this.query(sql));
  private closed = false;

  constructor(
    private readonly connection: snowflake.Connection,
    private readonly config: SnowflakeWarehouseConfig,
  ) {}

  /**
   * Statement-level session parameters: QUERY_TAG, so each statement carries its own, and
   * TIMEZONE = UTC. Bound times are UTC wall clocks in TIMESTAMP_NTZ columns; CURRENT_TIMESTAMP is
   * a TIMESTAMP_LTZ that Snowflake converts with the session's TIMEZONE (by default
   * America/Los_Angeles) when it meets an NTZ value, so without it `expires_at < CURRENT_TIMESTAMP`
   * would be off by the account's offset. Sent with the statement: no extra round trip.
   */
  private statementParameters(options?: QueryOptions): Record<string, string> {
    return { TIMEZONE: 'UTC', ...(options?.tag ? { QUERY_TAG: options.tag } : {}) };
  }

  async query<T = Row>(sql: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<QueryResult<T>> {
    return new Promise((resolvePromise, reject) => {
      this.connection.execute({
        sqlText: sql,
        binds: bindable(params),
        parameters: this.statementParameters(options),
        complete: (err, stmt, rows) => {
          if (err) return reject(classifySnowflakeError(err, sql));
          resolvePromise({
            rows: ((rows ?? []) as Record<string, unknown>[]).map(plainRow) as T[],
            queryId: stmt.getQueryId(),
          });
        },
      });
    });
  }

  async *stream<T = Row>(sql: string, params: readonly unknown[] = [], pageSize = 10_000, options?: QueryOptions): AsyncIterable<T[]> {
    const stmt = await new Promise<snowflake.RowStatement>((resolvePromise, reject) => {
      this.connection.execute({
        sqlText: sql,
        binds: bindable(params),
        parameters: this.statementParameters(options),
        streamResult: true,
        complete: (err, s) => (err ? reject(classifySnowflakeError(err, sql)) : resolvePromise(s as snowflake.RowStatement)),
      });
    });
    let page: Row[] = [];
    try {
      // The driver fetches result chunks on demand as the stream is read: memory stays at one page.
      for await (const row of stmt.streamRows()) {
        page.push(plainRow(row as Record<string, unknown>));
        if (page.length >= pageSize) {
          yield page as T[];
          page = [];
        }
      }
    } catch (e) {
      throw classifySnowflakeError(e, sql);
    }
    if (page.length > 0) yield page as T[];
  }

  async transaction<T>(fn: (tx: Warehouse) => Promise<T>): Promise<T> {
    return this.gate.run(() => fn(this));
  }


  /**
   * Looks the table up in its database's INFORMATION_SCHEMA. Names match exactly: Snowflake stores
   * unquoted identifiers in upper case and our SQL quotes every identifier, so `main.profiles` and
   * `MAIN.PROFILES` are different tables there (docs/warehouses.md).
   */
  async describeTable(table: string): Promise<CatalogTable | undefined> {
    const parts = table.split('.');
    const [database, schema, name] =
      parts.length === 3
        ? parts
        : parts.length === 2
          ? [this.config.database, parts[0], parts[1]]
          : [this.config.database, this.config.schema ?? 'PUBLIC', parts[0]];
    const c = (name: string) => col('c', name);
    const columns = select(
      { COLUMN_NAME: c('COLUMN_NAME'), DATA_TYPE: c('DATA_TYPE'), IS_NULLABLE: c('IS_NULLABLE') },
      {
        // Each part quoted: INFORMATION_SCHEMA and COLUMNS are upper case, as Snowflake stores them.
        from: tableRef(`${database}.INFORMATION_SCHEMA.COLUMNS`, 'c'),
        where: and(eq(c('TABLE_SCHEMA'), param(schema)), eq(c('TABLE_NAME'), param(name))),
        orderBy: [{ expr: c('ORDINAL_POSITION') }],
      },
    );
    const { rows } = await execute<{ COLUMN_NAME: string; DATA_TYPE: string; IS_NULLABLE: string }>(this, columns, { tag: 'linked-audiences:catalog' });
    if (rows.length === 0) return undefined;
    return {
      name: table,
      columns: rows.map((r) => ({
        name: r.COLUMN_NAME,
        type: r.DATA_TYPE,
        family: snowflakeTypeFamily(r.DATA_TYPE),
        nullable: r.IS_NULLABLE === 'YES',
      })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolvePromise) => this.connection.destroy(() => resolvePromise()));
  }
}
