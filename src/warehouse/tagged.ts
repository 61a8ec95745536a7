import type { QueryOptions, Warehouse } from './types.js';

/**
 * The warehouse with `tag` on every statement that names none of its own: Snowflake records it
 * as the statement's QUERY_TAG (after the team's `queryTag`), so a platform team can attribute
 * warehouse time and cost per audience and per run in QUERY_HISTORY. DuckDB ignores tags.
 */
export function withQueryTag(wh: Warehouse, tag: string): Warehouse {
  const tagged = (options?: QueryOptions): QueryOptions => ({ ...options, tag: options?.tag ?? tag });
  const wrapper: Warehouse = {
    dialect: wh.dialect,
    query: (sql, params, options) => wh.query(sql, params, tagged(options)),
    stream: (sql, params, pageSize, options) => wh.stream(sql, params, pageSize, tagged(options)),
    // The transaction's own statements (BEGIN, COMMIT) and those inside it carry the tag too.
    transaction: (fn, options) => wh.transaction((tx) => fn(tx === wh ? wrapper : withQueryTag(tx, tag)), tagged(options)),
    describeTable: (table) => wh.describeTable(table),
    tableNames: (near) => wh.tableNames(near),
    close: () => wh.close(),
  };
  // Kept where the warehouse queues statements (the daemon's DuckDB file): work waiting its turn
  // there is tagged too.
  if (wh.whenFree) {
    const whenFree = wh.whenFree.bind(wh);
    wrapper.whenFree = (fn) => whenFree((inner) => fn(inner === wh ? wrapper : withQueryTag(inner, tag)));
  }
  return wrapper;
}

/**
 * The QUERY_TAG of the statements a command or a part of the product runs outside compute runs
 * and deliveries (`status`, `apply`, the daemon's own `run`): a warehouse is opened with it
 * (openWarehouse), so none runs untagged. `command=` keeps them apart from the runs' and the
 * deliveries' tags: `linked compute` waiting for its run is not the run itself.
 */
export function commandTag(command: string, stack?: string): string {
  return `linked-audiences:command=${command}${stack ? ` stack=${stack}` : ''}`;
}

/** The QUERY_TAG of the state's migrations, whichever command brings the schema up to date. */
export const MIGRATE_TAG = 'linked-audiences:migrate';

/** The QUERY_TAG of a compute run's statements: the stack, audience and run they belong to. */
export function computeTag(audienceKey: string, runId: string, stack?: string): string {
  return `linked-audiences:compute${stack ? ` stack=${stack}` : ''} audience=${audienceKey} run=${runId}`;
}

/** The QUERY_TAG of a delivery's statements (the outbox, enrichment on the Data Graph's tables, its records). */
export function deliveryTag(runId: string, stack?: string): string {
  return `linked-audiences:deliver${stack ? ` stack=${stack}` : ''} run=${runId}`;
}
