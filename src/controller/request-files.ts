import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Slug } from '../model/common.js';
import type { ComputeRequestStore } from '../state/control/compute-requests.js';

/*
 * "Compute now" while a controller holds the DuckDB file: the file admits one process, so the
 * request cannot be written into the warehouse. It is written beside it instead
 * (`<file>.requests/<id>.json`); the controller moves such files into compute_requests at its next
 * tick, and the CLI follows the request there by its id.
 */

export const requestDirFor = (duckDbPath: string) => `${duckDbPath}.requests`;

/**
 * Anyone who can write beside the file can drop one here, and an older or newer linked may have
 * written another shape: a file that is not this is removed like one that is not JSON, never let
 * through to fail every tick of the controller after it.
 */
const RequestFile = z.object({
  id: z.string().min(1).max(100),
  audienceKey: Slug,
  requestedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s))),
  requestedBy: z.string().max(1000),
});
type RequestFile = z.infer<typeof RequestFile>;

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
export async function importRequestFiles(requests: ComputeRequestStore, dir: string): Promise<number> {
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
      r = RequestFile.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    await requests.import({ id: r.id, audienceKey: r.audienceKey, requestedAt: new Date(r.requestedAt), requestedBy: r.requestedBy });
    rmSync(file, { force: true });
    imported++;
  }
  return imported;
}
