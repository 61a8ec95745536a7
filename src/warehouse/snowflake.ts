import snowflake from 'snowflake-sdk';
import type { SnowflakeWarehouseConfig } from '../model/warehouse.js';
import type { RetryPolicy } from '../retry.js';
import { and, col, compare, eq, param, select, table as tableRef } from '../dialect/ast.js';
import { classifySnowflakeError, WarehouseError, type SnowflakeErrorLike, type WarehouseErrorCode } from './errors.js';
import { execute } from './execute.js';
import { catalogTable, type InformationSchemaColumn } from './catalog.js';
import type { SecretRedactor } from './redaction.js';
import { loginWithRetry, SNOWFLAKE_RETRY, type LoginOptions } from './snowflake-login.js';
import { TransactionGate } from './transactions.js';
import { plainInteger, type CatalogColumn, type CatalogTable, type QueryOptions, type QueryResult, type Row, type Warehouse } from './types.js';

export interface SnowflakeOpenOptions {
  /** Where secrets are read from (tests pass their own); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Backoff of login retries; default SNOWFLAKE_RETRY. */
  retry?: RetryPolicy;
}

/** Opens a Snowflake session (key-pair or password auth). Errors name the account, never a secret. */
export async function openSnowflake(config: SnowflakeWarehouseConfig, options: SnowflakeOpenOptions = {}): Promise<SnowflakeWarehouse> {
  const login: LoginOptions = { env: options.env ?? process.env, retry: options.retry ?? SNOWFLAKE_RETRY };
  const { connection, redactor } = await loginWithRetry(config, login);
  return new SnowflakeWarehouse(connection, config, redactor, () => loginWithRetry(config, login).then((l) => l.connection));
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

/**
 * The result's NUMBER columns by name: the driver gives their integers as big-integer objects
 * (jsTreatIntegerAsBigInt), every digit kept.
 */
function numberColumns(stmt: snowflake.RowStatement): ReadonlySet<string> {
  return new Set((stmt.getColumns() ?? []).filter((c) => c.isNumber()).map((c) => c.getName()));
}

/**
 * Driver values as plain JS, the same shapes DuckDB returns: dates as Date, VARIANT as parsed JSON,
 * integers as plainInteger makes them.
 */
function plainRow(row: Record<string, unknown>, numbers: ReadonlySet<string>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    // The driver decorates Dates with its own toJSON (the session's output format): strip it.
    if (v instanceof Date) out[k] = new Date(v.getTime());
    else if (v !== null && typeof v === 'object' && numbers.has(k)) out[k] = integerOf(v as BigIntegerValue);
    else out[k] = v;
  }
  return out;
}

/** big-integer's value: `isSmall` (then `value` is a number) below 2^53, where a JS number holds it exactly. */
interface BigIntegerValue {
  isSmall?: boolean;
  value?: unknown;
}

/** Most integers fit a number, taken as it is; only the larger ones go through their digits. */
const integerOf = (v: BigIntegerValue): unknown => (v.isSmall === true && typeof v.value === 'number' ? v.value : plainInteger(BigInt(String(v))));

/** A row of Snowflake's `INFORMATION_SCHEMA.COLUMNS`, with a NUMBER's precision and scale. */
interface SnowflakeInformationSchemaColumn extends InformationSchemaColumn {
  NUMERIC_PRECISION: number | null;
  NUMERIC_SCALE: number | null;
}

/**
 * A column's type as Snowflake's DESCRIBE spells it (`NUMBER(38,2)`). INFORMATION_SCHEMA's
 * DATA_TYPE names the standard type only, NUMBER for an INT and for a NUMBER(38,2) alike, and
 * gives a NUMBER's precision and scale in columns of their own: without them a scaled id would
 * pass for an integer (keyKind), and a change of scale would not show as drift.
 */
export function snowflakeColumnType(row: Pick<SnowflakeInformationSchemaColumn, 'DATA_TYPE' | 'NUMERIC_PRECISION' | 'NUMERIC_SCALE'>): string {
  const { DATA_TYPE: type, NUMERIC_PRECISION: precision, NUMERIC_SCALE: scale } = row;
  return type === 'NUMBER' && typeof precision === 'number' && typeof scale === 'number' ? `NUMBER(${precision},${scale})` : type;
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
  // The family is the type's, whatever its precision, scale or length: NUMBER(38,2) is a NUMBER.
  const name = type.trim().replace(/\(.*\)$/, '').trim();
  return FAMILIES.find(([re]) => re.test(name))?.[1] ?? 'other';
}

/**
 * The session is gone: Snowflake's 390114 (its token expired: a new login is needed), after
 * which snowflake-sdk marks the connection terminated and fails the statement with 407002.
 */
const SESSION_GONE = new Set(['390114', '407002']);

/** "No active warehouse selected in the current session." */
const NO_ACTIVE_WAREHOUSE = '000606';
/** "This session does not have a current database." */
const NO_CURRENT_DATABASE = '090105';

const codeOf = (e: unknown) => String((e as SnowflakeErrorLike | undefined)?.code ?? '');

export class SnowflakeWarehouse implements Warehouse {
  readonly dialect = 'snowflake' as const;
  private readonly gate = new TransactionGate((sql, options) => this.query(sql, [], options));
  private closed = false;

  constructor(
    private connection: snowflake.Connection,
    private readonly config: SnowflakeWarehouseConfig,
    private readonly redactor: SecretRedactor,
    /** Logs in again (secrets read afresh): after the session's token expired. */
    private readonly relogin: () => Promise<snowflake.Connection>,
  ) {}

  /**
   * Statement-level session parameters, sent with the statement (no extra round trip):
   * - TIMEZONE = UTC. Bound times are UTC wall clocks in TIMESTAMP_NTZ columns; CURRENT_TIMESTAMP
   *   is a TIMESTAMP_LTZ that Snowflake converts with the session's TIMEZONE (by default
   *   America/Los_Angeles) when it meets an NTZ value, so without it `expires_at <
   *   CURRENT_TIMESTAMP` would be off by the account's offset.
   * - QUERY_TAG, so each statement carries its own, after the team's `queryTag` when set.
   * - STATEMENT_TIMEOUT_IN_SECONDS when the stack sets `statementTimeoutSeconds`.
   */
  private statementParameters(options?: QueryOptions): Record<string, string | number> {
    const tag = [this.config.queryTag, options?.tag].filter((t): t is string => !!t).join(' ');
    return {
      TIMEZONE: 'UTC',
      ...(tag ? { QUERY_TAG: tag } : {}),
      ...(this.config.statementTimeoutSeconds ? { STATEMENT_TIMEOUT_IN_SECONDS: this.config.statementTimeoutSeconds } : {}),
    };
  }

  /**
   * Runs `send` (one statement), every error classified and without a secret value. A session
   * that is gone (390114: its token expired) is replaced by a new login and the statement sent
   * once more: the token was refused, so it did not run. Inside a transaction the new session has
   * lost the transaction: the error is thrown (retryable) for the caller to run all of it again.
   * Network failures are not retried here: snowflake-sdk resends a statement's request itself,
   * with the same request id so that Snowflake runs it once.
   */
  private async recovering<R>(sql: string, send: () => Promise<R>): Promise<R> {
    try {
      return await send();
    } catch (raw) {
      const error = this.redactor.error(this.withFix(classifySnowflakeError(raw, sql), codeOf(raw)));
      if (!SESSION_GONE.has(codeOf(raw)) || this.closed) throw error;
      await this.renewSession();
      if (this.gate.active) throw new WarehouseError(
          'WAREHOUSE_INTERNAL',
          `The Snowflake session ended inside a transaction (its token expired: ${error.message}); the transaction is lost with it. A new session is open: run the work again.`,
          true,
          sql,
        );
      try {
        return await send();
      } catch (again) {
        throw this.redactor.error(classifySnowflakeError(again, sql));
      }
    }
  }

  /**
   * Snowflake accepts a login whose warehouse or database does not exist or that the role may not
   * use, and then refuses each statement that needs one (000606, 090105): name the stack's option
   * and the grant.
   */
  private withFix(error: Error, code: string): Error {
    if (!(error instanceof WarehouseError)) return error;
    const { warehouse, database, role } = this.config;
    const fix =
      code === NO_ACTIVE_WAREHOUSE
        ? `The stack's warehouse ${warehouse} does not exist or role ${role} may not use it: GRANT USAGE ON WAREHOUSE ${warehouse} TO ROLE ${role}, or correct warehouse in Warehouse.snowflake.`
        : code === NO_CURRENT_DATABASE
          ? `The stack's database ${database} does not exist or role ${role} may not use it: GRANT USAGE ON DATABASE ${database} TO ROLE ${role}, or correct database in Warehouse.snowflake.`
          : undefined;
    if (!fix) return error;
    return new WarehouseError(
      error.code as WarehouseErrorCode,
      `${error.message.replace(/\s+$/, '')} ${fix}`,
      error.retryable,
      error.sql,
      error.queryId,
    );
  }

  private async renewSession(): Promise<void> {
    const old = this.connection;
    this.connection = await this.relogin().catch((e: unknown) => {
      throw this.redactor.error(e);
    });
    await new Promise<void>((done) => old.destroy(() => done()));
  }

  private send(sql: string, params: readonly unknown[], options: QueryOptions | undefined, streamResult: boolean): Promise<{ stmt: snowflake.RowStatement; rows?: unknown[] }> {
    return new Promise((resolvePromise, reject) => {
      this.connection.execute({
        sqlText: sql,
        binds: bindable(params),
        parameters: this.statementParameters(options),
        ...(streamResult ? { streamResult: true } : {}),
        complete: (err, stmt, rows) => (err ? reject(err) : resolvePromise({ stmt: stmt as snowflake.RowStatement, rows })),
      });
    });
  }

  async query<T = Row>(sql: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<QueryResult<T>> {
    const { stmt, rows } = await this.recovering(sql, () => this.send(sql, params, options, false));
    const numbers = numberColumns(stmt);
    return { rows: ((rows ?? []) as Record<string, unknown>[]).map((r) => plainRow(r, numbers)) as T[], queryId: stmt.getQueryId() };
  }

  async *stream<T = Row>(sql: string, params: readonly unknown[] = [], pageSize = 10_000, options?: QueryOptions): AsyncIterable<T[]> {
    const { stmt } = await this.recovering(sql, () => this.send(sql, params, options, true));
    let page: Row[] = [];
    try {
      // The driver fetches result chunks on demand as the stream is read: memory stays at one page.
      let numbers: ReadonlySet<string> | undefined;
      for await (const row of stmt.streamRows()) {
        // The columns are known once the first rows arrived.
        numbers ??= numberColumns(stmt);
        page.push(plainRow(row as Record<string, unknown>, numbers));
        if (page.length >= pageSize) {
          yield page as T[];
          page = [];
        }
      }
    } catch (e) {
      throw this.redactor.error(classifySnowflakeError(e, sql));
    }
    if (page.length > 0) yield page as T[];
  }

  async transaction<T>(fn: (tx: Warehouse) => Promise<T>, options?: QueryOptions): Promise<T> {
    return this.gate.run(() => fn(this), options);
  }

  /** A reference's database, schema and name: the session's database and schema fill the parts left out. */
  private resolve(table: string): [database: string, schema: string, name: string] {
    const parts = table.split('.');
    return parts.length === 3
      ? [parts[0]!, parts[1]!, parts[2]!]
      : parts.length === 2
        ? [this.config.database, parts[0]!, parts[1]!]
        : [this.config.database, this.config.schema ?? 'PUBLIC', parts[0]!];
  }

  /**
   * Looks the table up in its database's INFORMATION_SCHEMA. Names match exactly: Snowflake stores
   * unquoted identifiers in upper case and our SQL quotes every identifier, so `main.profiles` and
   * `MAIN.PROFILES` are different tables there (docs/warehouses.md).
   */
  async describeTable(table: string): Promise<CatalogTable | undefined> {
    const [database, schema, name] = this.resolve(table);
    const c = (name: string) => col('c', name);
    const columns = select(
      {
        COLUMN_NAME: c('COLUMN_NAME'),
        DATA_TYPE: c('DATA_TYPE'),
        IS_NULLABLE: c('IS_NULLABLE'),
        NUMERIC_PRECISION: c('NUMERIC_PRECISION'),
        NUMERIC_SCALE: c('NUMERIC_SCALE'),
      },
      {
        // Each part quoted: INFORMATION_SCHEMA and COLUMNS are upper case, as Snowflake stores them.
        from: tableRef(`${database}.INFORMATION_SCHEMA.COLUMNS`, 'c'),
        where: and(eq(c('TABLE_SCHEMA'), param(schema)), eq(c('TABLE_NAME'), param(name))),
        orderBy: [{ expr: c('ORDINAL_POSITION') }],
      },
    );
    const { rows } = await execute<SnowflakeInformationSchemaColumn>(this, columns, { tag: 'linked-audiences:catalog' });
    const typed = rows.map((r) => ({ ...r, DATA_TYPE: snowflakeColumnType(r) }));
    return typed.length === 0 ? undefined : catalogTable(table, typed, snowflakeTypeFamily);
  }

  /** The tables of the database `near` is looked up in (for one part, of its schema), as stored: names are case-sensitive. */
  async tableNames(near: string): Promise<string[]> {
    const parts = near.split('.').length;
    const [database, schema] = this.resolve(near);
    const t = (name: string) => col('t', name);
    const { rows } = await execute<{ TABLE_SCHEMA: string; TABLE_NAME: string }>(
      this,
      select(
        { TABLE_SCHEMA: t('TABLE_SCHEMA'), TABLE_NAME: t('TABLE_NAME') },
        {
          from: tableRef(`${database}.INFORMATION_SCHEMA.TABLES`, 't'),
          where: parts === 1 ? eq(t('TABLE_SCHEMA'), param(schema)) : compare('<>', t('TABLE_SCHEMA'), param('INFORMATION_SCHEMA')),
        },
      ),
      { tag: 'linked-audiences:catalog' },
    );
    const name = (r: { TABLE_SCHEMA: string; TABLE_NAME: string }) => (parts >= 3 ? `${database}.${r.TABLE_SCHEMA}.${r.TABLE_NAME}` : parts === 2 ? `${r.TABLE_SCHEMA}.${r.TABLE_NAME}` : r.TABLE_NAME);
    return rows.map(name).sort();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolvePromise) => this.connection.destroy(() => resolvePromise()));
  }
}
