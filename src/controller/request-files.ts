import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComputeTables } from './tables.js';
import type { Warehouse } from '../warehouse/types.js';

/*
 * "Compute now" while a controller holds the DuckDB file: the file admits one process, so the
 * request cannot be written into the warehouse. It is written beside it instead
 * (`<file>.requests/<id>.json`); the controller moves such files into compute_requests at its next
 * tick, and the CLI follows the request there by its id.
 */

export const requestDirFor = (duckDbPath: string) => `${duckDbPath}.requests`;

interface RequestFile {
  id: string;
  audienceKey: string;
  requestedAt: string;
  requestedBy: string;
}

export function writeRequestFile(dir: string, audienceKey: string, requestedBy: string, now = new Date()): string {
  mkdirSync(dir, { recursive: true });
  const id = randomUUID();
  const body: RequestFile = { id, audienceKey, requestedAt: now.toISOString(), requestedBy };
  // Written under a temporary name and renamed: the controller never reads half a file.
  const tmp = join(dir, `.${id}.tmp`);
  writeFileSync(tmp, JSON.stringify(body));
  renameSync(tmp, join(dir, `${id}.json`));
  return id;
}

/** Moves request files into compute_requests; returns how many. A file is removed once its row exists. */
export async function importRequestFiles(wh: Warehouse, t: ComputeTables, dir: string): Promise<number> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return 0;
  }
  let imported = 0;
  for (const name of names) {
    const file = join(dir, name);
    let r: RequestFile;
    try {
      r = JSON.parse(readFileSync(file, 'utf8')) as RequestFile;
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    await wh.query(
      `INSERT INTO ${t.compute_requests} (id, audience_key, requested_at, requested_by)
       SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM ${t.compute_requests} WHERE id = ?)`,
      [r.id, r.audienceKey, new Date(r.requestedAt), r.requestedBy, r.id],
    );
    rmSync(file, { force: true });
    imported++;
  }
  return imported;
}
