import { LinkedError } from '../model/errors.js';

/**
 * The seed's error categories for warehouse failures (its "Error States" table):
 * - SQL_COMPILATION: the warehouse rejected the statement; terminate, show the warehouse's own message
 *   (for Snowflake `000904 (42000): SQL compilation error: ...`).
 * - WAREHOUSE_INTERNAL: transient (connection, lock, timeout, Snowflake internal error); retry with
 *   backoff inside the run.
 * - WAREHOUSE: anything else the warehouse reports; passed through, terminate.
 */
export type WarehouseErrorCode = 'SQL_COMPILATION' | 'WAREHOUSE_INTERNAL' | 'WAREHOUSE';

export class WarehouseError extends LinkedError {
  constructor(
    code: WarehouseErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly sql?: string,
    /** The warehouse's statement id (Snowflake query id), when it assigned one. */
    readonly queryId?: string,
  ) {
    super(code, message);
    this.name = 'WarehouseError';
  }
}

export function isWarehouseError(e: unknown): e is WarehouseError {
  return e instanceof WarehouseError;
}

// DuckDB prefixes its messages with the error class; the node binding may prepend context
// ("Failed to extract statements: Parser Error: ..."), so the class is searched, not anchored.
// A Conversion Error is about data met at run time (Snowflake's 100038 / 22018 likewise): passed through.
const DUCKDB_COMPILATION = /\b(Parser Error|Binder Error|Catalog Error):/;
const DUCKDB_CORRUPT = /Corrupt database file/i;
const DUCKDB_TRANSIENT =
  /(Could not set lock|Conflicting lock|IO Error|Interrupt|TransactionContext Error: Catalog write-write conflict|Transaction conflict)/i;

export function classifyDuckDbError(e: unknown, sql?: string): Error {
  if (e instanceof LinkedError) return e;
  const message = e instanceof Error ? e.message : String(e);
  // An IO Error, but no retry mends it: said apart, with its likely cause and the way out.
  if (DUCKDB_CORRUPT.test(message)) {
    return new WarehouseError(
      'WAREHOUSE',
      `${message}\nThe DuckDB file is damaged, most likely by a process killed while DuckDB wrote a checkpoint ` +
        '(docs/warehouses.md, "A kill during a DuckDB checkpoint can corrupt the file"). Restore the file from a backup; ' +
        'stop `linked run` with SIGTERM, not SIGKILL.',
      false,
      sql,
    );
  }
  if (DUCKDB_COMPILATION.test(message)) return new WarehouseError('SQL_COMPILATION', `SQL compilation error: ${message}`, false, sql);
  if (DUCKDB_TRANSIENT.test(message)) return new WarehouseError('WAREHOUSE_INTERNAL', message, true, sql);
  return new WarehouseError('WAREHOUSE', message, false, sql);
}

/** What snowflake-sdk puts on an error: `code` is Snowflake's 6-digit error code as a string for server errors. */
export interface SnowflakeErrorLike {
  message?: string;
  code?: string | number;
  sqlState?: string;
  data?: { queryId?: string; sqlState?: string } | null;
  isFatal?: boolean;
  response?: { statusCode?: number };
}

/**
 * Snowflake's SQLSTATE class 42 is "syntax error or access rule violation": the compiler rejected
 * the statement (000904 invalid identifier, 001003 syntax error, 002003 object does not exist).
 */
const SNOWFLAKE_COMPILATION_STATE = /^42/;
/**
 * Retryable: Snowflake's internal errors (SQLSTATE XX000 / 57P0x, error 000603 "Incident",
 * 390xxx session and gateway errors), the driver's network and HTTP 5xx/429 failures.
 */
const SNOWFLAKE_TRANSIENT_STATE = /^(XX|57|08)/;
const SNOWFLAKE_TRANSIENT_CODE = new Set(['000603', '000604', '000605', '390114', '390111']);
/**
 * Refusals that the same configuration meets again, whatever their SQLSTATE says: a login is
 * answered in class 08 ("connection exception", 08004 "rejected") and a missing warehouse in 57P03
 * ("cannot connect now"), both classes of transient failures otherwise. Retrying them only delays
 * the message that names the fix.
 * - 390100 incorrect user or password, 390144 a key-pair JWT the user's public key does not verify;
 * - 390189 the role does not exist or is not granted to the user;
 * - 000606 no active warehouse: the stack's warehouse does not exist or the role may not use it.
 */
export const SNOWFLAKE_CONFIGURATION_CODES = new Set(['390100', '390144', '390189', '000606']);
/** "Statement reached its statement or warehouse timeout of N second(s) and was canceled." */
const STATEMENT_TIMEOUT = '000630';
/** snowflake-sdk's own codes for "could not reach / bad response from" Snowflake or its result storage. */
const DRIVER_NETWORK_CODES = new Set(['401001', '401002', '401003', '402001', '402002', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE']);

/**
 * The host whose name the DNS does not know, when that is what failed (`getaddrinfo ENOTFOUND
 * <host>`): snowflake-sdk wraps the socket's error in its own (401001, "could not reach") and keeps
 * the text, so the causes are read too. A resolver that did not answer (EAI_AGAIN) is not this.
 */
export function unresolvedHost(e: unknown): string | undefined {
  for (let cause = e, depth = 0; cause && typeof cause === 'object' && depth < 4; cause = (cause as { cause?: unknown }).cause, depth++) {
    const { code, hostname, message } = cause as { code?: unknown; hostname?: unknown; message?: unknown };
    if (code === 'ENOTFOUND' && typeof hostname === 'string' && hostname) return hostname;
    const named = typeof message === 'string' ? /\bgetaddrinfo ENOTFOUND ([^\s:]+)/.exec(message) : null;
    if (named) return named[1];
  }
  return undefined;
}

/** Snowflake's own form of a statement error: `000904 (42000): SQL compilation error: ...`. */
export function snowflakeMessage(e: SnowflakeErrorLike): string {
  const message = e.message ?? 'Snowflake error';
  const code = e.code !== undefined && /^\d{6}$/.test(String(e.code)) ? String(e.code) : undefined;
  const state = e.sqlState ?? e.data?.sqlState;
  if (!code) return message;
  return `${code}${state ? ` (${state})` : ''}: ${message}`;
}

export function classifySnowflakeError(e: unknown, sql?: string): Error {
  if (e instanceof LinkedError) return e;
  const err = (e ?? {}) as SnowflakeErrorLike;
  const state = err.sqlState ?? err.data?.sqlState ?? '';
  const code = err.code === undefined ? '' : String(err.code);
  const queryId = err.data?.queryId ?? undefined;
  const message = snowflakeMessage(err);
  const status = err.response?.statusCode ?? 0;
  if (SNOWFLAKE_COMPILATION_STATE.test(state) || /SQL compilation error/i.test(err.message ?? '')) {
    return new WarehouseError('SQL_COMPILATION', message, false, sql, queryId);
  }
  if (SNOWFLAKE_CONFIGURATION_CODES.has(code)) return new WarehouseError('WAREHOUSE', message, false, sql, queryId);
  // The statement ran into its timeout: the same statement would again; not retried.
  if (code === STATEMENT_TIMEOUT) {
    return new WarehouseError('WAREHOUSE', `${message} Raise the stack's statementTimeoutSeconds (or the user's STATEMENT_TIMEOUT_IN_SECONDS) or the warehouse size.`, false, sql, queryId);
  }
  if (
    SNOWFLAKE_TRANSIENT_STATE.test(state) ||
    SNOWFLAKE_TRANSIENT_CODE.has(code) ||
    DRIVER_NETWORK_CODES.has(code) ||
    status >= 500 ||
    status === 429
  ) {
    return new WarehouseError('WAREHOUSE_INTERNAL', message, true, sql, queryId);
  }
  return new WarehouseError('WAREHOUSE', message, false, sql, queryId);
}
