import type { QueryOptions, QueryResult, Row, Warehouse } from '../../src/warehouse/types.js';

/**
 * A real warehouse with injected failures: statements matching `pattern` throw `error()` for
 * their first `times` executions, or (queries only) wait `delayMs` before they run. Used to reach
 * the policy rows no honest query can trigger on demand (a transient internal error, a failing
 * load) and the orderings only a slow warehouse shows.
 */
export interface Fault {
  pattern: RegExp;
  times: number;
  error?: () => Error;
  delayMs?: number;
}

export class FaultyWarehouse implements Warehouse {
  constructor(
    private readonly inner: Warehouse,
    private readonly faults: Fault[],
    /** Executions per fault, shared with the transactions it opens. */
    readonly hits = new Map<Fault, number>(),
  ) {}
  /** Faults whose pattern matched no statement: a test that injects them tests nothing. */
  unmatched(): Fault[] {
    return this.faults.filter((f) => !this.hits.has(f));
  }
  get dialect() {
    return this.inner.dialect;
  }
  /** Throws the error of a matching fault; otherwise returns how long the statement is to wait. */
  private check(sql: string): number {
    let delayMs = 0;
    for (const f of this.faults) {
      if (!f.pattern.test(sql)) continue;
      const n = this.hits.get(f) ?? 0;
      this.hits.set(f, n + 1);
      if (n >= f.times) continue;
      if (f.error) throw f.error();
      delayMs = Math.max(delayMs, f.delayMs ?? 0);
    }
    return delayMs;
  }
  async query<T = Row>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>> {
    const delayMs = this.check(sql);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return this.inner.query<T>(sql, params, options);
  }
  stream<T = Row>(sql: string, params?: readonly unknown[], pageSize?: number, options?: QueryOptions): AsyncIterable<T[]> {
    this.check(sql);
    return this.inner.stream<T>(sql, params, pageSize, options);
  }
  transaction<T>(fn: (tx: Warehouse) => Promise<T>): Promise<T> {
    return this.inner.transaction((tx) => fn(tx === this.inner ? this : new FaultyWarehouse(tx, this.faults, this.hits)));
  }
  describeTable(table: string) {
    return this.inner.describeTable(table);
  }
  tableNames(near: string) {
    return this.inner.tableNames(near);
  }
  close() {
    return this.inner.close();
  }
}
