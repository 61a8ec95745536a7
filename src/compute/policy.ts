import { LinkedError, isLinkedError } from '../model/errors.js';
import { GRAPH_ERRORS } from '../model/seed-messages.js';
import { WarehouseError } from '../warehouse/errors.js';
import type { Dialect } from '../dialect/dialect.js';
import type { RetryPolicy } from '../retry.js';
import type { RunError, RunStep } from './types.js';

/*
 * The seed's "Error States" table as policy (decision D10). Messages are the seed's words.
 *
 * | Failure                                              | Workflow                                      |
 * | parse and graph errors (step compile)                | terminate, execute the next run               |
 * | internal query errors, update-model, kick-off        | retry with backoff inside the run             |
 * | warehouse errors                                     | passed through; terminate                     |
 * | SQL compilation errors                               | terminate; shown with the warehouse's message |
 * | duplicate records for an ID                          | detected and reported; terminate              |
 * | process-results and load-results failures            | pause for manual intervention                 |
 */
export const MESSAGES = {
  unknown: 'An unknown error occurred. Execution will retry. If the problem persists, please contact Segment support.',
  unexpected: 'An unexpected error occurred. Execution will retry. If the problem persists, please contact Segment support.',
  checkResults: 'An unexpected error occurred attempting to execute this model query.',
  paused: 'Execution is paused due to an identified operational issue.',
  cancelled: 'The computation was canceled.',
  abandoned: 'The computation was canceled: its process stopped before it finished.',
  duplicate: (idColumn: string) => `extract phase failed: ${GRAPH_ERRORS.duplicateRecords(idColumn)}`,
  sqlCompilation: (dialect: Dialect, warehouseMessage: string) =>
    `extract phase failed: An unexpected ${dialect === 'snowflake' ? 'Snowflake' : 'DuckDB'} error occurred trying to ` +
    `execute your model query: ${warehouseMessage}`,
} as const;

/** Raised by the results check when the model query returns one ID twice, or the profile table holds one id twice. */
export class DuplicateRecordsError extends LinkedError {
  constructor(
    idColumn: string,
    example: string,
    /** Which records, in words (kept as the run's error detail). */
    readonly detail = `${idColumn} ${JSON.stringify(example)} appears more than once.`,
  ) {
    super('DUPLICATE_RECORDS', MESSAGES.duplicate(idColumn), { idColumn, example });
  }
}

/** Raised between steps when the run was asked to stop (SIGTERM). */
export class RunCancelledError extends LinkedError {
  constructor() {
    super('RUN_CANCELLED', MESSAGES.cancelled);
  }
}

/** Raised inside the commit when another holder took the audience's lease (fencing). */
export class LeaseLostError extends LinkedError {
  constructor(audienceKey: string, holder: string) {
    super('LEASE_LOST', `The lease on audience ${audienceKey} is no longer held by ${holder}; the run was abandoned before writing.`);
  }
}

/** Transient failures: retried with backoff inside the run. */
export function isTransient(e: unknown): boolean {
  if (e instanceof WarehouseError) return e.retryable;
  return isLinkedError(e) && e.code === 'WAREHOUSE_BUSY';
}

export interface PolicyDecision {
  error: RunError;
  /** What went wrong underneath the seed's message (kept in runs.error_detail, never a secret). */
  detail?: string;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The final decision for a failure of `step` (after any retries). */
export function decide(step: RunStep, e: unknown, dialect: Dialect): PolicyDecision {
  const detail = messageOf(e);
  if (e instanceof DuplicateRecordsError) return { error: { code: e.code, message: e.message, action: 'terminate' }, detail: e.detail };
  if (e instanceof RunCancelledError || e instanceof LeaseLostError) {
    return { error: { code: e.code, message: e.message, action: 'terminate' } };
  }
  if (step === 'process-results' || step === 'load-results') {
    const code = step === 'process-results' ? 'PROCESS_RESULTS_FAILED' : 'LOAD_RESULTS_FAILED';
    return { error: { code, message: MESSAGES.paused, action: 'pause' }, detail };
  }
  if (isTransient(e)) {
    // Retries are exhausted: the step's seed message, and the next run executes normally.
    const code = { kickoff: 'KICKOFF_FAILED', compile: 'QUERY_FAILED', 'update-model': 'UPDATE_MODEL_FAILED', 'check-results': 'CHECK_RESULTS_FAILED' }[step];
    const message = step === 'check-results' ? MESSAGES.checkResults : MESSAGES.unexpected;
    return { error: { code, message, action: 'terminate' }, detail };
  }
  if (e instanceof WarehouseError) {
    if (e.code === 'SQL_COMPILATION') {
      return { error: { code: e.code, message: MESSAGES.sqlCompilation(dialect, e.message), action: 'terminate' } };
    }
    // Passed through: the warehouse's own words.
    return { error: { code: e.code, message: e.message, action: 'terminate' } };
  }
  if (step === 'compile') {
    // Graph errors carry the seed's message; anything else is a parse error of the applied model.
    if (isLinkedError(e) && e.code !== 'INTERNAL') return { error: { code: e.code, message: e.message, action: 'terminate' } };
    return { error: { code: 'PARSE_ERROR', message: MESSAGES.unknown, action: 'terminate' }, detail };
  }
  if (isLinkedError(e)) return { error: { code: e.code, message: e.message, action: 'terminate' } };
  return { error: { code: 'INTERNAL', message: MESSAGES.unexpected, action: 'terminate' }, detail };
}

/** Retries of a run's steps: the seed's "retry with backoff inside the run". */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 15_000 };
