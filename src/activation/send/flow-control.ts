import { sleep } from '../../retry.js';

/** Bounds how many requests run at once (per destination). */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A waiter is handed the slot of the caller that ends (it stays counted in `active`).
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot goes over once what follows this caller's end in microtasks has run, so whatever
      // its result decides (a page that stopped sends no further request) is decided before the
      // next caller starts.
      if (next) setImmediate(next);
      else this.active -= 1;
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
