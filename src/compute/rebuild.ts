import { LinkedError } from '../model/errors.js';
import { RunStore } from '../state/compute/runs.js';
import { SnapshotStore } from '../state/compute/snapshot.js';
import type { Warehouse } from '../warehouse/types.js';

export interface RebuiltSnapshot {
  /** Members and matches per entity path the snapshot held before, and holds now. */
  before: { members: number; entities: Record<string, number> };
  after: { members: number; entities: Record<string, number> };
}

/**
 * Rebuilds a paused audience's snapshot from its outbox, in one transaction. The outbox records
 * every change the snapshot ever made (decision D6: replaying it in id order gives the snapshot),
 * so the rebuilt snapshot is what the destinations were told, and the next run sends exactly the
 * changes since. This is the way out of a SNAPSHOT_MISMATCH pause.
 */
export async function rebuildSnapshot(wh: Warehouse, schema: string, audienceKey: string): Promise<RebuiltSnapshot> {
  const status = await new RunStore(wh, schema).readStatus(audienceKey);
  if (!status) throw new LinkedError('AUDIENCE_NOT_COMPUTED', `Audience ${audienceKey} has no compute status yet; it has no snapshot to rebuild.`);
  // No run starts while the audience is paused, so nothing else writes its snapshot meanwhile.
  if (!status.paused) {
    throw new LinkedError(
      'AUDIENCE_NOT_PAUSED',
      `Audience ${audienceKey} is not paused; its snapshot is rebuilt only while it is paused, so that no run writes it meanwhile.`,
    );
  }
  return wh.transaction(async (tx) => {
    const snapshot = new SnapshotStore(tx, schema);
    const before = await snapshotSize(snapshot, audienceKey);
    await snapshot.rebuildMembers(audienceKey);
    await snapshot.rebuildEntities(audienceKey);
    return { before, after: await snapshotSize(snapshot, audienceKey) };
  });
}

async function snapshotSize(snapshot: SnapshotStore, audienceKey: string): Promise<RebuiltSnapshot['before']> {
  const held = await snapshot.count(audienceKey);
  return {
    members: held.get(null) ?? 0,
    entities: Object.fromEntries([...held].filter(([path]) => path !== null) as [string, number][]),
  };
}
