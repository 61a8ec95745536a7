import { compare, fn, insert, NOW, param, ref, select, stateTable as fromState, values } from '../dialect/ast.js';
import { quoteIdent } from '../dialect/identifiers.js';
import { isLinkedError, LinkedError } from '../model/errors.js';
import { execute } from '../warehouse/execute.js';
import { MIGRATE_TAG, withQueryTag } from '../warehouse/tagged.js';
import type { Warehouse } from '../warehouse/types.js';
import { MIGRATIONS } from './migrations/index.js';

const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * Creates the state schema and brings it to the latest version (decision D5: DDL happens here and
 * only here; everything else is DML). Safe to call on every command: a current schema costs one
 * query. Each migration's statements and its version row are recorded together.
 */
export async function migrateState(
  warehouse: Warehouse,
  schemaName: string,
  /** Stop after this version (tests of a migration start from the version before it). */
  options: { upTo?: number } = {},
): Promise<{ from: number; to: number }> {
  // Whatever command migrates, its migration's statements are told apart in QUERY_HISTORY.
  const wh = withQueryTag(warehouse, MIGRATE_TAG);
  const target = Math.min(options.upTo ?? Infinity, LATEST_VERSION);
  // Read before anything is created: a current state costs this one query, and no DDL (a DDL
  // statement drops DuckDB's kept prepared statements; on Snowflake it is a round trip per command
  // and per controller tick). Any failure (no schema yet, no version table) takes the full path,
  // which surfaces a real error itself.
  const current = await readStateVersion(wh, schemaName).then(
    (v) => v.current,
    () => undefined,
  );
  if (current !== undefined) await refuseNewerState(wh, schemaName, current);
  if (current !== undefined && current >= target) return { from: current, to: current };
  const schema = quoteIdent(wh.dialect, schemaName);
  const versionTable = `${schema}.${quoteIdent(wh.dialect, 'schema_version')}`;
  const versions = { schema: schemaName, name: 'schema_version' };
  await wh.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await wh.query(
    `CREATE TABLE IF NOT EXISTS ${versionTable} (version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`,
  );
  const { rows } = await execute(wh, select({ v: fn('MAX', ref('version')) }, { from: fromState(versions) }));
  // The one column, whatever case the dialect gives its name.
  const from = Number(Object.values(rows[0] ?? {})[0] ?? 0);
  let to = from;
  for (const m of MIGRATIONS) {
    if (m.version <= from || m.version > (options.upTo ?? Infinity)) continue;
    for (const statement of m.up(schema, wh.dialect)) await wh.query(statement);
    await execute(wh, insert(versions, ['version', 'name', 'applied_at'], values([param(m.version), param(m.name), NOW])));
    to = m.version;
  }
  return { from, to };
}

/**
 * Creates the state when there is none and otherwise leaves it at its version, refusing a newer
 * one: for a command whose reads every version of the state has (`linked plan` reads the tables of
 * migration 1), run where the state must not move on. A pull request's plan made by an upgraded
 * linked would otherwise migrate the state that main's pipeline and controller, still on the
 * version before, use and then refuse. Returns the version found when it is behind this code.
 */
export async function createStateOnly(wh: Warehouse, schemaName: string): Promise<{ current: number; latest: number } | undefined> {
  // Only a missing version table means there is no state; any other failure (a dropped connection,
  // a permission) is rethrown, as migrating here would move a state main's linked still uses.
  const version = await readStateVersion(wh, schemaName).catch((e: unknown) => {
    if (isLinkedError(e) && e.code === 'SQL_COMPILATION') return undefined;
    throw e;
  });
  if (version === undefined) {
    await migrateState(wh, schemaName);
    return undefined;
  }
  await refuseNewerState(wh, schemaName, version.current);
  return version.current < version.latest ? version : undefined;
}

/**
 * The state's version and the version this code expects, read without changing anything (the
 * dashboard reads a state it must not migrate). Throws the warehouse's error when the state
 * schema or its version table does not exist.
 */
export async function readStateVersion(wh: Warehouse, schemaName: string): Promise<{ current: number; latest: number }> {
  const { rows } = await execute(wh, select({ v: fn('MAX', ref('version')) }, { from: fromState({ schema: schemaName, name: 'schema_version' }) }));
  return { current: Number(Object.values(rows[0] ?? {})[0] ?? 0), latest: LATEST_VERSION };
}

/**
 * Refuses a state that a newer linked migrated (STATE_TOO_NEW), naming the migrations this code
 * does not know. This code would read such a state as if nothing were missing and write rows
 * without what the newer migrations added (an apply without its version history, a delivery line
 * without its trace links), which the newer linked would then read as incomplete history. A state
 * is never migrated back, so the fix is to run the newer linked everywhere the state is used.
 */
export async function refuseNewerState(wh: Warehouse, schemaName: string, current: number): Promise<void> {
  if (current <= LATEST_VERSION) return;
  const { rows } = await execute(
    wh,
    select({ version: ref('version'), name: ref('name') }, {
      from: fromState({ schema: schemaName, name: 'schema_version' }),
      where: compare('>', ref('version'), param(LATEST_VERSION)),
      orderBy: [{ expr: ref('version') }],
    }),
  );
  // Positional: the dialect decides the case of the column names.
  const unknown = rows.map((r) => Object.values(r).join(' ')).join(', ');
  throw new LinkedError(
    'STATE_TOO_NEW',
    `The state in schema ${schemaName} is at version ${current}, and this linked knows versions up to ${LATEST_VERSION}: a newer linked migrated it (${unknown}). ` +
      `Upgrade linked-audiences here to that newer version (in every place that uses this state: CI, the controller's host, your machine). ` +
      `An older linked neither reads nor writes a newer state, and a state is never migrated back.`,
    { current, latest: LATEST_VERSION },
  );
}
