import { LinkedError } from '../model/errors.js';
import type { Warehouse } from '../warehouse/types.js';
import { countSnapshot } from './snapshot.js';
import { readStatus } from './status.js';
import type { ComputeTables } from './tables.js';

export interface RebuiltSnapshot {
  /** Members and matches per entity path the snapshot held before, and holds now. */
  before: { members: number; entities: Record<string, number> };
  after: { members: number; entities: Record<string, number> };
}

/**
 * Rebuilds a paused audience's snapshot from its outbox, in one transaction. The outbox records
 * every change the snapshot ever made (DESIGN D6: replaying it in id order gives the snapshot),
 * so the rebuilt snapshot is what the destinations were told, and the next run sends exactly the
 * changes since. This is the way out of a SNAPSHOT_MISMATCH pause.
 *
 * Members: each profile's latest entered / exited row is `entered`. Entity matches: the same per
 * (path, profile, entity), over the runs since the path's snapshot began (entity_paths): a path
 * that no emitter needed for a while lost its snapshot without outbox rows, and restarted from a
 * new baseline.
 */
export async function rebuildSnapshot(wh: Warehouse, t: ComputeTables, audienceKey: string): Promise<RebuiltSnapshot> {
  const status = await readStatus(wh, t, audienceKey);
  if (!status) throw new LinkedError('AUDIENCE_NOT_COMPUTED', `Audience ${audienceKey} has no compute status yet; it has no snapshot to rebuild.`);
  // No run starts while the audience is paused, so nothing else writes its snapshot meanwhile.
  if (!status.paused) {
    throw new LinkedError(
      'AUDIENCE_NOT_PAUSED',
      `Audience ${audienceKey} is not paused; its snapshot is rebuilt only while it is paused, so that no run writes it meanwhile.`,
    );
  }
  return wh.transaction(async (tx) => {
    const before = await snapshotSize(tx, t, audienceKey);
    await tx.query(`DELETE FROM ${t.membership} WHERE audience_key = ?`, [audienceKey]);
    await tx.query(
      `INSERT INTO ${t.membership} (audience_key, profile_id, run_id)
       SELECT audience_key, profile_id, run_id FROM (
         SELECT audience_key, profile_id, run_id, kind, ROW_NUMBER() OVER (PARTITION BY profile_id ORDER BY id DESC) AS latest
           FROM ${t.outbox} WHERE audience_key = ? AND kind IN ('entered', 'exited')) o
        WHERE latest = 1 AND kind = 'entered'`,
      [audienceKey],
    );
    await tx.query(`DELETE FROM ${t.entity_matches} WHERE audience_key = ?`, [audienceKey]);
    // Runs of one audience never overlap (lease), so a run that started after the path's first
    // run also committed after it.
    await tx.query(
      `INSERT INTO ${t.entity_matches} (audience_key, entity_path, profile_id, entity_id, run_id)
       SELECT audience_key, entity_path, profile_id, entity_id, run_id FROM (
         SELECT o.audience_key, o.entity_path, o.profile_id, o.entity_id, o.run_id, o.kind,
                ROW_NUMBER() OVER (PARTITION BY o.entity_path, o.profile_id, o.entity_id ORDER BY o.id DESC) AS latest
           FROM ${t.outbox} o
           JOIN ${t.entity_paths} p ON p.audience_key = o.audience_key AND p.entity_path = o.entity_path
           JOIN ${t.runs} since ON since.id = p.since_run_id
           JOIN ${t.runs} r ON r.id = o.run_id
          WHERE o.audience_key = ? AND o.kind IN ('entity_added', 'entity_removed')
            AND (r.id = since.id OR r.started_at > since.started_at)) o
        WHERE latest = 1 AND kind = 'entity_added'`,
      [audienceKey],
    );
    return { before, after: await snapshotSize(tx, t, audienceKey) };
  });
}

async function snapshotSize(wh: Warehouse, t: ComputeTables, audienceKey: string): Promise<RebuiltSnapshot['before']> {
  const held = await countSnapshot(wh, t, audienceKey);
  return {
    members: held.get(null) ?? 0,
    entities: Object.fromEntries([...held].filter(([path]) => path !== null) as [string, number][]),
  };
}
