import { randomUUID } from 'node:crypto';
import type { ComputeTables } from './tables.js';
import type { Warehouse } from '../warehouse/types.js';

/*
 * "Compute now" while a controller runs: the CLI records a request; the controller picks it up at
 * its next tick, and records which run served it so the CLI can follow that run.
 */

export interface ComputeRequest {
  id: string;
  audienceKey: string;
  requestedAt: Date;
  pickedAt: Date | null;
  runId: string | null;
}

export async function requestCompute(wh: Warehouse, t: ComputeTables, audienceKey: string, requestedBy: string, now = new Date()): Promise<string> {
  const id = randomUUID();
  await wh.query(`INSERT INTO ${t.compute_requests} (id, audience_key, requested_at, requested_by) VALUES (?, ?, ?, ?)`, [
    id,
    audienceKey,
    now,
    requestedBy,
  ]);
  return id;
}

export async function pendingRequests(wh: Warehouse, t: ComputeTables): Promise<Set<string>> {
  const { rows } = await wh.query<{ audience_key: string }>(`SELECT DISTINCT audience_key FROM ${t.compute_requests} WHERE picked_at IS NULL`);
  return new Set(rows.map((r) => r.audience_key));
}

/** Marks every pending request of the audience as served by `runId` (null: could not be served). */
export async function pickRequests(wh: Warehouse, t: ComputeTables, audienceKey: string, runId: string | null, now = new Date()) {
  await wh.query(`UPDATE ${t.compute_requests} SET picked_at = ?, run_id = ? WHERE audience_key = ? AND picked_at IS NULL`, [
    now,
    runId,
    audienceKey,
  ]);
}

export async function readRequest(wh: Warehouse, t: ComputeTables, id: string): Promise<ComputeRequest | undefined> {
  const { rows } = await wh.query<Record<string, unknown>>(`SELECT * FROM ${t.compute_requests} WHERE id = ?`, [id]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    id,
    audienceKey: String(r.audience_key),
    requestedAt: r.requested_at as Date,
    pickedAt: (r.picked_at as Date | null) ?? null,
    runId: (r.run_id as string | null) ?? null,
  };
}

/** A controller announces itself at every tick; `linked compute` hands its run to a live one. */
export async function heartbeat(wh: Warehouse, t: ComputeTables, id: string, now = new Date()) {
  await wh.query(
    `INSERT INTO ${t.controllers} (id, host, pid, started_at, heartbeat_at)
     SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM ${t.controllers} WHERE id = ?)`,
    [id, process.env.HOSTNAME ?? null, process.pid, now, now, id],
  );
  await wh.query(`UPDATE ${t.controllers} SET heartbeat_at = ?, stopped_at = NULL WHERE id = ?`, [now, id]);
}

export async function markStopped(wh: Warehouse, t: ComputeTables, id: string, now = new Date()) {
  await wh.query(`UPDATE ${t.controllers} SET stopped_at = ? WHERE id = ?`, [now, id]);
}

/** Controllers that beat within `withinMs` and have not said they stopped. */
export async function liveControllers(wh: Warehouse, t: ComputeTables, withinMs: number, now = new Date()): Promise<string[]> {
  const { rows } = await wh.query<{ id: string }>(
    `SELECT id FROM ${t.controllers} WHERE stopped_at IS NULL AND heartbeat_at >= ?`,
    [new Date(now.getTime() - withinMs)],
  );
  return rows.map((r) => r.id);
}
