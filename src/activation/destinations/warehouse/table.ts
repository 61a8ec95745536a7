import { ONE, cast, eq, insert, notExists, param, select, sysCol, table, valuesTable, type Insert } from '../../../dialect/ast.js';
import { systemName, type Dialect } from '../../../dialect/dialect.js';
import { quoteIdent, quoteTable } from '../../../dialect/identifiers.js';
import type { SegmentEvent } from '../../build-event.js';

/**
 * The warehouse destination's table: one row per event, keyed by message_id. The columns, in
 * order (documented in docs/destinations.md): JSON columns are JSON in DuckDB and VARCHAR holding
 * JSON text in Snowflake (read them with PARSE_JSON).
 */
export const EVENT_COLUMNS = [
  ['message_id', 'VARCHAR NOT NULL'],
  ['type', 'VARCHAR NOT NULL'],
  ['event', 'VARCHAR'],
  ['user_id', 'VARCHAR NOT NULL'],
  ['audience_key', 'VARCHAR NOT NULL'],
  ['emitter_key', 'VARCHAR NOT NULL'],
  ['timestamp', 'TIMESTAMP NOT NULL'],
  ['properties', 'JSON'],
  ['traits', 'JSON'],
  ['context', 'JSON'],
  ['written_at', 'TIMESTAMP NOT NULL'],
] as const;

const NAMES = EVENT_COLUMNS.map(([name]) => name);

/**
 * `CREATE TABLE IF NOT EXISTS` for the user's table. This is the user's table, not the state's,
 * so it is not a migration: the destination creates it the first time it writes. Column names are
 * printed as the dialect resolves an unquoted name, as the insert's are.
 */
export function createTableSql(dialect: Dialect, tableName: string): string {
  const columns = EVENT_COLUMNS.map(([name, type]) => `${quoteIdent(dialect, systemName(dialect, name))} ${dialect === 'snowflake' ? type.replace('JSON', 'VARCHAR') : type}`);
  return `CREATE TABLE IF NOT EXISTS ${quoteTable(dialect, tableName)} (${columns.join(', ')})`;
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

/**
 * Inserts the events whose message_id the table does not hold yet: a second delivery of the same
 * event (a crash between the write and the cursor's commit, a replay) inserts nothing.
 */
export function insertEvents(tableName: string, events: readonly SegmentEvent[], ctx: { audienceKey: string; emitterKey: string; writtenAt: Date }): Insert {
  const rows = events.map((e) => [
    cast(param(e.messageId), 'VARCHAR'),
    cast(param(e.type), 'VARCHAR'),
    cast(param(e.event ?? null), 'VARCHAR'),
    cast(param(e.userId), 'VARCHAR'),
    cast(param(ctx.audienceKey), 'VARCHAR'),
    cast(param(ctx.emitterKey), 'VARCHAR'),
    cast(param(e.timestamp), 'TIMESTAMP'),
    cast(param(json(e.properties)), 'VARCHAR'),
    cast(param(json(e.traits)), 'VARCHAR'),
    cast(param(json(e.context)), 'VARCHAR'),
    cast(param(ctx.writtenAt), 'TIMESTAMP'),
  ]);
  const already = select({ one: ONE }, { from: table(tableName, 't'), where: eq(sysCol('t', 'message_id'), sysCol('v', 'message_id')) });
  return insert(
    tableName,
    NAMES,
    select(
      NAMES.map((n) => ({ expr: sysCol('v', n), as: n })),
      { from: valuesTable(rows, 'v', NAMES), where: notExists(already) },
    ),
  );
}
