import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/*
 * Who holds a lease, a state lock or a controller row. Holder ids carry the holder's host and
 * pid, so a process on the same host can tell at once that the holder died (its pid is gone)
 * instead of waiting for the expiry. A holder on another host is only ever taken over after it
 * stopped renewing: its pid means nothing here.
 */

/** A holder id for this process: `<kind>:<host>:<pid>` (and `:<suffix>` when several live in one process). */
export function holderId(kind: string, suffix?: string): string {
  return `${kind}:${hostname()}:${process.pid}${suffix ? `:${suffix}` : ''}`;
}

/** The host and pid a holder id names: `<kind>:<host>:<pid>[:…]` or the state lock's `user@host (pid N)`. */
export function holderProcess(holder: string): { host: string; pid: number } | undefined {
  const m = /^[\w.-]+:([^:\s]+):(\d+)(?::.*)?$/.exec(holder) ?? /@(\S+) \(pid (\d+)\)$/.exec(holder);
  if (!m) return undefined;
  const pid = Number(m[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? { host: m[1]!, pid } : undefined;
}

/**
 * Whether a process with this pid runs on this host (EPERM: it runs, as another user). A zombie
 * (killed, its parent not yet told) answers a signal but will never do anything again: not alive.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux: the state letter of /proc/<pid>/stat, after the command's closing parenthesis, is Z. Elsewhere: never known. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] === 'Z';
  } catch {
    return false;
  }
}

/**
 * True only when the holder ran on this host and its process is gone: what it held can be taken
 * over at once. Unknown formats and other hosts are never declared dead here.
 */
export function holderIsDead(holder: string | null | undefined): boolean {
  if (!holder) return false;
  const p = holderProcess(holder);
  return p !== undefined && p.host === hostname() && !processAlive(p.pid);
}

/** Whether a host/pid pair (as the controllers table records it) names a dead process of this host. */
export function processIsDead(host: string | null | undefined, pid: number | null | undefined): boolean {
  return !!host && host === hostname() && typeof pid === 'number' && pid > 0 && !processAlive(pid);
}
