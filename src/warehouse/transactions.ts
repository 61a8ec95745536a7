import { AsyncLocalStorage } from 'node:async_hooks';
import type { QueryOptions } from './types.js';

/**
 * One transaction at a time per connection, with nesting. A connection has one transaction
 * state, so two independent async flows that both call `transaction()` must not interleave their
 * BEGINs: the second waits for the first. A call made *inside* a transaction's async flow (through
 * the tx handle or the warehouse itself) joins it, because neither warehouse has savepoints we use.
 */
export class TransactionGate {
  private readonly context = new AsyncLocalStorage<TransactionGate>();
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly exec: (sql: string, options?: QueryOptions) => Promise<unknown>) {}

  /** True when the caller runs inside a transaction of this gate. */
  get active(): boolean {
    return this.context.getStore() === this;
  }

  /** `options` go to BEGIN, COMMIT and ROLLBACK (a joined transaction sends none). */
  async run<T>(fn: () => Promise<T>, options?: QueryOptions): Promise<T> {
    if (this.active) return fn();
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await this.context.run(this, async () => {
        await this.exec('BEGIN TRANSACTION', options);
        try {
          const result = await fn();
          await this.exec('COMMIT', options);
          return result;
        } catch (e) {
          await this.exec('ROLLBACK', options).catch(() => undefined);
          throw e;
        }
      });
    } finally {
      release();
    }
  }
}
