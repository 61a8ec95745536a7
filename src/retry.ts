/*
 * Retrying with exponential backoff, shared by compute (warehouse statements) and activation
 * (destination requests): one policy shape, two jitters, an abortable sleep and one loop.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The first backoff; it doubles each attempt, capped at `maxDelayMs`, before jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * How a backoff is spread: `spread` is the capped delay times 0.75–1.25; `equal` ("equal jitter")
 * is half the capped delay plus a random half, in whole milliseconds.
 */
export type Jitter = 'spread' | 'equal';

/** The delay before retrying after failed attempt `attempt` (1 for the first). */
export function backoffDelay(policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, attempt: number, jitter: Jitter = 'spread', random = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return jitter === 'equal' ? Math.round(cap / 2 + (random() * cap) / 2) : cap * (0.75 + random() * 0.5);
}

/**
 * Resolves after `ms`; with a signal, rejects as soon as it aborts, with `abortError()` (default:
 * the signal's reason).
 */
export function sleep(ms: number, signal?: AbortSignal, abortError: () => unknown = () => signal?.reason): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions {
  /** Whether a failure may be retried; any other failure is thrown at once. */
  retryable: (error: unknown) => boolean;
  /** @default 'spread' */
  jitter?: Jitter;
  /** Stops the waiting between attempts (the attempt in flight completes). */
  signal?: AbortSignal;
  /** The error a wait rejects with when `signal` aborts. @default the signal's reason */
  abortError?: () => unknown;
  /** A delay the failure itself asks for (an HTTP Retry-After), used instead of the backoff. */
  retryAfterMs?: (error: unknown) => number | undefined;
  /** The longest such delay honoured; a failure asking for longer is thrown. @default no limit */
  maxRetryAfterMs?: number;
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

/**
 * Runs `fn` (given the attempt number, from 1) until it succeeds, a failure is not retryable, or
 * the attempts are spent; the last failure is thrown.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (!options.retryable(e) || attempt >= policy.maxAttempts) throw e;
      const asked = options.retryAfterMs?.(e);
      if (asked !== undefined && asked > (options.maxRetryAfterMs ?? Infinity)) throw e;
      const delay = asked ?? backoffDelay(policy, attempt, options.jitter);
      options.onRetry?.(attempt, e, delay);
      await sleep(delay, options.signal, options.abortError);
    }
  }
}
