/*
 * The emulated warehouse: one embedded DuckDB holding every emulated database (each an attached
 * in-memory catalog under its encoded name), one DuckDB connection per Snowflake session. A
 * session runs its statements one at a time, translated (translate.ts), with Snowflake's
 * transaction rules (DDL commits an open transaction; COMMIT / ROLLBACK without one do nothing),
 * and answers in Snowflake's result shapes, names and error codes.
 */
import { DuckDBConnection, DuckDBInstance, type DuckDBResultReader } from '@duckdb/node-api';
import { SnowflakeError, unsupported } from './errors.js';
import { decodeName, decodeSql, duckIdent, encodeName } from './names.js';
import { group, isWord, tokenize, type Node } from './tokens.js';
import { MACROS, sqlString, translate, type Bind } from './translate.js';
import { DEFAULT_LOCK_TIMEOUT_SECONDS, TableLocks, type LockOwner } from './locks.js';

export type ColumnType = 'text' | 'fixed' | 'real' | 'boolean' | 'date' | 'timestamp_ntz' | 'timestamp_ltz' | 'variant';

export interface ResultColumn {
  name: string;
  type: ColumnType;
  scale: number | null;
}

/** A result as Snowflake's JSON result format carries it: every value a string or null. */
export interface StatementResult {
  columns: ResultColumn[];
  rows: (string | null)[][];
}

/** Snowflake's defaults for the session parameters the emulation models. */
const DEFAULT_PARAMETERS: Record<string, string> = { TIMEZONE: 'America/Los_Angeles', TIMESTAMP_TYPE_MAPPING: 'TIMESTAMP_NTZ' };

const STATUS: StatementResult = { columns: [{ name: 'status', type: 'text', scale: null }], rows: [['Statement executed successfully.']] };

export interface EngineOptions {
  /**
   * Each INSERT, UPDATE and DELETE takes this much longer before its changes are visible to other
   * sessions (an autocommit one commits that much later): it widens the windows in which two
   * writers race, as a busy warehouse does, so a test can show a race without luck.
   */
  dmlLatencyMs?: number;
}

/** Statements that lock their target table until their transaction ends (locks.ts). */
const LOCKING = new Set(['UPDATE', 'DELETE', 'MERGE']);
const WRITING = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

export class Engine {
  private readonly databases = new Set<string>();
  readonly locks = new TableLocks();
  private transactions = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly options: EngineOptions,
  ) {}

  static async create(options: EngineOptions = {}): Promise<Engine> {
    // One thread: the emulated tables hold a few hundred rows at most, where a second thread only
    // adds a hand-off to every statement. Sessions still run side by side, each statement on the
    // driver's thread that runs it.
    return new Engine(await DuckDBInstance.create(':memory:', { threads: '1' }), options);
  }

  /** A new transaction id, as Snowflake numbers them (shown in lock errors). */
  nextTransactionId(): string {
    return `${Date.now()}${String(++this.transactions).padStart(6, '0')}`;
  }

  /** Creates the database (with PUBLIC and INFORMATION_SCHEMA) the first time it is named. */
  async ensureDatabase(conn: DuckDBConnection, name: string): Promise<void> {
    if (this.databases.has(name)) return;
    this.databases.add(name);
    const db = duckIdent(name);
    await conn.run(`ATTACH ':memory:' AS ${db}`);
    await conn.run(`CREATE SCHEMA ${db}.${duckIdent('PUBLIC')}`);
    await conn.run(`CREATE SCHEMA ${db}.${duckIdent('INFORMATION_SCHEMA')}`);
    const info = `${db}.${duckIdent('INFORMATION_SCHEMA')}`;
    const col = (expr: string, as: string) => `${expr} AS ${duckIdent(as)}`;
    const where = `database_name = ${sqlString(encodeName(name))} AND schema_name <> ${sqlString(encodeName('INFORMATION_SCHEMA'))}`;
    await conn.run(
      `CREATE VIEW ${info}.${duckIdent('COLUMNS')} AS SELECT ${[
        col(decodeSql('database_name'), 'TABLE_CATALOG'),
        col(decodeSql('schema_name'), 'TABLE_SCHEMA'),
        col(decodeSql('table_name'), 'TABLE_NAME'),
        col(decodeSql('column_name'), 'COLUMN_NAME'),
        col('column_index', 'ORDINAL_POSITION'),
        col(`CASE WHEN is_nullable THEN 'YES' ELSE 'NO' END`, 'IS_NULLABLE'),
        col(SNOWFLAKE_TYPE_SQL, 'DATA_TYPE'),
        col(`CASE WHEN ${IS_INTEGER_SQL} THEN 38 WHEN ${IS_DECIMAL_SQL} THEN numeric_precision END`, 'NUMERIC_PRECISION'),
        col(`CASE WHEN ${IS_INTEGER_SQL} THEN 0 WHEN ${IS_DECIMAL_SQL} THEN numeric_scale END`, 'NUMERIC_SCALE'),
      ].join(', ')} FROM duckdb_columns() WHERE ${where}`,
    );
    await conn.run(
      `CREATE VIEW ${info}.${duckIdent('TABLES')} AS SELECT ${[
        col(decodeSql('database_name'), 'TABLE_CATALOG'),
        col(decodeSql('schema_name'), 'TABLE_SCHEMA'),
        col(decodeSql('table_name'), 'TABLE_NAME'),
        col(`'BASE TABLE'`, 'TABLE_TYPE'),
      ].join(', ')} FROM duckdb_tables() WHERE ${where}`,
    );
  }

  /**
   * Logins one at a time: each writes the catalog (its database, schema and macros), and DuckDB
   * aborts one of two such transactions that overlap ("Catalog write-write conflict"), which the
   * driver would see as a failed login. Snowflake's own logins never conflict.
   */
  openSession(database: string, schema: string): Promise<Session> {
    const opened = this.opening.then(() => this.openSessionNow(database, schema));
    this.opening = opened.then(
      () => undefined,
      () => undefined,
    );
    return opened;
  }

  private opening: Promise<void> = Promise.resolve();

  private async openSessionNow(database: string, schema: string): Promise<Session> {
    const conn = await this.instance.connect();
    await this.ensureDatabase(conn, database);
    // A session's schema is created when it does not exist (Snowflake would log in without one).
    await conn.run(`CREATE SCHEMA IF NOT EXISTS ${duckIdent(database)}.${duckIdent(schema)}`);
    await conn.run(`USE ${duckIdent(database)}.${duckIdent(schema)}`);
    for (const m of MACROS) await conn.run(m);
    const session = new Session(this, conn, database, schema);
    await session.setParameter('TIMEZONE', DEFAULT_PARAMETERS.TIMEZONE);
    return session;
  }

  close(): void {
    this.instance.closeSync();
  }
}

/*
 * Snowflake's INFORMATION_SCHEMA names the standard type (every fixed-point number is NUMBER, an
 * INT is NUMBER(38,0)) and gives a NUMBER's precision and scale in columns of their own. The
 * translation stores a NUMBER with scale 0 as BIGINT, so its precision reads 38 here.
 */
const IS_INTEGER_SQL = `data_type IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT')`;
const IS_DECIMAL_SQL = `data_type LIKE 'DECIMAL%'`;
const SNOWFLAKE_TYPE_SQL = `CASE
  WHEN data_type = 'JSON' THEN 'VARIANT'
  WHEN data_type = 'VARCHAR' THEN 'TEXT'
  WHEN ${IS_INTEGER_SQL} OR ${IS_DECIMAL_SQL} THEN 'NUMBER'
  WHEN data_type IN ('DOUBLE', 'FLOAT') THEN 'FLOAT'
  WHEN data_type = 'TIMESTAMP' THEN 'TIMESTAMP_NTZ'
  WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP_LTZ'
  WHEN data_type = 'BLOB' THEN 'BINARY'
  ELSE data_type END`;

export class Session {
  readonly parameters: Record<string, string> = { ...DEFAULT_PARAMETERS };
  private inTransaction = false;
  /** The explicit transaction open now: the owner of the table locks its statements take. */
  private transaction: LockOwner | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly engine: Engine,
    private readonly conn: DuckDBConnection,
    private database: string,
    private schema: string,
  ) {}

  async setParameter(name: string, value: string): Promise<void> {
    this.parameters[name] = value;
    if (name === 'TIMEZONE') await this.useTimeZone(value);
  }

  /** DuckDB's TimeZone on this connection now: the session's, or the last statement's own. */
  private timeZone: string | undefined;

  private async useTimeZone(tz: string): Promise<void> {
    if (tz === this.timeZone) return;
    await this.conn.run(`SET TimeZone = ${sqlString(tz)}`);
    this.timeZone = tz;
  }

  /** Runs one statement after the session's previous one, as Snowflake runs a session's statements. */
  execute(sqlText: string, binds: readonly Bind[], statementParameters: Record<string, unknown> = {}, queryId = 'unnamed'): Promise<StatementResult> {
    const run = this.queue.then(() => this.withParameters(statementParameters, () => this.run(sqlText, binds, statementParameters, queryId)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs a statement under its own TIMEZONE, else the session's. DuckDB's setting is changed only
   * when it differs from the one in force, and not set back afterwards: the adapter sends the same
   * TIMEZONE with every statement, so setting it before each and back after would make every
   * statement three.
   */
  private async withParameters<T>(parameters: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    const tz = parameters.TIMEZONE;
    await this.useTimeZone(typeof tz === 'string' ? tz : this.parameters.TIMEZONE);
    return fn();
  }

  private async run(sqlText: string, binds: readonly Bind[], statementParameters: Record<string, unknown>, queryId: string): Promise<StatementResult> {
    const nodes = group(tokenize(sqlText)).filter((n, i, all) => !(i === all.length - 1 && n.t === 'op' && n.v === ';'));
    const session = await this.sessionStatement(nodes, sqlText);
    if (session) return session;
    const { sql, head, ddl } = translate({ sqlText, binds, now: new Date() });
    if (ddl && this.inTransaction) await this.transactionEnd('COMMIT');
    if (!WRITING.has(head)) return this.answer(head, await this.duck(sql));
    // A write: in the open transaction, or in one of its own that ends with the statement.
    const owner = this.transaction ?? { id: this.engine.nextTransactionId(), queryId };
    owner.queryId = queryId;
    const autocommit = owner !== this.transaction;
    try {
      const target = LOCKING.has(head) ? this.targetTable(head, nodes, sqlText) : undefined;
      if (target) await this.engine.locks.acquire(owner, target, this.lockTimeoutSeconds(statementParameters));
      const latency = this.engine.options.dmlLatencyMs ?? 0;
      if (latency > 0 && autocommit) {
        // The statement's changes reach other sessions only `latency` later.
        await this.duck('BEGIN TRANSACTION');
        try {
          const result = await this.duck(sql);
          await sleep(latency);
          await this.duck('COMMIT');
          return this.answer(head, result);
        } catch (e) {
          await this.conn.run('ROLLBACK').catch(() => undefined);
          throw e;
        }
      }
      const result = await this.duck(sql);
      if (latency > 0) await sleep(latency);
      return this.answer(head, result);
    } finally {
      if (autocommit) this.engine.locks.releaseAll(owner);
    }
  }

  private answer(head: string, result: DuckDBResultReader): StatementResult {
    return dmlResult(head, result) ?? encodeResult(result);
  }

  /** LOCK_TIMEOUT (statement, then session parameter); a statement timeout ends a wait too. */
  private lockTimeoutSeconds(statementParameters: Record<string, unknown>): number {
    const lock = Number(statementParameters.LOCK_TIMEOUT ?? this.parameters.LOCK_TIMEOUT ?? DEFAULT_LOCK_TIMEOUT_SECONDS);
    const statement = Number(statementParameters.STATEMENT_TIMEOUT_IN_SECONDS ?? this.parameters.STATEMENT_TIMEOUT_IN_SECONDS ?? 0);
    return statement > 0 ? Math.min(lock, statement) : lock;
  }

  /** The table an UPDATE / DELETE / MERGE writes, fully qualified as Snowflake resolves it. */
  private targetTable(head: string, nodes: Node[], sqlText: string): string {
    let i = 1;
    if ((head === 'DELETE' && isWord(nodes[1], 'FROM')) || (head === 'MERGE' && isWord(nodes[1], 'INTO'))) i = 2;
    const parts: string[] = [];
    for (; i < nodes.length; i++) {
      const n = nodes[i];
      if (n.t === 'qident') parts.push(n.v);
      else if (n.t === 'word' && parts.length === 0) parts.push(n.v.toUpperCase());
      else if (n.t === 'op' && n.v === '.') {
        const next = nodes[++i];
        if (!next || (next.t !== 'qident' && next.t !== 'word')) break;
        parts.push(next.t === 'qident' ? next.v : next.v.toUpperCase());
      } else break;
      if (parts.length > 3) break;
    }
    if (parts.length === 0 || parts.length > 3) throw unsupported(`${head} target`, sqlText);
    const [db, schema, name] = parts.length === 3 ? parts : parts.length === 2 ? [this.database, ...parts] : [this.database, this.schema, parts[0]];
    return `${db}.${schema}.${name}`;
  }

  /** ALTER SESSION, USE and transaction control: the statements the session itself answers. */
  private async sessionStatement(nodes: Node[], sqlText: string): Promise<StatementResult | undefined> {
    if (isWord(nodes[0], 'ALTER') && isWord(nodes[1], 'SESSION')) {
      if (!isWord(nodes[2], 'SET')) throw unsupported('ALTER SESSION UNSET', sqlText);
      const assignments = nodes.slice(3).filter((n) => !(n.t === 'op' && n.v === ','));
      for (let i = 0; i < assignments.length; i += 3) {
        const [name, eq, value] = assignments.slice(i, i + 3);
        if (!name || name.t !== 'word' || !eq || eq.t !== 'op' || eq.v !== '=' || !value || !('v' in value)) throw unsupported('ALTER SESSION form', sqlText);
        await this.setParameter(name.v.toUpperCase(), value.v);
      }
      return STATUS;
    }
    if (isWord(nodes[0], 'USE')) return this.use(nodes.slice(1), sqlText);
    if (isWord(nodes[0], 'BEGIN', 'START')) {
      if (!this.inTransaction) await this.duck('BEGIN TRANSACTION');
      this.inTransaction = true;
      this.transaction ??= { id: this.engine.nextTransactionId(), queryId: 'BEGIN' };
      return STATUS;
    }
    if (isWord(nodes[0], 'COMMIT', 'ROLLBACK')) {
      if (this.inTransaction) await this.transactionEnd((nodes[0] as { v: string }).v.toUpperCase() as 'COMMIT' | 'ROLLBACK');
      return STATUS;
    }
    return undefined;
  }

  private async use(nodes: Node[], sqlText: string): Promise<StatementResult> {
    const kind = isWord(nodes[0], 'SCHEMA', 'DATABASE', 'WAREHOUSE', 'ROLE', 'SECONDARY') ? (nodes.shift() as { v: string }).v.toUpperCase() : 'SCHEMA';
    if (kind === 'WAREHOUSE' || kind === 'ROLE' || kind === 'SECONDARY') return STATUS;
    const parts = nodes.filter((n) => !(n.t === 'op' && n.v === '.')).map((n) => (n.t === 'qident' ? n.v : n.t === 'word' ? n.v.toUpperCase() : undefined));
    if (parts.some((p) => p === undefined)) throw unsupported('USE form', sqlText);
    const names = parts as string[];
    if (kind === 'DATABASE') {
      await this.engine.ensureDatabase(this.conn, names[0]);
      this.database = names[0];
      await this.duck(`USE ${duckIdent(names[0])}.${duckIdent('PUBLIC')}`);
      this.schema = 'PUBLIC';
    } else {
      const [db, schema] = names.length === 2 ? names : [this.database, names[0]];
      await this.duck(`USE ${duckIdent(db)}.${duckIdent(schema)}`);
      this.database = db;
      this.schema = schema;
    }
    return STATUS;
  }

  private async transactionEnd(word: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    this.inTransaction = false;
    try {
      await this.duck(word);
    } finally {
      this.releaseLocks();
    }
  }

  private releaseLocks(): void {
    if (this.transaction) this.engine.locks.releaseAll(this.transaction);
    this.transaction = undefined;
  }

  private async duck(sql: string): Promise<DuckDBResultReader> {
    try {
      return await this.conn.runAndReadAll(sql);
    } catch (e) {
      throw snowflakeErrorOf(e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    if (this.inTransaction) await this.conn.run('ROLLBACK').catch(() => undefined);
    this.releaseLocks();
    this.conn.closeSync();
  }
}

/** INSERT / UPDATE / DELETE answer with Snowflake's count columns, not DuckDB's `Count`. */
function dmlResult(head: string, result: DuckDBResultReader): StatementResult | undefined {
  const names = result.columnNames();
  if (names.length !== 1 || names[0] !== 'Count') return undefined;
  const count = String(result.getRowsJS()[0]?.[0] ?? 0);
  const fixed = (name: string): ResultColumn => ({ name, type: 'fixed', scale: 0 });
  if (head === 'INSERT') return { columns: [fixed('number of rows inserted')], rows: [[count]] };
  if (head === 'DELETE') return { columns: [fixed('number of rows deleted')], rows: [[count]] };
  if (head === 'UPDATE') return { columns: [fixed('number of rows updated'), fixed('number of multi-joined rows updated')], rows: [[count, '0']] };
  if (['CREATE', 'DROP', 'ALTER', 'TRUNCATE'].includes(head)) return STATUS;
  return undefined;
}

function columnOf(name: string, duckType: string, alias: string | undefined): ResultColumn {
  const decimal = /^DECIMAL\(\d+,(\d+)\)$/.exec(duckType);
  if (alias === 'JSON') return { name, type: 'variant', scale: null };
  if (decimal) return { name, type: 'fixed', scale: Number(decimal[1]) };
  if (/^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/.test(duckType)) return { name, type: 'fixed', scale: 0 };
  if (duckType === 'DOUBLE' || duckType === 'FLOAT') return { name, type: 'real', scale: null };
  if (duckType === 'BOOLEAN') return { name, type: 'boolean', scale: null };
  if (duckType === 'DATE') return { name, type: 'date', scale: null };
  if (/^TIMESTAMP(_S|_MS|_NS)?$/.test(duckType)) return { name, type: 'timestamp_ntz', scale: 3 };
  if (duckType === 'TIMESTAMP WITH TIME ZONE') return { name, type: 'timestamp_ltz', scale: 3 };
  return { name, type: 'text', scale: null };
}

function encodeValue(value: unknown, column: ResultColumn): string | null {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'boolean':
      return value ? '1' : '0';
    case 'fixed':
      return typeof value === 'number' && column.scale ? value.toFixed(column.scale) : String(value);
    case 'date':
      return String(Math.floor((value as Date).getTime() / 86_400_000));
    case 'timestamp_ntz':
    case 'timestamp_ltz': {
      const ms = (value as Date).getTime();
      const seconds = Math.floor(ms / 1000);
      return `${seconds}.${String(ms - seconds * 1000).padStart(3, '0')}`;
    }
    default:
      return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

function encodeResult(result: DuckDBResultReader): StatementResult {
  const types = result.columnTypes();
  const columns = result.columnNames().map((n, i) => columnOf(decodeName(n), types[i].toString(), (types[i] as { alias?: string }).alias));
  // NUMBER from the exact values: getRowsJS gives a DECIMAL as a double, which rounds past 2^53.
  const exact = result.getRows();
  const rows = result.getRowsJS().map((r, j) => r.map((v, i) => encodeValue(columns[i].type === 'fixed' && v !== null ? String(exact[j][i]) : v, columns[i])));
  return { columns, rows };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const quoted = (m: RegExpExecArray | null) => (m ? decodeName(m[1]) : '?');

/** DuckDB's error as Snowflake would report it: its code, SQLSTATE and the names as the user wrote them. */
export function snowflakeErrorOf(e: unknown): SnowflakeError {
  if (e instanceof SnowflakeError) return e;
  const first = decodeName(String((e as Error)?.message ?? e).split('\n')[0]);
  const raw = String((e as Error)?.message ?? e).split('\n')[0];
  if (/^Parser Error/.test(raw)) return new SnowflakeError('001003', '42000', `SQL compilation error:\n${first}`);
  if (/^Catalog Error/.test(raw)) {
    const name = quoted(/with name "?(.+?)"?( does not exist| already exists)/.exec(raw));
    if (/Function/.test(raw)) return new SnowflakeError('002140', '42601', `SQL compilation error:\nUnknown function ${name}`);
    if (/already exists/.test(raw)) return new SnowflakeError('002002', '42710', `SQL compilation error:\nObject '${name}' already exists.`);
    if (/does not exist/.test(raw)) return new SnowflakeError('002003', '42S02', `SQL compilation error:\nObject '${name}' does not exist or not authorized.`);
    return new SnowflakeError('002003', '42S02', `SQL compilation error:\n${first}`);
  }
  if (/^Binder Error: Referenced (column|table) "([^"]+)" not found/.test(raw) || /^Binder Error: .*(not found|does not have a column)/.test(raw)) {
    const name = quoted(/"([^"]+)"/.exec(raw));
    return new SnowflakeError('000904', '42000', `SQL compilation error: error line 0 at position 0\ninvalid identifier '${name}'`);
  }
  if (/^Binder Error/.test(raw)) return new SnowflakeError('001044', '42P13', `SQL compilation error:\n${first}`);
  if (/^Conversion Error: Could not convert string '(.*)' to (INT|DECIMAL|DOUBLE|FLOAT|BIGINT|HUGEINT)/.test(raw)) {
    const value = /string '(.*)' to/.exec(first)![1];
    return new SnowflakeError('100038', '22018', `Numeric value '${value}' is not recognized`);
  }
  if (/^Conversion Error: .*(timestamp|date)/i.test(raw)) return new SnowflakeError('100035', '22007', `Timestamp is not recognized: ${first}`);
  if (/^Conversion Error: Malformed JSON/.test(raw)) return new SnowflakeError('100069', '22P02', `Error parsing JSON: ${first}`);
  if (/^Conversion Error|^Invalid Input Error/.test(raw)) return new SnowflakeError('100038', '22018', first);
  if (/^Constraint Error: NOT NULL/.test(raw)) return new SnowflakeError('100072', '22000', `NULL result in a non-nullable column`);
  if (/^(TransactionContext Error|Transaction conflict)|[Cc]onflict/.test(raw)) {
    // A write-write conflict the table locks (locks.ts) did not prevent: a transaction wrote rows
    // another committed after its snapshot began. Snowflake (READ COMMITTED) would have written.
    return new SnowflakeError('000625', '57014', `Statement aborted because of a conflicting transaction (emulated): ${first}`);
  }
  return new SnowflakeError('100090', '22000', first);
}
