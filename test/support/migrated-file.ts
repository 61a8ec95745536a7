import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateState } from '../../src/state/migrate.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';

const templates = new Map<string, Promise<string>>();

/** A new DuckDB file with `schema` migrated, closed (so checkpointed: no WAL beside it). Made once per schema and process. */
function template(schema: string): Promise<string> {
  let made = templates.get(schema);
  if (!made) {
    made = (async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'linked-migrated-')), 'template.duckdb');
      const wh = await openDuckDb(file);
      try {
        await migrateState(wh, schema);
      } finally {
        await wh.close();
      }
      return file;
    })();
    templates.set(schema, made);
  }
  return made;
}

/**
 * Opens a new DuckDB file at `path` with the state schema migrated, as opening it and calling
 * `migrateState` leaves it (the versions' applied_at aside: the first copy's time). Migrating a new file writes and syncs it statement by statement (about
 * half a second, most of it waiting on the disk), and many tests start from one: the file is a
 * copy of one migrated once per test process, then opened and migrated again (a current schema
 * costs one query), so a stale copy could not pass for a current one.
 */
export async function openMigratedDuckDb(path: string, schema: string): Promise<DuckDbWarehouse> {
  if (existsSync(path)) throw new Error(`openMigratedDuckDb: ${path} exists; it makes a new file`);
  copyFileSync(await template(schema), path);
  const wh = await openDuckDb(path);
  try {
    await migrateState(wh, schema);
  } catch (e) {
    await wh.close();
    throw e;
  }
  return wh;
}
