/*
 * Snowflake's resource locking for standard tables, as its documentation ("Transactions",
 * "Resource locking") describes it and the emulation models it:
 * - PRIMARY KEY and UNIQUE are recorded, never enforced (translate.ts drops them);
 * - INSERT takes no lock that blocks another writer;
 * - UPDATE, DELETE and MERGE lock the table until their transaction ends (an autocommit statement:
 *   until it ends), whether or not they match a row; a second writer waits for the lock;
 * - a wait ends with error 000625 after the LOCK_TIMEOUT session parameter (default 43200 s), when
 *   more than 20 statements already wait for the lock, or at once when waiting would close a cycle
 *   of waits (a deadlock: the most recent statement is the one aborted; its transaction stays open
 *   for the client to roll back).
 * DuckDB itself would abort the second writer of a row (its MVCC is optimistic): the emulation
 * takes these locks before a statement reaches DuckDB, and DuckDB starts a transaction's snapshot
 * at its first statement, so a transaction whose first statement waited for a lock reads what the
 * holder committed, as Snowflake's READ COMMITTED does.
 */
import { SnowflakeError } from './errors.js';

/** Snowflake's default LOCK_TIMEOUT, in seconds. */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 43_200;
/** Statements that may wait for one table lock at once; the next one is aborted. */
export const MAX_LOCK_WAITERS = 20;

/** A transaction that can hold locks: an explicit one, or one autocommit statement. */
export interface LockOwner {
  /** Snowflake's transaction id (shown in errors). */
  id: string;
  /** The statement running now (shown in errors). */
  queryId: string;
}

interface Waiter {
  owner: LockOwner;
  grant: () => void;
}

interface TableLock {
  holder: LockOwner;
  /** The holder's statement that took the lock. */
  queryId: string;
  waiters: Waiter[];
}

/** One record per granted or refused lock request, for tests that check what waited on what. */
export interface LockEvent {
  table: string;
  owner: string;
  outcome: 'granted' | 'waited' | 'timeout' | 'deadlock' | 'too-many-waiters';
  waitedMs: number;
}

function lockError(lock: TableLock, table: string, owner: LockOwner, reason: string): SnowflakeError {
  return new SnowflakeError(
    '000625',
    '57014',
    `Statement '${lock.queryId}' has locked table '${table}' in transaction ${lock.holder.id} and this lock has not yet been released.\n` +
      `Your statement '${owner.queryId}' was aborted because ${reason}.`,
  );
}

export class TableLocks {
  private readonly locks = new Map<string, TableLock>();
  /** What each waiting transaction waits for: the wait-for graph deadlock detection walks. */
  private readonly waitingFor = new Map<LockOwner, string>();
  readonly events: LockEvent[] = [];

  /** Takes `table`'s lock for `owner`, waiting up to `timeoutSeconds` for its holder to end. */
  async acquire(owner: LockOwner, table: string, timeoutSeconds: number): Promise<void> {
    const lock = this.locks.get(table);
    if (!lock) {
      this.locks.set(table, { holder: owner, queryId: owner.queryId, waiters: [] });
      this.events.push({ table, owner: owner.id, outcome: 'granted', waitedMs: 0 });
      return;
    }
    if (lock.holder === owner) return;
    if (this.closesCycle(owner, lock.holder)) {
      this.events.push({ table, owner: owner.id, outcome: 'deadlock', waitedMs: 0 });
      throw lockError(lock, table, owner, 'it was chosen as the victim of a deadlock: its transaction waits for a lock held by a transaction that waits for it');
    }
    if (lock.waiters.length >= MAX_LOCK_WAITERS) {
      this.events.push({ table, owner: owner.id, outcome: 'too-many-waiters', waitedMs: 0 });
      throw lockError(lock, table, owner, `the number of waiters for this lock exceeds the ${MAX_LOCK_WAITERS} statements limit`);
    }
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        owner,
        grant: () => {
          clearTimeout(timer);
          this.waitingFor.delete(owner);
          this.events.push({ table, owner: owner.id, outcome: 'waited', waitedMs: Date.now() - started });
          resolve();
        },
      };
      const timer = setTimeout(() => {
        lock.waiters.splice(lock.waiters.indexOf(waiter), 1);
        this.waitingFor.delete(owner);
        this.events.push({ table, owner: owner.id, outcome: 'timeout', waitedMs: Date.now() - started });
        reject(lockError(lock, table, owner, `the lock wait timeout of ${timeoutSeconds} second(s) (LOCK_TIMEOUT) was exceeded`));
      }, timeoutSeconds * 1000);
      lock.waiters.push(waiter);
      this.waitingFor.set(owner, table);
    });
  }

  /** Ends `owner`'s transaction: every lock it holds passes to its first waiter. */
  releaseAll(owner: LockOwner): void {
    for (const [table, lock] of this.locks) {
      if (lock.holder !== owner) continue;
      const next = lock.waiters.shift();
      if (!next) {
        this.locks.delete(table);
        continue;
      }
      lock.holder = next.owner;
      lock.queryId = next.owner.queryId;
      next.grant();
    }
  }

  /** Tables `owner` holds now. */
  heldBy(owner: LockOwner): string[] {
    return [...this.locks].filter(([, l]) => l.holder === owner).map(([t]) => t);
  }

  /** Whether `holder`, or what it (transitively) waits for, is held by `owner`. */
  private closesCycle(owner: LockOwner, holder: LockOwner): boolean {
    const seen = new Set<LockOwner>();
    for (let h: LockOwner | undefined = holder; h && !seen.has(h); ) {
      if (h === owner) return true;
      seen.add(h);
      const table = this.waitingFor.get(h);
      h = table === undefined ? undefined : this.locks.get(table)?.holder;
    }
    return false;
  }
}
