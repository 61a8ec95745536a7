import { AsyncLocalStorage } from 'node:async_hooks';
import { isLinkedError, LinkedError } from '../model/errors.js';
import type { QueryOptions, QueryResult, Row, Warehouse } from '../warehouse/types.js';
import { liveWaiters } from './file-waiters.js';

export interface SharedFileOptions {
  /** Opens the DuckDB file (it may answer WAREHOUSE_BUSY while another process holds it: retried). */
  open: () => Promise<Warehouse>;
  /** Where other processes announce that they wait for the file (file-waiters.ts). */
  waitersDir: string;
  /** Closes the file after this long without a statement. Default 200 ms. */
  idleMs?: number;
  /** The longest this process stays away for waiters that never show up. Default 10 s. */
  maxYieldMs?: number;
  log?: (line: string) => void;
}

interface Unit {
  wh: Warehouse;
  done: boolean;
}

/**
 * One DuckDB file shared by the daemon's computes and deliveries, and lent to other processes.
 *
 * Every statement, and every transaction as a whole, is a unit: units run one at a time on one
 * connection (a DuckDB connection has one transaction state), so a compute and a delivery
 * interleave at unit boundaries and never inside each other's transactions. Between two units
 * the file may be closed: at once when another process waits for it (a marker in `waitersDir`),
 * or after `idleMs` without work. It is reopened by the next unit. Nothing the daemon does relies
 * on a connection's session state, and every commit is a unit of its own, so closing between
 * units loses nothing.
 *
 * Opening and closing a file costs about 40 ms (open about 25, close with its checkpoint about
 * 15; see docs/operations.md), so the file is not let go after every delivery page, only when
 * someone waits for it or nothing happens.
 */
export class SharedFile {
  private wh?: Warehouse;
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private idleTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly current = new AsyncLocalStorage<Unit>();
  /** How many times the file was let go for another process. */
  handovers = 0;

  constructor(private readonly o: SharedFileOptions) {}

  /** A Warehouse over the shared file; its `close()` only lets the file go when idle. */
  handle(): Warehouse {
    const handle: Warehouse = {
      dialect: 'duckdb',
      query: <T = Row>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>> =>
        this.unit((wh) => wh.query<T>(sql, params, options)),
      stream: <T = Row>(sql: string, params?: readonly unknown[], pageSize?: number, options?: QueryOptions) =>
        this.stream<T>(sql, params, pageSize, options),
      transaction: <T>(fn: (tx: Warehouse) => Promise<T>, options?: QueryOptions) => this.unit((wh) => wh.transaction(fn, options)),
      describeTable: (table: string) => this.unit((wh) => wh.describeTable(table)),
      tableNames: (near: string) => this.unit((wh) => wh.tableNames(near)),
      close: async () => undefined,
      whenFree: <T>(fn: (wh: Warehouse) => Promise<T>) => this.unit(fn),
    };
    return handle;
  }

  /** Finishes the units queued, then closes the file for good. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.tail;
    this.closed = true;
    await this.closeFile();
  }

  private unit<T>(fn: (wh: Warehouse) => Promise<T>): Promise<T> {
    // A statement issued inside a unit (a transaction's body) joins it.
    const inside = this.current.getStore();
    if (inside && !inside.done) return fn(inside.wh);
    this.queued++;
    clearTimeout(this.idleTimer);
    const run = async () => {
      try {
        if (this.closed) throw new LinkedError('WAREHOUSE_CLOSED', 'The daemon has closed its warehouse (it is stopping).');
        await this.yieldToWaiters();
        const wh = await this.ensureOpen();
        const unit: Unit = { wh, done: false };
        try {
          return await this.current.run(unit, () => fn(wh));
        } finally {
          unit.done = true;
        }
      } finally {
        if (--this.queued === 0) this.armIdle();
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** A stream holds the file until it is consumed (no other statement runs meanwhile). */
  private async *stream<T>(sql: string, params?: readonly unknown[], pageSize?: number, options?: QueryOptions): AsyncIterable<T[]> {
    let release!: () => void;
    const finished = new Promise<void>((r) => (release = r));
    let lend!: (wh: Warehouse) => void;
    const lent = new Promise<Warehouse>((r) => (lend = r));
    const unit = this.unit(async (wh) => {
      lend(wh);
      await finished;
    });
    const wh = await Promise.race([lent, unit.then(() => lent)]);
    try {
      yield* wh.stream<T>(sql, params, pageSize, options);
    } finally {
      release();
      await unit;
    }
  }

  private async yieldToWaiters(): Promise<void> {
    if (liveWaiters(this.o.waitersDir) === 0) return;
    if (this.wh) {
      await this.closeFile();
      this.handovers++;
    }
    const until = Date.now() + (this.o.maxYieldMs ?? 10_000);
    while (liveWaiters(this.o.waitersDir) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  private async ensureOpen(): Promise<Warehouse> {
    let told = false;
    while (!this.wh) {
      try {
        this.wh = await this.o.open();
      } catch (e) {
        if (!isLinkedError(e) || e.code !== 'WAREHOUSE_BUSY') throw e;
        // Another process holds the file longer than a command should: keep waiting, say so once.
        if (!told) this.o.log?.('waiting for the DuckDB file (another process holds it)');
        told = true;
      }
    }
    return this.wh;
  }

  private armIdle() {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.tail = this.tail.then(() => (this.queued === 0 ? this.closeFile() : undefined)).catch(() => undefined);
    }, this.o.idleMs ?? 200);
    this.idleTimer.unref();
  }

  private async closeFile(): Promise<void> {
    const wh = this.wh;
    this.wh = undefined;
    await wh?.close();
  }
}
