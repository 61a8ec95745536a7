import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../state/control/holder.js';

/*
 * DuckDB admits one process per file. A long-running daemon shares its file by letting go of it
 * when another process wants it: that process leaves a marker in `<file>.waiters/` while it waits
 * to open the file (named `<pid>-<id>`), and the daemon, between two statements, closes the file
 * and stays away until the markers are gone. A marker whose process died is ignored and removed.
 */

export const waitersDirFor = (duckDbPath: string) => `${duckDbPath}.waiters`;

/**
 * Runs `open` with this process announced as waiting for the DuckDB file `file`; the marker goes
 * once it returns. A file that does not exist has no holder to wait for, and `open` reports it
 * missing: nothing is written beside it (no `.waiters/` folder next to a mistyped path).
 */
export async function whileWaiting<T>(file: string, open: () => Promise<T>): Promise<T> {
  if (!existsSync(file)) return open();
  const dir = waitersDirFor(file);
  let marker: string | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    marker = join(dir, `${process.pid}-${randomUUID().slice(0, 8)}`);
    writeFileSync(marker, '');
  } catch {
    // A read-only directory: open as before, without priority.
    marker = undefined;
  }
  try {
    return await open();
  } finally {
    if (marker) rmSync(marker, { force: true });
  }
}

/** How many live processes wait for the file (markers of dead ones are removed). */
export function liveWaiters(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let live = 0;
  for (const name of names) {
    const pid = Number.parseInt(name, 10);
    if (pid === process.pid) continue;
    if (Number.isFinite(pid) && processAlive(pid)) live++;
    else rmSync(join(dir, name), { force: true });
  }
  return live;
}
