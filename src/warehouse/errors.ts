import { LinkedError } from '../model/errors.js';

/**
 * The seed's error categories for warehouse failures (its "Error States" table):
 * - SQL_COMPILATION: the warehouse rejected the statement; terminate, show the warehouse's message.
 * - WAREHOUSE_INTERNAL: transient (connection, lock, timeout); retry with backoff inside the run.
 * - WAREHOUSE: anything else the warehouse reports; passed through, terminate.
 */
export type WarehouseErrorCode = 'SQL_COMPILATION' | 'WAREHOUSE_INTERNAL' | 'WAREHOUSE';

export class WarehouseError extends LinkedError {
  constructor(
    code: WarehouseErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly sql?: string,
  ) {
    super(code, message);
    this.name = 'WarehouseError';
  }
}

const DUCKDB_COMPILATION = /^(Parser Error|Binder Error|Catalog Error|Conversion Error)/;
const DUCKDB_TRANSIENT = /(Could not set lock|Conflicting lock|IO Error|Interrupt|TransactionContext Error: Catalog write-write conflict)/i;

export function classifyDuckDbError(e: unknown, sql?: string): Error {
  if (e instanceof LinkedError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (DUCKDB_COMPILATION.test(message)) return new WarehouseError('SQL_COMPILATION', `SQL compilation error: ${message}`, false, sql);
  if (DUCKDB_TRANSIENT.test(message)) return new WarehouseError('WAREHOUSE_INTERNAL', message, true, sql);
  return new WarehouseError('WAREHOUSE', message, false, sql);
}
