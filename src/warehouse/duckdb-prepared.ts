import { StatementType, type DuckDBConnection, type DuckDBMaterializedResult, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api';

/** Statements that only read or write rows: they leave the catalog as it is. */
const ROW_STATEMENTS = new Set([StatementType.SELECT, StatementType.INSERT, StatementType.UPDATE, StatementType.DELETE]);
/** Statements that change neither the catalog nor how names resolve. */
const CATALOG_NEUTRAL = new Set([...ROW_STATEMENTS, StatementType.TRANSACTION, StatementType.EXPLAIN]);

/**
 * The prepared statements of one DuckDB connection, kept by their text for the next run of the
 * same statement, which then skips DuckDB's parse, bind and plan and one hand-off to its threads
 * (a daemon runs the same few hundred bookkeeping statements every tick; each hand-off also waits
 * for a free event loop). DuckDB binds a kept statement again when a table it reads has changed,
 * but keeps the parameter types it first inferred, so every statement that may change the catalog
 * or name resolution (CREATE, ALTER, DROP, ATTACH, SET, ...) drops all kept statements. Nothing
 * else changes this connection's catalog: the file's lock keeps other processes out, and
 * openDuckDb keeps a second connection of this process out.
 */
export class PreparedStatements {
  /** Idle statements by text, least recently used first. */
  private readonly idle = new Map<string, DuckDBPreparedStatement>();

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly max = 64,
  ) {}

  /**
   * Runs `sql` with `values` bound, on a kept statement when there is one idle. Without values it
   * runs as text, which may hold several statements (nothing to keep).
   */
  async run(sql: string, values: DuckDBValue[]): Promise<DuckDBMaterializedResult> {
    if (values.length === 0) return this.after(await this.connection.run(sql));
    let prepared = this.idle.get(sql);
    // Taken while it runs: a concurrent run of the same text prepares its own.
    if (prepared) this.idle.delete(sql);
    else prepared = await this.connection.prepare(sql);
    let keep = false;
    try {
      prepared.bind(values);
      const result = await prepared.run();
      keep = ROW_STATEMENTS.has(prepared.statementType);
      return this.after(result);
    } finally {
      if (keep) this.keep(sql, prepared);
      else prepared.destroySync();
    }
  }

  /** Drops every kept statement when `result` came from a statement that may change the catalog. */
  private after(result: DuckDBMaterializedResult): DuckDBMaterializedResult {
    if (!CATALOG_NEUTRAL.has(result.statementType)) this.clear();
    return result;
  }

  clear(): void {
    for (const prepared of this.idle.values()) prepared.destroySync();
    this.idle.clear();
  }

  private keep(sql: string, prepared: DuckDBPreparedStatement): void {
    this.idle.get(sql)?.destroySync();
    this.idle.delete(sql);
    this.idle.set(sql, prepared);
    if (this.idle.size > this.max) {
      const [oldest, statement] = this.idle.entries().next().value!;
      statement.destroySync();
      this.idle.delete(oldest);
    }
  }
}
