import { LinkedError } from '../model/errors.js';
import type { Warehouse } from '../warehouse/types.js';
import { DuplicateRecordsError, LeaseLostError } from './policy.js';
import type { ComputeTables } from './tables.js';
import type { RunStep, SqlQuery } from './types.js';

/*
 * The warehouse side of a run (DESIGN D6): results are staged, checked, diffed against the
 * previous snapshot with a full outer join, and in ONE transaction written to the outbox while
 * the snapshot advances by exactly the outbox rows. Nothing is loaded into Node.
 */

const count = async (wh: Warehouse, sql: string, params: unknown[]) =>
  Number((await wh.query<{ n: unknown }>(sql, params)).rows[0]?.n ?? 0);

/**
 * Rows a DML statement reports (DuckDB: Count; Snowflake: "number of rows inserted" / "updated" /
 * "deleted"); undefined if it does not.
 */
export function reportedRows(rows: readonly Record<string, unknown>[]): number | undefined {
  const r = rows[0];
  const v = r?.Count ?? r?.['number of rows inserted'] ?? r?.['number of rows updated'] ?? r?.['number of rows deleted'];
  return v === undefined || v === null ? undefined : Number(v);
}

const countStagedMembers = (wh: Warehouse, t: ComputeTables, runId: string) =>
  count(wh, `SELECT COUNT(*) AS n FROM ${t.membership_stage} WHERE run_id = ?`, [runId]);

/** Removes staged rows a crashed run of this audience left behind. */
export async function clearStage(wh: Warehouse, t: ComputeTables, audienceKey: string): Promise<void> {
  await wh.query(`DELETE FROM ${t.membership_stage} WHERE audience_key = ?`, [audienceKey]);
  await wh.query(`DELETE FROM ${t.entity_matches_stage} WHERE audience_key = ?`, [audienceKey]);
}

/** Removes what one run staged (after its commit, its failure, or a failed attempt it retries). */
export async function clearRunStage(wh: Warehouse, t: ComputeTables, runId: string): Promise<void> {
  await wh.query(`DELETE FROM ${t.membership_stage} WHERE run_id = ?`, [runId]);
  await wh.query(`DELETE FROM ${t.entity_matches_stage} WHERE run_id = ?`, [runId]);
}

/** Runs the membership query once, into the stage. Returns the staged row count and the query id. */
export async function stageMembership(wh: Warehouse, t: ComputeTables, runId: string, audienceKey: string, q: SqlQuery) {
  const res = await wh.query(
    `INSERT INTO ${t.membership_stage} (run_id, audience_key, profile_id)
     SELECT ?, ?, CAST(m.profile_id AS VARCHAR) FROM (${q.sql}) m WHERE m.profile_id IS NOT NULL`,
    [runId, audienceKey, ...q.params],
  );
  const rows = reportedRows(res.rows) ?? (await countStagedMembers(wh, t, runId));
  return { rows, queryId: res.queryId };
}

/** Inserts a query's (profile_id, entity_id) rows into the entity stage under `path`; rows without an entity id only if asked. */
function insertEntityRows(wh: Warehouse, t: ComputeTables, runId: string, audienceKey: string, path: string, q: SqlQuery, keepIdless: boolean) {
  return wh.query(
    `INSERT INTO ${t.entity_matches_stage} (run_id, audience_key, entity_path, profile_id, entity_id)
     SELECT ?, ?, ?, CAST(e.profile_id AS VARCHAR), CAST(e.entity_id AS VARCHAR) FROM (${q.sql}) e
      WHERE e.profile_id IS NOT NULL${keepIdless ? '' : ' AND e.entity_id IS NOT NULL'}`,
    [runId, audienceKey, path, ...q.params],
  );
}

/** Runs one entity-match query into the stage, under its entity path. */
export async function stageEntities(
  wh: Warehouse,
  t: ComputeTables,
  runId: string,
  audienceKey: string,
  path: string,
  q: SqlQuery,
) {
  const res = await insertEntityRows(wh, t, runId, audienceKey, path, q, false);
  const rows =
    reportedRows(res.rows) ??
    (await count(wh, `SELECT COUNT(*) AS n FROM ${t.entity_matches_stage} WHERE run_id = ? AND entity_path = ?`, [runId, path]));
  return { rows, queryId: res.queryId };
}

/**
 * Runs a query that yields members and matches at once (compileMembershipMatches) into the entity
 * stage, stages its distinct profiles as the membership, then drops its rows without an entity id:
 * they made their profile a member but match no entity.
 */
export async function stageMembersWithEntities(
  wh: Warehouse,
  t: ComputeTables,
  runId: string,
  audienceKey: string,
  path: string,
  q: SqlQuery,
) {
  const staged = await insertEntityRows(wh, t, runId, audienceKey, path, q, true);
  const ours = `FROM ${t.entity_matches_stage} WHERE run_id = ? AND entity_path = ?`;
  const members = await wh.query(
    `INSERT INTO ${t.membership_stage} (run_id, audience_key, profile_id) SELECT DISTINCT run_id, audience_key, profile_id ${ours}`,
    [runId, path],
  );
  const idless = await wh.query(`DELETE ${ours} AND entity_id IS NULL`, [runId, path]);
  const [rows, dropped] = [reportedRows(staged.rows), reportedRows(idless.rows)];
  return {
    members: reportedRows(members.rows) ?? (await countStagedMembers(wh, t, runId)),
    entities: rows !== undefined && dropped !== undefined ? rows - dropped : await count(wh, `SELECT COUNT(*) AS n ${ours}`, [runId, path]),
    queryId: staged.queryId,
  };
}

/** The seed's "Duplicate records for ID": a model query returned one ID twice (one statement for both stages). */
export async function checkDuplicates(wh: Warehouse, t: ComputeTables, runId: string): Promise<void> {
  const { rows } = await wh.query<{ id_column: string; entity_path: string | null; profile_id: string; entity_id: string | null }>(
    `SELECT * FROM (SELECT 'PROFILE_ID' AS id_column, CAST(NULL AS VARCHAR) AS entity_path, profile_id, CAST(NULL AS VARCHAR) AS entity_id
                      FROM ${t.membership_stage} WHERE run_id = ? GROUP BY profile_id HAVING COUNT(*) > 1 LIMIT 1) d1
     UNION ALL
     SELECT * FROM (SELECT 'ENTITY_ID', entity_path, profile_id, entity_id FROM ${t.entity_matches_stage} WHERE run_id = ?
                     GROUP BY entity_path, profile_id, entity_id HAVING COUNT(*) > 1 LIMIT 1) d2`,
    [runId, runId],
  );
  const dup = rows.find((r) => r.id_column === 'PROFILE_ID') ?? rows[0];
  if (!dup) return;
  if (dup.id_column === 'PROFILE_ID') throw new DuplicateRecordsError('PROFILE_ID', dup.profile_id);
  throw new DuplicateRecordsError('ENTITY_ID', `${dup.entity_path}:${dup.profile_id}:${dup.entity_id}`);
}

export interface CommitInput {
  runId: string;
  audienceKey: string;
  /** Entity paths the audience's emitters need now; snapshots of other paths are dropped. */
  entityPaths: string[];
  now: Date;
  /** Lease holder to verify inside the transaction (fencing); omitted: not checked. */
  lease?: { holder: string; ttlMs: number };
  /** Rows staged by this run: the snapshot must hold exactly this many members after loading. */
  stagedMembers: number;
}

export interface CommitResult {
  members: number;
  entered: number;
  exited: number;
  entitiesAdded: number;
  entitiesRemoved: number;
  baseline: boolean;
  firstOutboxId: number;
  lastOutboxId: number;
}

/** Extends the lease inside the run's transaction and fails when another holder has it. */
export async function assertLease(tx: Warehouse, t: ComputeTables, audienceKey: string, holder: string, now: Date, ttlMs: number) {
  await tx.query(`UPDATE ${t.leases} SET expires_at = ? WHERE audience_key = ? AND holder = ?`, [
    new Date(now.getTime() + ttlMs),
    audienceKey,
    holder,
  ]);
  const { rows } = await tx.query<{ holder: string | null }>(`SELECT holder FROM ${t.leases} WHERE audience_key = ?`, [audienceKey]);
  if (rows[0]?.holder !== holder) throw new LeaseLostError(audienceKey, holder);
}

/**
 * Diff + outbox + snapshot advance. Must run inside the caller's transaction, so that the outbox
 * and the snapshot move together or not at all. `setStep` tells the policy which part failed.
 */
export async function commitDelta(
  tx: Warehouse,
  t: ComputeTables,
  c: CommitInput,
  setStep: (s: RunStep) => void,
): Promise<CommitResult> {
  setStep('process-results');
  if (c.lease) await assertLease(tx, t, c.audienceKey, c.lease.holder, c.now, c.lease.ttlMs);
  // Locks the sequence row first: concurrent commits serialize here, so ids follow commit order.
  await tx.query(`UPDATE ${t.outbox_sequence} SET next_id = next_id WHERE name = 'outbox'`);
  const base = await count(tx, `SELECT next_id AS n FROM ${t.outbox_sequence} WHERE name = 'outbox'`, []);
  if (base < 1) throw new LinkedError('OUTBOX_SEQUENCE_MISSING', 'The outbox sequence row is missing from the state schema.');
  const baseline = (await count(tx, `SELECT COUNT(*) AS n FROM ${t.runs} WHERE audience_key = ? AND status = 'Live'`, [c.audienceKey])) === 0;
  const known = new Set(
    (await tx.query<{ entity_path: string }>(`SELECT entity_path FROM ${t.entity_paths} WHERE audience_key = ?`, [c.audienceKey])).rows.map(
      (r) => r.entity_path,
    ),
  );

  const parts: string[] = [
    `SELECT CASE WHEN s.profile_id IS NULL THEN 'entered' ELSE 'exited' END AS kind,
            COALESCE(c.profile_id, s.profile_id) AS profile_id,
            CAST(NULL AS VARCHAR) AS entity_path, CAST(NULL AS VARCHAR) AS entity_id, CAST(? AS BOOLEAN) AS baseline
       FROM (SELECT profile_id FROM ${t.membership_stage} WHERE run_id = ?) c
       FULL OUTER JOIN (SELECT profile_id FROM ${t.membership} WHERE audience_key = ?) s ON c.profile_id = s.profile_id
      WHERE c.profile_id IS NULL OR s.profile_id IS NULL`,
  ];
  const params: unknown[] = [baseline, c.runId, c.audienceKey];
  for (const path of c.entityPaths) {
    parts.push(
      `SELECT CASE WHEN s.entity_id IS NULL THEN 'entity_added' ELSE 'entity_removed' END,
              COALESCE(c.profile_id, s.profile_id), CAST(? AS VARCHAR), COALESCE(c.entity_id, s.entity_id), CAST(? AS BOOLEAN)
         FROM (SELECT profile_id, entity_id FROM ${t.entity_matches_stage} WHERE run_id = ? AND entity_path = ?) c
         FULL OUTER JOIN (SELECT profile_id, entity_id FROM ${t.entity_matches} WHERE audience_key = ? AND entity_path = ?) s
           ON c.profile_id = s.profile_id AND c.entity_id = s.entity_id
        WHERE c.entity_id IS NULL OR s.entity_id IS NULL`,
    );
    // A path's first snapshot is its baseline, like the audience's first run.
    params.push(path, baseline || !known.has(path), c.runId, path, c.audienceKey, path);
  }
  await tx.query(
    `INSERT INTO ${t.outbox} (id, audience_key, run_id, kind, profile_id, entity_path, entity_id, baseline, created_at)
     SELECT CAST(? AS BIGINT) + ROW_NUMBER() OVER (ORDER BY d.kind, d.entity_path, d.profile_id, d.entity_id) - 1,
            ?, ?, d.kind, d.profile_id, d.entity_path, d.entity_id, d.baseline, CAST(? AS TIMESTAMP)
       FROM (${parts.join('\nUNION ALL\n')}) d`,
    [base, c.audienceKey, c.runId, c.now, ...params],
  );
  const kinds = new Map(
    (
      await tx.query<{ kind: string; n: unknown }>(
        `SELECT kind, COUNT(*) AS n FROM ${t.outbox} WHERE id >= ? AND run_id = ? GROUP BY kind`,
        [base, c.runId],
      )
    ).rows.map((r) => [r.kind, Number(r.n)]),
  );
  const written = [...kinds.values()].reduce((a, b) => a + b, 0);
  await tx.query(`UPDATE ${t.outbox_sequence} SET next_id = ? WHERE name = 'outbox'`, [base + written]);

  setStep('load-results');
  // The snapshot moves by exactly the outbox rows; a kind with no rows has nothing to move.
  const ours = `SELECT profile_id FROM ${t.outbox} WHERE id >= ? AND run_id = ?`;
  if (kinds.has('exited')) {
    await tx.query(`DELETE FROM ${t.membership} WHERE audience_key = ? AND profile_id IN (${ours} AND kind = 'exited')`, [
      c.audienceKey,
      base,
      c.runId,
    ]);
  }
  if (kinds.has('entered')) {
    await tx.query(
      `INSERT INTO ${t.membership} (audience_key, profile_id, run_id)
       SELECT audience_key, profile_id, run_id FROM ${t.outbox} WHERE id >= ? AND run_id = ? AND kind = 'entered'`,
      [base, c.runId],
    );
  }
  if (kinds.has('entity_removed')) {
    await tx.query(
      `DELETE FROM ${t.entity_matches} WHERE audience_key = ? AND (entity_path, profile_id, entity_id) IN
         (SELECT entity_path, profile_id, entity_id FROM ${t.outbox} WHERE id >= ? AND run_id = ? AND kind = 'entity_removed')`,
      [c.audienceKey, base, c.runId],
    );
  }
  if (kinds.has('entity_added')) {
    await tx.query(
      `INSERT INTO ${t.entity_matches} (audience_key, entity_path, profile_id, entity_id, run_id)
       SELECT audience_key, entity_path, profile_id, entity_id, run_id FROM ${t.outbox}
        WHERE id >= ? AND run_id = ? AND kind = 'entity_added'`,
      [base, c.runId],
    );
  }
  // Paths no emitter needs any more: their snapshot goes (no outbox rows: nobody listens).
  if ([...known].some((p) => !c.entityPaths.includes(p))) {
    const keep = c.entityPaths.length > 0 ? ` AND entity_path NOT IN (${c.entityPaths.map(() => '?').join(', ')})` : '';
    await tx.query(`DELETE FROM ${t.entity_matches} WHERE audience_key = ?${keep}`, [c.audienceKey, ...c.entityPaths]);
    await tx.query(`DELETE FROM ${t.entity_paths} WHERE audience_key = ?${keep}`, [c.audienceKey, ...c.entityPaths]);
  }
  for (const path of c.entityPaths.filter((p) => !known.has(p))) {
    await tx.query(`INSERT INTO ${t.entity_paths} (audience_key, entity_path, since_run_id) VALUES (?, ?, ?)`, [c.audienceKey, path, c.runId]);
  }

  // The snapshot must now equal what was staged; anything else is an operational issue (pause).
  const members = await count(tx, `SELECT COUNT(*) AS n FROM ${t.membership} WHERE audience_key = ?`, [c.audienceKey]);
  if (members !== c.stagedMembers) {
    throw new LinkedError('SNAPSHOT_MISMATCH', `The membership snapshot holds ${members} profiles after loading, but the run computed ${c.stagedMembers}.`);
  }
  await clearRunStage(tx, t, c.runId);

  return {
    members,
    entered: kinds.get('entered') ?? 0,
    exited: kinds.get('exited') ?? 0,
    entitiesAdded: kinds.get('entity_added') ?? 0,
    entitiesRemoved: kinds.get('entity_removed') ?? 0,
    baseline,
    firstOutboxId: base,
    lastOutboxId: base + written - 1,
  };
}
