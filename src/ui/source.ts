import { resolve } from 'node:path';
import { whileWaiting } from '../controller/file-waiters.js';
import type { Desired } from '../model/desired.js';
import { isLinkedError, LinkedError } from '../model/errors.js';
import { referencedSecretValues } from '../observe/log.js';
import { readStateVersion, refuseNewerState } from '../state/migrate.js';
import { openWarehouse } from '../warehouse/index.js';
import { commandTag, withQueryTag } from '../warehouse/tagged.js';
import type { Warehouse } from '../warehouse/types.js';

/**
 * Where the pages read the state from. Every read goes through `read`, which hands out a
 * warehouse that refuses writes (decision D16: the pages change nothing).
 */
export interface UiSource {
  /** The state schema (unquoted). */
  schema: string;
  /** The stack whose resources the pages show; undefined: every stack of the state. */
  stack?: string;
  /** The project directory: the audit page joins the apply log with git when it is a clone. */
  projectDir?: string;
  /** Each call hands `fn` a warehouse of its own: what a request read is kept by it (data.ts) and ends with it. */
  read<T>(fn: (wh: Warehouse) => Promise<T>): Promise<T>;
  /** Values every response is scanned for and masked in: the secrets the stack references. */
  secrets(): string[];
}

/** Statements a page may run: reads only. Anything else is a bug in a page, refused before it runs. */
const READ_STATEMENT = /^\s*\(?\s*(SELECT|WITH|DESCRIBE|SHOW)\b/i;

/** A view of `wh` that runs reads only: no transaction, no statement other than a query. */
export function readOnly(wh: Warehouse): Warehouse {
  const refuse = (what: string) => new LinkedError('UI_READ_ONLY', `The dashboard is read-only; it tried to run ${what}.`);
  const check = (sql: string) => {
    if (!READ_STATEMENT.test(sql)) throw refuse(`a statement that is not a read (${sql.trim().split(/\s+/)[0]})`);
  };
  return {
    dialect: wh.dialect,
    query: async (sql, params, options) => (check(sql), wh.query(sql, params, options)),
    stream: (sql, params, pageSize, options) => (check(sql), wh.stream(sql, params, pageSize, options)),
    transaction: async () => {
      throw refuse('a transaction');
    },
    describeTable: (table) => wh.describeTable(table),
    tableNames: (near) => wh.tableNames(near),
    close: async () => undefined,
  };
}

export interface ProjectSourceOptions {
  /** Environment the stack's secret references are read from (for masking only). */
  env?: NodeJS.ProcessEnv;
  /** More values to mask (the dashboard's own token). */
  alsoMask?: string[];
}

/**
 * `linked ui`: the state of a project's stack. A DuckDB file is opened read-only for each page and
 * closed after it (decision D5: never held idle), announced as a waiter so a running daemon lets go
 * of it between two statements. Snowflake: a connection per page.
 */
export function projectSource(desired: Desired, dir: string, options: ProjectSourceOptions = {}): UiSource {
  const wh = desired.warehouse;
  const open = () => openWarehouse(wh, dir, { readOnly: true, tag: commandTag('ui', desired.stack) });
  const openShared = wh.type === 'duckdb' && wh.path !== ':memory:' ? () => whileWaiting(resolve(dir, wh.path), open) : open;
  const masked = [...referencedSecretValues(desired, options.env), ...(options.alsoMask ?? [])];
  return {
    schema: wh.stateSchema,
    stack: desired.stack,
    projectDir: dir,
    secrets: () => masked,
    async read(fn) {
      const conn = await openShared();
      try {
        return await fn(readOnly(conn));
      } finally {
        await conn.close();
      }
    },
  };
}

/**
 * `linked run --listen … --ui`: the daemon's own reader (its shared file on DuckDB), so the pages
 * never contend with the daemon for the file.
 */
export function readerSource(o: { schema: string; stack?: string; projectDir?: string; open: () => Promise<Warehouse>; secrets: string[] }): UiSource {
  return {
    schema: o.schema,
    stack: o.stack,
    projectDir: o.projectDir,
    secrets: () => o.secrets,
    async read(fn) {
      // The daemon's connection: its pages' statements are told apart from the daemon's own.
      const conn = withQueryTag(await o.open(), commandTag('ui', o.stack));
      try {
        return await fn(readOnly(conn));
      } finally {
        await conn.close();
      }
    },
  };
}

/**
 * Refuses to read a state that is missing, older than this code (the dashboard may not migrate
 * it) or newer, with what to do; pages would otherwise fail on a missing table or column.
 */
export async function requireCurrentState(wh: Warehouse, schema: string): Promise<void> {
  let version: { current: number; latest: number };
  try {
    version = await readStateVersion(wh, schema);
  } catch (e) {
    if (!isLinkedError(e) || e.code !== 'SQL_COMPILATION') throw e;
    throw new LinkedError('STATE_MISSING', `There is no state in schema ${schema} yet: apply the stack first (linked plan, then linked apply). The dashboard only reads it.`);
  }
  await refuseNewerState(wh, schema, version.current);
  if (version.current < version.latest) {
    throw new LinkedError(
      'STATE_OUTDATED',
      `The state in schema ${schema} is at version ${version.current} and this linked reads version ${version.latest}: run a state command once (e.g. linked status) to migrate it, then reload. The dashboard does not migrate.`,
    );
  }
}
