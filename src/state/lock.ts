import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { LinkedError } from '../model/errors.js';
import type { Warehouse } from '../warehouse/types.js';
import { isoTimestamp } from './canonical.js';
import { stateTable } from './migrate.js';
import type { StateSession } from './session.js';

export interface LockInfo {
  name: string;
  id: string;
  holder: string | null;
  acquiredAt: string;
  expiresAt: string;
  operation: string | null;
}

/** A lock left by a process that died expires after this; `force-unlock` releases it sooner. */
export const DEFAULT_LOCK_TTL_MS = 30 * 60_000;

export const stackLockName = (stack: string) => `apply:${stack}`;

/** Who holds a lock, as people read it: user@host (pid). */
export function defaultHolder(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry in some containers */
  }
  return `${user}@${hostname()} (pid ${process.pid})`;
}

interface LockRow {
  name: string;
  id: string;
  holder: string | null;
  acquired_at: unknown;
  expires_at: unknown;
  operation: string | null;
}
const toInfo = (r: LockRow): LockInfo => ({
  name: r.name,
  id: r.id,
  holder: r.holder,
  acquiredAt: isoTimestamp(r.acquired_at)!,
  expiresAt: isoTimestamp(r.expires_at)!,
  operation: r.operation,
});

export async function readLocks(wh: Warehouse, schema: string): Promise<LockInfo[]> {
  const { rows } = await wh.query<LockRow>(
    `SELECT name, id, holder, acquired_at, expires_at, operation FROM ${stateTable(wh, schema, 'locks')} ORDER BY acquired_at, id`,
  );
  return rows.map(toInfo);
}

/**
 * One attempt: takes the lock unless a live one is held; an expired one is replaced. Warehouses
 * that do not enforce primary keys (Snowflake) could let two inserts through, so the earliest row
 * wins and a loser removes its own.
 */
export async function tryAcquireLock(
  wh: Warehouse,
  schema: string,
  name: string,
  opts: { holder: string; operation: string; ttlMs?: number; now?: Date },
): Promise<{ acquired: true; lock: LockInfo } | { acquired: false; held: LockInfo }> {
  const table = stateTable(wh, schema, 'locks');
  const now = opts.now ?? new Date();
  const id = randomUUID();
  const held = await wh.transaction(async (tx) => {
    await tx.query(`DELETE FROM ${table} WHERE name = ? AND expires_at <= CAST(? AS TIMESTAMP)`, [name, now.toISOString()]);
    const { rows } = await tx.query<LockRow>(`SELECT name, id, holder, acquired_at, expires_at, operation FROM ${table} WHERE name = ?`, [name]);
    if (rows.length) return toInfo(rows[0]);
    await tx.query(
      `INSERT INTO ${table} (name, id, holder, acquired_at, expires_at, operation) VALUES (?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?)`,
      [name, id, opts.holder, now.toISOString(), new Date(now.getTime() + (opts.ttlMs ?? DEFAULT_LOCK_TTL_MS)).toISOString(), opts.operation],
    );
    return undefined;
  });
  if (held) return { acquired: false, held };
  const { rows } = await wh.query<LockRow>(
    `SELECT name, id, holder, acquired_at, expires_at, operation FROM ${table} WHERE name = ? ORDER BY acquired_at, id`,
    [name],
  );
  if (rows[0]?.id !== id) {
    await wh.query(`DELETE FROM ${table} WHERE id = ?`, [id]);
    return { acquired: false, held: toInfo(rows[0]) };
  }
  return { acquired: true, lock: toInfo(rows[0]) };
}

export function lockedError(stack: string, held: LockInfo, waitedMs: number): LinkedError {
  return new LinkedError(
    'STATE_LOCKED',
    `The state of stack "${stack}" is locked by ${held.holder ?? 'another process'} since ${held.acquiredAt}` +
      ` (${held.operation ?? 'apply'}, lock id ${held.id}, expires ${held.expiresAt})` +
      (waitedMs > 0 ? `; waited ${Math.round(waitedMs / 100) / 10}s` : '') +
      `. Wait for it to finish and retry (or raise --lock-timeout); if that process died, run \`linked force-unlock ${held.id}\`.`,
    { lock: held },
  );
}

export interface AcquireOptions {
  holder?: string;
  operation?: string;
  /** How long to wait for a held lock; 0: fail at once (Terraform's default). */
  timeoutMs?: number;
  ttlMs?: number;
  pollMs?: number;
  /** Called once when the lock is found held and the caller will wait. */
  onWait?: (held: LockInfo) => void;
}

/** Takes the stack's state lock, polling until `timeoutMs`, then fails with STATE_LOCKED. */
export async function acquireStackLock(session: StateSession, stack: string, opts: AcquireOptions = {}): Promise<LockInfo> {
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? 0);
  let warned = false;
  for (;;) {
    const r = await session.withWarehouse((wh) =>
      tryAcquireLock(wh, session.schema, stackLockName(stack), {
        holder: opts.holder ?? defaultHolder(),
        operation: opts.operation ?? 'apply',
        ttlMs: opts.ttlMs,
      }),
    );
    if (r.acquired) return r.lock;
    if (Date.now() >= deadline) throw lockedError(stack, r.held, Date.now() - started);
    if (!warned) opts.onWait?.(r.held);
    warned = true;
    await new Promise((res) => setTimeout(res, Math.min(opts.pollMs ?? 250, Math.max(10, deadline - Date.now()))));
  }
}

/** Releases a lock this process holds (by id: never someone else's). */
export async function releaseLock(wh: Warehouse, schema: string, id: string): Promise<void> {
  await wh.query(`DELETE FROM ${stateTable(wh, schema, 'locks')} WHERE id = ?`, [id]);
}

/** `linked force-unlock <id>`: removes a lock by id, whoever holds it. */
export async function forceUnlock(wh: Warehouse, schema: string, id: string): Promise<LockInfo> {
  const lock = (await readLocks(wh, schema)).find((l) => l.id === id);
  if (!lock) {
    throw new LinkedError('LOCK_NOT_FOUND', `No state lock has id ${id}. \`linked state list\` shows the locks held now.`);
  }
  await releaseLock(wh, schema, id);
  return lock;
}
