import { and, compare, eq, inList, insert, isNotNull, isNull, notExists, NULL, ONE, or, param, ref, select, stateTable, update, type Expr } from '../../dialect/ast.js';
import { isoTimestamp } from '../canonical.js';
import { reportedRows, touchedRows } from '../compute/rows.js';
import { StateStore } from '../store.js';
import { holderIsDead } from './holder.js';

/** A held lease, as `linked force-unlock` and messages show it. */
/** An emitter's lease key in the lease table, beside the audiences' keys. */
export const emitterLeaseKey = (emitterKey: string) => `emitter:${emitterKey}`;

export interface LeaseInfo {
  key: string;
  holder: string;
  acquiredAt: string | null;
  expiresAt: string | null;
}

/*
 * Leases keep two controllers (or a controller and `linked compute`) on one warehouse from running
 * one audience twice. A lease row per audience, taken with a conditional update whose row count says
 * whether it was free. The first acquisition creates the row in a transaction that locks the table
 * (Snowflake enforces no primary key: without the lock two contenders could both create it). Runs
 * re-check their lease inside the commit (fencing), so a holder whose lease expired and was taken
 * can never write.
 *
 * A holder renews its lease while it works (a heartbeat, src/controller/lease.ts), so the TTL can
 * be short: a holder that died stops renewing and its lease is free within one TTL. A holder on
 * this host whose process is gone is taken over at once.
 */
export class LeaseStore extends StateStore {
  /** Takes (or renews) the audience's lease for `holder` unless another holds a live one. */
  async acquire(audienceKey: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    const ofAudience = eq(ref('audience_key'), param(audienceKey));
    const free = freeFor(holder, now);
    // The usual case, a row that exists and is free (or this holder's), takes one statement; the
    // transaction below creates the row, or takes over from a dead holder.
    if (touchedRows((await this.run(this.take(ofAudience, free, holder, ttlMs, now))).rows)) return true;
    return this.wh.transaction(async (tx) => {
      const s = this.in(tx);
      // Contenders queue here, so the row is created once and the second sees the first's holder.
      await s.lockTable(this.t.leases, 'holder', ofAudience);
      const absent = notExists(select({ one: ONE }, { from: stateTable(this.t.leases), where: ofAudience }));
      const row = select({ audience_key: param(audienceKey), holder: NULL, acquired_at: NULL, expires_at: NULL }, { where: absent });
      await s.run(insert(this.t.leases, ['audience_key', 'holder', 'acquired_at', 'expires_at'], row));
      // The update still names the dead holder: if someone else took the lease meanwhile, it changes nothing.
      const current = await s.holder(audienceKey);
      const where = current !== null && current !== holder && holderIsDead(current) ? [...free, eq(ref('holder'), param(current))] : free;
      const { rows } = await s.run(this.take(ofAudience, where, holder, ttlMs, now));
      return s.heldAfter(touchedRows(rows), audienceKey, holder);
    });
  }

  /**
   * `acquire` for several leases at once (the emitters a daemon starts together): the usual case,
   * rows that exist and are free, takes one statement for all; a lease that statement did not take
   * goes through `acquire` alone. Returns the keys `holder` holds now.
   */
  async acquireAll(keys: readonly string[], holder: string, ttlMs: number, now = new Date()): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const { rows } = await this.run(this.take(inList(ref('audience_key'), keys.map(param)), freeFor(holder, now), holder, ttlMs, now));
    const taken = reportedRows(rows) === keys.length ? new Set(keys) : await this.heldBy(keys, holder);
    for (const key of keys) if (!taken.has(key) && (await this.acquire(key, holder, ttlMs, now))) taken.add(key);
    return taken;
  }

  /** Of these leases, those `holder` holds. */
  private async heldBy(keys: readonly string[], holder: string): Promise<Set<string>> {
    const { rows } = await this.run<{ audience_key: string }>(
      select({ audience_key: ref('audience_key') }, { from: stateTable(this.t.leases), where: and(inList(ref('audience_key'), keys.map(param)), eq(ref('holder'), param(holder))) }),
    );
    return new Set(rows.map((r) => r.audience_key));
  }

  private take(which: Expr, free: Expr[], holder: string, ttlMs: number, now: Date) {
    return update(this.t.leases, { holder: param(holder), acquired_at: param(now), expires_at: param(new Date(now.getTime() + ttlMs)) }, and(which, or(...free)));
  }

  /** The heartbeat: pushes the expiry of `holder`'s lease out by `ttlMs`; false when it no longer holds it. */
  async renew(audienceKey: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    const mine = and(eq(ref('audience_key'), param(audienceKey)), eq(ref('holder'), param(holder)));
    const { rows } = await this.run(update(this.t.leases, { expires_at: param(new Date(now.getTime() + ttlMs)) }, mine));
    return this.heldAfter(touchedRows(rows), audienceKey, holder);
  }

  /**
   * Whether `holder` has the lease after an update that sets or keeps it as holder only where it may:
   * a row updated says so without reading the row back; a warehouse that reports no count is asked.
   */
  private async heldAfter(updated: boolean | undefined, audienceKey: string, holder: string): Promise<boolean> {
    return updated ?? ((await this.holder(audienceKey)) === holder);
  }

  /** Releases the lease if `holder` still has it. */
  async release(audienceKey: string, holder: string): Promise<void> {
    await this.releaseAll([audienceKey], holder);
  }

  /** Releases those of these leases `holder` still has, in one statement. */
  async releaseAll(keys: readonly string[], holder: string): Promise<void> {
    if (keys.length === 0) return;
    const which = keys.length === 1 ? eq(ref('audience_key'), param(keys[0])) : inList(ref('audience_key'), keys.map(param));
    await this.run(this.free(and(which, eq(ref('holder'), param(holder)))));
  }

  /** `linked force-unlock`: releases the lease whoever holds it; returns what it released. */
  async forceRelease(audienceKey: string): Promise<LeaseInfo | undefined> {
    const held = (await this.list()).find((l) => l.key === audienceKey);
    if (held) await this.run(this.free(and(eq(ref('audience_key'), param(audienceKey)), eq(ref('holder'), param(held.holder)))));
    return held;
  }

  /** Releases every lease of `holder` (a controller declared gone); returns what it released. */
  async releaseHolder(holder: string): Promise<LeaseInfo[]> {
    const held = (await this.list()).filter((l) => l.holder === holder);
    if (held.length > 0) await this.run(this.free(eq(ref('holder'), param(holder))));
    return held;
  }

  /** Who holds the audience's lease (null: free or never taken). */
  async holder(audienceKey: string): Promise<string | null> {
    const { rows } = await this.run<{ holder: string | null }>(
      select({ holder: ref('holder') }, { from: stateTable(this.t.leases), where: eq(ref('audience_key'), param(audienceKey)) }),
    );
    return rows[0]?.holder ?? null;
  }

  /** The leases held now (expired ones included: their holder has not been replaced yet), by key. */
  async list(): Promise<LeaseInfo[]> {
    const { rows } = await this.run<{ audience_key: string; holder: string; acquired_at: unknown; expires_at: unknown }>(
      select(
        { audience_key: ref('audience_key'), holder: ref('holder'), acquired_at: ref('acquired_at'), expires_at: ref('expires_at') },
        { from: stateTable(this.t.leases), where: isNotNull(ref('holder')), orderBy: [{ expr: ref('audience_key') }] },
      ),
    );
    return rows.map((r) => ({ key: r.audience_key, holder: r.holder, acquiredAt: isoTimestamp(r.acquired_at), expiresAt: isoTimestamp(r.expires_at) }));
  }

  private free(where: Expr) {
    return update(this.t.leases, { holder: NULL, acquired_at: NULL, expires_at: NULL }, where);
  }
}

/** Where a lease may be taken by `holder`: free, never taken, expired, or its own. */
function freeFor(holder: string, now: Date): Expr[] {
  return [isNull(ref('holder')), eq(ref('holder'), param(holder)), isNull(ref('expires_at')), compare('<', ref('expires_at'), param(now))];
}
