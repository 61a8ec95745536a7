import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { isLinkedError } from '../../src/model/errors.js';
import { migrateState } from '../../src/state/migrate.js';
import { MIGRATIONS } from '../../src/state/migrations/index.js';
import { requireCurrentState } from '../../src/ui/source.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { tempDir } from '../activation/helpers.js';

/*
 * The state across versions of linked: a user upgrades the tool in place, on the same DuckDB file,
 * and a process of another version may meet the state another one migrated. The old state is built
 * with the migrations the old linked had (migrateState's upTo), rows written as it wrote them.
 */
const SCHEMA = 'LINKED_AUDIENCES';
const S = `"${SCHEMA}"`;
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

let wh: DuckDbWarehouse | undefined;
afterEach(async () => {
  await wh?.close();
  wh = undefined;
});

const versionRows = async (w: DuckDbWarehouse) => (await w.query(`SELECT version, name FROM ${S}."schema_version" ORDER BY version`)).rows;

describe('a state a newer linked migrated', () => {
  /** A state at this code's version, then one more, as a newer linked leaves it. */
  const newer = async (path = join(tempDir(), 'w.duckdb')) => {
    wh = await openDuckDb(path);
    await migrateState(wh, SCHEMA);
    await wh.query(`INSERT INTO ${S}."schema_version" VALUES (?, ?, now()::TIMESTAMP)`, [LATEST + 1, 'from_the_future']);
    return wh;
  };

  it('is refused by every command (migrateState) with the versions and what to do, and left as it is', async () => {
    const w = await newer();
    const before = await versionRows(w);
    const refusal = await migrateState(w, SCHEMA).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isLinkedError(refusal) && refusal.code).toBe('STATE_TOO_NEW');
    expect((refusal as Error).message).toBe(
      `The state in schema ${SCHEMA} is at version ${LATEST + 1}, and this linked knows versions up to ${LATEST}: a newer linked migrated it (${LATEST + 1} from_the_future). ` +
        `Upgrade linked-audiences here to that newer version (in every place that uses this state: CI, the controller's host, your machine). ` +
        `An older linked neither reads nor writes a newer state, and a state is never migrated back.`,
    );
    expect(await versionRows(w)).toEqual(before);
  });

  it('is refused by the dashboard, which only reads', async () => {
    await expect(requireCurrentState(await newer(), SCHEMA)).rejects.toMatchObject({ code: 'STATE_TOO_NEW' });
  });
});
