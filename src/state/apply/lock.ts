import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { and, cast, compare, deleteFrom, eq, insert, param, ref, select, stateTable, values, type Expr } from '../../dialect/ast.js';
import { LinkedError } from '../../model/errors.js';
import { isoTimestamp } from '../canonical.js';
import { columns } from '../columns.js';
import type { StateSession } from '../session.js';
import { holderIsDead } from '../control/holder.js';
import { StateStore } from '../store.js';

export interface LockInfo {
  name: string;
  id: string;
  holder: string | null;
  acquiredAt: string;
  expiresAt: string;
  operation: string | null;
}

export type LockAttempt = { acquired: true; lock: LockInfo } | { acquired: false; held: LockInfo };

/**
 * A lock left by a process that died on another host expires after this; one whose holder ran on
 * this host is released as soon as its pid is gone; `force-unlock` releases either sooner.
 */
export const DEFAULT_LOCK_TTL_MS = 30 * 60_000;

export const stackLockName = (stack: string) => `apply:${stack}`;

/** The stack whose apply a lock serializes (stackLockName's inverse); null for any other lock. */
export const stackOfLock = (name: string): string | null => (name.startsWith('apply:') ? name.slice('apply:'.length) : null);

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
const LOCK_COLUMNS = ['name', 'id', 'holder', 'acquired_at', 'expires_at', 'operation'];
const toInfo = (r: LockRow): LockInfo => ({
  name: r.name,
  id: r.id,
  holder: r.holder,
  acquiredAt: isoTimestamp(r.acquired_at)!,
  expiresAt: isoTimestamp(r.expires_at)!,
  operation: r.operation,
});
const timestamp = (at: Date): Expr => cast(param(at.toISOString()), 'TIMESTAMP');
const EARLIEST_FIRST = [{ expr: ref('acquired_at') }, { expr: ref('id') }];

/** `locks`: the state locks (one per stack) that serialize applies. */
export class LockStore extends StateStore {
  async list(): Promise<LockInfo[]> {
    const { rows } = await this.run<LockRow>(select(columns(LOCK_COLUMNS), { from: stateTable(this.t.locks), orderBy: EARLIEST_FIRST }));
    return rows.map(toInfo);
  }

  /**
   * One attempt: takes the lock unless a live one is held; an expired one is replaced. Warehouses
   * that do not enforce primary keys (Snowflake) could let two inserts through, so the earliest row
   * wins and a loser removes its own.
   */
  async tryAcquire(name: string, opts: { holder: string; operation: string; ttlMs?: number; now?: Date }): Promise<LockAttempt> {
    const now = opts.now ?? new Date();
    const id = randomUUID();
    const expiresAt = new Date(now.getTime() + (opts.ttlMs ?? DEFAULT_LOCK_TTL_MS));
    const named = eq(ref('name'), param(name));
    const held = await this.wh.transaction(async (tx) => {
      const store = this.in(tx);
      await store.run(deleteFrom(this.t.locks, and(named, compare('<=', ref('expires_at'), timestamp(now)))));
      const { rows } = await store.run<LockRow>(select(columns(LOCK_COLUMNS), { from: stateTable(this.t.locks), where: named }));
      // A holder on this host whose process is gone (killed between its commit and its release)
      // holds nothing: its lock goes at once instead of at its expiry.
      const live = rows.filter((r) => !holderIsDead(r.holder));
      for (const dead of rows.filter((r) => !live.includes(r))) await store.run(deleteFrom(this.t.locks, eq(ref('id'), param(dead.id))));
      if (live.length) return toInfo(live[0]);
      const row = [param(name), param(id), param(opts.holder), timestamp(now), timestamp(expiresAt), param(opts.operation)];
      await store.run(insert(this.t.locks, LOCK_COLUMNS, values(row)));
      return undefined;
    });
    if (held) return { acquired: false, held };
    const { rows } = await this.run<LockRow>(select(columns(LOCK_COLUMNS), { from: stateTable(this.t.locks), where: named, orderBy: EARLIEST_FIRST }));
    if (rows[0]?.id !== id) {
      await this.release(id);
      return { acquired: false, held: toInfo(rows[0]) };
    }
    return { acquired: true, lock: toInfo(rows[0]) };
  }

  /** Whether lock `id` still holds `name` (not released, expired and taken, or force-unlocked). */
  async holds(name: string, id: string): Promise<boolean> {
    const { rows } = await this.run<{ id: string }>(select({ id: ref('id') }, { from: stateTable(this.t.locks), where: eq(ref('name'), param(name)) }));
    return rows.some((r) => r.id === id);
  }

  /** Releases a lock this process holds (by id: never someone else's). */
  async release(id: string): Promise<void> {
    await this.run(deleteFrom(this.t.locks, eq(ref('id'), param(id))));
  }

  /** `linked force-unlock <id>`: removes a lock by id, whoever holds it. */
  async forceUnlock(id: string): Promise<LockInfo> {
    const lock = (await this.list()).find((l) => l.id === id);
    if (!lock) {
      throw new LinkedError('LOCK_NOT_FOUND', `No state lock has id ${id}. \`linked state list\` shows the locks held now.`);
    }
    await this.release(id);
    return lock;
  }
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
      new LockStore(wh, session.schema).tryAcquire(stackLockName(stack), {
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
