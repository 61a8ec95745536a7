import type { RetryPolicy } from '../retry.js';

/** The retry policy of delivery requests: the shared policy, plus the bound on Retry-After. */
export interface DeliveryRetryPolicy extends RetryPolicy {
  /** The longest Retry-After honoured; longer ones end the run for this emitter, to resume later. */
  maxRetryAfterMs: number;
}

/** Attempts per request in one delivery run; after them the run stops for this emitter (nothing lost). */
export const DEFAULT_RETRY_POLICY: DeliveryRetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };
