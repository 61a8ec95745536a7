import { and, compare, eq, insert, isNull, notExists, NULL, ONE, or, param, ref, select, stateTable, update } from '../../dialect/ast.js';
import { StateStore } from '../store.js';

/*
 * Leases keep two controllers (or a controller and `linked compute`) on one warehouse from running
 * one audience twice. A lease row per audience; acquiring is one conditional update (the row lock
 * serializes contenders on Snowflake; DuckDB admits one process at a time anyway), confirmed by
 * reading the row back. Runs re-check their lease inside the commit (fencing), so a holder whose
 * lease expired and was taken can never write.
 */
export class LeaseStore extends StateStore {
  /** Takes (or renews) the audience's lease for `holder` unless another holds a live one. */
  async acquire(audienceKey: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    const ofAudience = eq(ref('audience_key'), param(audienceKey));
    try {
      const absent = notExists(select({ one: ONE }, { from: stateTable(this.t.leases), where: ofAudience }));
      const row = select({ audience_key: param(audienceKey), holder: NULL, acquired_at: NULL, expires_at: NULL }, { where: absent });
      await this.run(insert(this.t.leases, ['audience_key', 'holder', 'acquired_at', 'expires_at'], row));
    } catch (e) {
      // Another contender created the row first: fine, the update below decides.
      if (!/constraint|duplicate/i.test(String((e as Error).message))) throw e;
    }
    const free = or(isNull(ref('holder')), eq(ref('holder'), param(holder)), isNull(ref('expires_at')), compare('<', ref('expires_at'), param(now)));
    await this.run(
      update(this.t.leases, { holder: param(holder), acquired_at: param(now), expires_at: param(new Date(now.getTime() + ttlMs)) }, and(ofAudience, free)),
    );
    return (await this.holder(audienceKey)) === holder;
  }

  /** Releases the lease if `holder` still has it. */
  async release(audienceKey: string, holder: string): Promise<void> {
    await this.run(
      update(
        this.t.leases,
        { holder: NULL, acquired_at: NULL, expires_at: NULL },
        and(eq(ref('audience_key'), param(audienceKey)), eq(ref('holder'), param(holder))),
      ),
    );
  }

  /** Who holds the audience's lease (null: free or never taken). */
  async holder(audienceKey: string): Promise<string | null> {
    const { rows } = await this.run<{ holder: string | null }>(
      select({ holder: ref('holder') }, { from: stateTable(this.t.leases), where: eq(ref('audience_key'), param(audienceKey)) }),
    );
    return rows[0]?.holder ?? null;
  }
}
