/** Bounds how many requests run at once (per destination). */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await fn();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Spaces requests to at most `perSecond` (per destination, shared by its emitters). Each caller
 * reserves the next free slot, so bursts queue instead of exceeding the rate.
 */
export class RateLimiter {
  private next = 0;

  constructor(private readonly perSecond: number | undefined) {}

  async acquire(): Promise<void> {
    if (!this.perSecond || !Number.isFinite(this.perSecond)) return;
    const interval = 1000 / this.perSecond;
    const now = Date.now();
    const slot = Math.max(now, this.next);
    this.next = slot + interval;
    if (slot > now) await sleep(slot - now);
  }
}

export interface RetryPolicy {
  /** Attempts per request in one delivery run; after them the run stops for this emitter (nothing lost). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After honoured; longer ones end the run for this emitter, to resume later. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

/** Exponential backoff with "equal jitter": half the capped delay, plus a random half (spreads retries of many emitters). */
export function backoffDelay(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Serializes use of one warehouse connection: a DuckDB connection runs one statement at a time. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
