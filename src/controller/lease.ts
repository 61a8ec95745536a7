import type { RunCoordinator } from 'node-cron';
import { computeTables, type ComputeTables } from './tables.js';
import type { Warehouse } from '../warehouse/types.js';

/*
 * Leases keep two controllers (or a controller and `linked compute`) on one warehouse from running
 * one audience twice. A lease row per audience; acquiring is one conditional UPDATE (the row lock
 * serializes contenders on Snowflake; DuckDB admits one process at a time anyway), confirmed by
 * reading the row back. Runs re-check their lease inside the commit (fencing), so a holder whose
 * lease expired and was taken can never write.
 */

export async function acquireLease(wh: Warehouse, t: ComputeTables, audienceKey: string, holder: string, ttlMs: number, now = new Date()) {
  try {
    await wh.query(
      `INSERT INTO ${t.leases} (audience_key, holder, acquired_at, expires_at)
       SELECT ?, NULL, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM ${t.leases} WHERE audience_key = ?)`,
      [audienceKey, audienceKey],
    );
  } catch (e) {
    // Another contender created the row first: fine, the UPDATE below decides.
    if (!/constraint|duplicate/i.test(String((e as Error).message))) throw e;
  }
  await wh.query(
    `UPDATE ${t.leases} SET holder = ?, acquired_at = ?, expires_at = ?
      WHERE audience_key = ? AND (holder IS NULL OR holder = ? OR expires_at IS NULL OR expires_at < ?)`,
    [holder, now, new Date(now.getTime() + ttlMs), audienceKey, holder, now],
  );
  const { rows } = await wh.query<{ holder: string | null }>(`SELECT holder FROM ${t.leases} WHERE audience_key = ?`, [audienceKey]);
  return rows[0]?.holder === holder;
}

export async function releaseLease(wh: Warehouse, t: ComputeTables, audienceKey: string, holder: string) {
  await wh.query(`UPDATE ${t.leases} SET holder = NULL, acquired_at = NULL, expires_at = NULL WHERE audience_key = ? AND holder = ?`, [
    audienceKey,
    holder,
  ]);
}

/**
 * node-cron's RunCoordinator over the lease table: `shouldRun(audienceKey, ttl)` elects this
 * holder for the audience, `onComplete(audienceKey)` releases it. The warehouse is the one the
 * current tick opened (DESIGN D5: never held between ticks).
 */
export class LeaseCoordinator implements RunCoordinator {
  constructor(
    private readonly warehouse: () => Warehouse,
    private readonly schema: string,
    readonly holder: string,
  ) {}
  private get tables() {
    return computeTables(this.warehouse(), this.schema);
  }
  shouldRun(audienceKey: string, ttlMs: number): Promise<boolean> {
    return acquireLease(this.warehouse(), this.tables, audienceKey, this.holder, ttlMs);
  }
  onComplete(audienceKey: string): Promise<void> {
    return releaseLease(this.warehouse(), this.tables, audienceKey, this.holder);
  }
}
