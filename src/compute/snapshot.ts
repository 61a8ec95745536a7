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

/**
 * Rows a DML statement reports (DuckDB: Count; Snowflake: "number of rows inserted" / "updated" /
 * "deleted"); undefined if it does not.
 */
export function reportedRows(rows: readonly Record<string, unknown>[]): number | undefined {
  const r = rows[0];
  const v = r?.Count ?? r?.['number of rows inserted'] ?? r?.['number of rows updated'] ?? r?.['number of rows deleted'];
  return v === undefined || v === null ? undefined : Number(v);
}

/** Removes staged rows a crashed run of this audience left behind. */
export async function clearStage(wh: Warehouse, t: ComputeTables, audienceKey: string): Promise<void> {
  await wh.query(`DELETE FROM ${t.membership_stage} WHERE audience_key = ?`, [audienceKey]);
  await wh.query(`DELETE FROM ${t.entity_matches_stage} WHERE audience_key = ?`, [audienceKey]);
}

/**
 * Removes what one run staged (after its commit, its failure, or a failed attempt it retries).
 * `membershipStaged: false`: the run staged no membership rows (its members came with its entity
 * rows), which spares a statement.
 */
export async function clearRunStage(wh: Warehouse, t: ComputeTables, runId: string, membershipStaged = true): Promise<void> {
  if (membershipStaged) await wh.query(`DELETE FROM ${t.membership_stage} WHERE run_id = ?`, [runId]);
  await wh.query(`DELETE FROM ${t.entity_matches_stage} WHERE run_id = ?`, [runId]);
}

/**
 * Runs the membership query once, into the stage. Returns the rows the warehouse reports staged
 * (for progress; checkResults counts them for the record) and the query id.
 */
export async function stageMembership(wh: Warehouse, t: ComputeTables, runId: string, audienceKey: string, q: SqlQuery) {
  const res = await wh.query(
    `INSERT INTO ${t.membership_stage} (run_id, audience_key, profile_id)
     SELECT ?, ?, CAST(m.profile_id AS VARCHAR) FROM (${q.sql}) m WHERE m.profile_id IS NOT NULL`,
    [runId, audienceKey, ...q.params],
  );
  return { rows: reportedRows(res.rows), queryId: res.queryId };
}

/**
 * Runs one entity-match query into the stage, under its entity path; rows without an entity id
 * only if asked. Returns the rows reported as stageMembership does, and the query id.
 */
export async function stageEntities(
  wh: Warehouse,
  t: ComputeTables,
  runId: string,
  audienceKey: string,
  path: string,
  q: SqlQuery,
  keepIdless = false,
) {
  const res = await wh.query(
    `INSERT INTO ${t.entity_matches_stage} (run_id, audience_key, entity_path, profile_id, entity_id)
     SELECT ?, ?, ?, CAST(e.profile_id AS VARCHAR), CAST(e.entity_id AS VARCHAR) FROM (${q.sql}) e
      WHERE e.profile_id IS NOT NULL${keepIdless ? '' : ' AND e.entity_id IS NOT NULL'}`,
    [runId, audienceKey, path, ...q.params],
  );
  return { rows: reportedRows(res.rows), queryId: res.queryId };
}

/**
 * Runs a query that yields members and matches at once (compileMembershipMatches) into the entity
 * stage under `path`. Its distinct profiles are the membership: the commit reads them from there
 * (CommitInput.membersFromPath), or `stageMembership` copies them to the membership stage. Rows
 * without an entity id stay in the stage (they made their profile a member) and are not matches.
 */
export async function stageMembersWithEntities(
  wh: Warehouse,
  t: ComputeTables,
  runId: string,
  audienceKey: string,
  path: string,
  q: SqlQuery,
  stageMembership: boolean,
) {
  const staged = await stageEntities(wh, t, runId, audienceKey, path, q, true);
  if (stageMembership) {
    await wh.query(
      `INSERT INTO ${t.membership_stage} (run_id, audience_key, profile_id)
       SELECT DISTINCT run_id, audience_key, profile_id FROM ${t.entity_matches_stage} WHERE run_id = ? AND entity_path = ?`,
      [runId, path],
    );
  }
  return staged;
}

/** What a run staged, counted once its IDs are known to be unique. */
export interface StagedCounts {
  /** Distinct profiles in the membership stage. */
  members: number;
  /** Per entity path: distinct profiles (a one-query path's members) and matches (rows with an entity id). */
  paths: Map<string, { profiles: number; matches: number }>;
}

/**
 * The results check, in one statement over both stages: what the run staged and, unless its
 * queries return distinct rows by construction, the seed's "Duplicate records for ID" (a model
 * query returned one ID twice). The duplicate search is most of the statement's cost (two
 * groupings instead of one). Rows without an entity id are not matches, so they are neither
 * counted as matches nor duplicates.
 */
export async function checkResults(wh: Warehouse, t: ComputeTables, runId: string, distinctRows = false): Promise<StagedCounts> {
  const { rows } = await wh.query<{ entity_path: string | null; profiles: unknown; matches: unknown; duplicate: string | null }>(
    distinctRows
      ? `SELECT CAST(NULL AS VARCHAR) AS entity_path, COUNT(*) AS profiles, 0 AS matches, CAST(NULL AS VARCHAR) AS duplicate
           FROM ${t.membership_stage} WHERE run_id = ?
         UNION ALL
         SELECT entity_path, COUNT(DISTINCT profile_id), COUNT(entity_id), NULL FROM ${t.entity_matches_stage} WHERE run_id = ?
          GROUP BY entity_path`
      : `SELECT CAST(NULL AS VARCHAR) AS entity_path, COUNT(*) AS profiles, 0 AS matches, MAX(CASE WHEN n > 1 THEN profile_id END) AS duplicate
           FROM (SELECT profile_id, COUNT(*) AS n FROM ${t.membership_stage} WHERE run_id = ? GROUP BY profile_id) m
         UNION ALL
         SELECT entity_path, COUNT(DISTINCT profile_id), COUNT(entity_id),
                MAX(CASE WHEN n > 1 AND entity_id IS NOT NULL THEN entity_path || ':' || profile_id || ':' || entity_id END)
           FROM (SELECT entity_path, profile_id, entity_id, COUNT(*) AS n FROM ${t.entity_matches_stage} WHERE run_id = ?
                  GROUP BY entity_path, profile_id, entity_id) e
          GROUP BY entity_path`,
    [runId, runId],
  );
  const membership = rows.find((r) => r.entity_path === null);
  if (membership?.duplicate) throw new DuplicateRecordsError('PROFILE_ID', membership.duplicate);
  const entityDuplicate = rows.find((r) => r.entity_path !== null && r.duplicate);
  if (entityDuplicate) throw new DuplicateRecordsError('ENTITY_ID', entityDuplicate.duplicate!);
  return {
    members: Number(membership?.profiles ?? 0),
    paths: new Map(
      rows.filter((r) => r.entity_path !== null).map((r) => [r.entity_path!, { profiles: Number(r.profiles), matches: Number(r.matches) }]),
    ),
  };
}

export interface CommitInput {
  runId: string;
  audienceKey: string;
  /** Entity paths the audience's emitters need now; snapshots of other paths are dropped. */
  entityPaths: string[];
  now: Date;
  /** Lease holder to verify inside the transaction (fencing); omitted: not checked. */
  lease?: { holder: string; ttlMs: number };
  /** Members staged by this run: the snapshot must hold exactly this many after loading. */
  stagedMembers: number;
  /** Entity matches staged by this run per entity path: each path's snapshot must hold exactly these. */
  stagedEntities: Record<string, number>;
  /** The members are the distinct profiles staged under this entity path; the membership stage is empty. */
  membersFromPath?: string;
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
  // Outbox ids must follow commit order, so concurrent commits serialize on the sequence row, which
  // they lock first. DuckDB needs no lock: one process holds the file, and its one connection runs
  // one transaction at a time (TransactionGate).
  if (tx.dialect !== 'duckdb') await tx.query(`UPDATE ${t.outbox_sequence} SET next_id = next_id WHERE name = 'outbox'`);
  // What the commit needs to know, in one statement (each costs a round trip): the next outbox id,
  // whether the audience had a Live run, and which entity paths already have a snapshot.
  const { rows: facts } = await tx.query<{ item: string; value: string }>(
    `SELECT 'next_id' AS item, CAST(next_id AS VARCHAR) AS value FROM ${t.outbox_sequence} WHERE name = 'outbox'
     UNION ALL SELECT 'live_runs', CAST(COUNT(*) AS VARCHAR) FROM ${t.runs} WHERE audience_key = ? AND status = 'Live'
     UNION ALL SELECT 'entity_path', entity_path FROM ${t.entity_paths} WHERE audience_key = ?`,
    [c.audienceKey, c.audienceKey],
  );
  const fact = (item: string) => facts.filter((r) => r.item === item).map((r) => r.value);
  const base = Number(fact('next_id')[0] ?? 0);
  if (!(base >= 1)) throw new LinkedError('OUTBOX_SEQUENCE_MISSING', 'The outbox sequence row is missing from the state schema.');
  const baseline = Number(fact('live_runs')[0]) === 0;
  const known = new Set(fact('entity_path'));

  const staged =
    c.membersFromPath === undefined
      ? { sql: `SELECT profile_id FROM ${t.membership_stage} WHERE run_id = ?`, params: [c.runId] }
      : { sql: `SELECT DISTINCT profile_id FROM ${t.entity_matches_stage} WHERE run_id = ? AND entity_path = ?`, params: [c.runId, c.membersFromPath] };
  const parts: string[] = [
    `SELECT CASE WHEN s.profile_id IS NULL THEN 'entered' ELSE 'exited' END AS kind,
            COALESCE(c.profile_id, s.profile_id) AS profile_id,
            CAST(NULL AS VARCHAR) AS entity_path, CAST(NULL AS VARCHAR) AS entity_id, CAST(? AS BOOLEAN) AS baseline
       FROM (${staged.sql}) c
       FULL OUTER JOIN (SELECT profile_id FROM ${t.membership} WHERE audience_key = ?) s ON c.profile_id = s.profile_id
      WHERE c.profile_id IS NULL OR s.profile_id IS NULL`,
  ];
  const params: unknown[] = [baseline, ...staged.params, c.audienceKey];
  for (const path of c.entityPaths) {
    parts.push(
      `SELECT CASE WHEN s.entity_id IS NULL THEN 'entity_added' ELSE 'entity_removed' END,
              COALESCE(c.profile_id, s.profile_id), CAST(? AS VARCHAR), COALESCE(c.entity_id, s.entity_id), CAST(? AS BOOLEAN)
         FROM (SELECT profile_id, entity_id FROM ${t.entity_matches_stage} WHERE run_id = ? AND entity_path = ? AND entity_id IS NOT NULL) c
         FULL OUTER JOIN (SELECT profile_id, entity_id FROM ${t.entity_matches} WHERE audience_key = ? AND entity_path = ?) s
           ON c.profile_id = s.profile_id AND c.entity_id = s.entity_id
        WHERE c.entity_id IS NULL OR s.entity_id IS NULL`,
    );
    // A path's first snapshot is its baseline, like the audience's first run.
    params.push(path, baseline || !known.has(path), c.runId, path, c.audienceKey, path);
  }
  const inserted = await tx.query(
    `INSERT INTO ${t.outbox} (id, audience_key, run_id, kind, profile_id, entity_path, entity_id, baseline, created_at)
     SELECT CAST(? AS BIGINT) + ROW_NUMBER() OVER (ORDER BY d.kind, d.entity_path, d.profile_id, d.entity_id) - 1,
            ?, ?, d.kind, d.profile_id, d.entity_path, d.entity_id, d.baseline, CAST(? AS TIMESTAMP)
       FROM (${parts.join('\nUNION ALL\n')}) d`,
    [base, c.audienceKey, c.runId, c.now, ...params],
  );
  // Nothing changed (the usual run): no rows to count, no id to advance.
  const kinds =
    reportedRows(inserted.rows) === 0
      ? new Map<string, number>()
      : new Map(
          (
            await tx.query<{ kind: string; n: unknown }>(
              `SELECT kind, COUNT(*) AS n FROM ${t.outbox} WHERE id >= ? AND run_id = ? GROUP BY kind`,
              [base, c.runId],
            )
          ).rows.map((r) => [r.kind, Number(r.n)]),
        );
  const written = [...kinds.values()].reduce((a, b) => a + b, 0);
  if (written > 0) await tx.query(`UPDATE ${t.outbox_sequence} SET next_id = ? WHERE name = 'outbox'`, [base + written]);

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

  // A commit that wrote no outbox rows moved nothing: the diff found the staged rows (distinct)
  // and the snapshot (verified when it last moved) to be the same sets, so there is nothing to count.
  if (written > 0) await verifySnapshot(tx, t, c);
  await clearRunStage(tx, t, c.runId, c.membersFromPath === undefined);

  return {
    members: c.stagedMembers,
    entered: kinds.get('entered') ?? 0,
    exited: kinds.get('exited') ?? 0,
    entitiesAdded: kinds.get('entity_added') ?? 0,
    entitiesRemoved: kinds.get('entity_removed') ?? 0,
    baseline,
    firstOutboxId: base,
    lastOutboxId: base + written - 1,
  };
}

/**
 * After loading, the snapshot must hold exactly what was staged; anything else is an operational
 * issue (pause). This is also what keeps its rows unique (the tables have no key: migration 006).
 */
async function verifySnapshot(tx: Warehouse, t: ComputeTables, c: CommitInput): Promise<void> {
  const heldBy = await countSnapshot(tx, t, c.audienceKey);
  const members = heldBy.get(null) ?? 0;
  if (members !== c.stagedMembers) {
    throw snapshotMismatch(c.audienceKey, `The membership snapshot holds ${members} profiles after loading, but the run computed ${c.stagedMembers}.`);
  }
  for (const path of c.entityPaths) {
    const [n, staged] = [heldBy.get(path) ?? 0, c.stagedEntities[path] ?? 0];
    if (n !== staged) {
      throw snapshotMismatch(c.audienceKey, `The ${path} entity snapshot holds ${n} matches after loading, but the run computed ${staged}.`);
    }
  }
}

const snapshotMismatch = (audienceKey: string, what: string) =>
  new LinkedError('SNAPSHOT_MISMATCH', `${what} \`linked resume ${audienceKey} --rebuild-snapshot\` rebuilds it from the outbox.`);

/** What the audience's snapshot holds: its members (under null) and its matches per entity path. */
export async function countSnapshot(wh: Warehouse, t: ComputeTables, audienceKey: string): Promise<Map<string | null, number>> {
  const { rows } = await wh.query<{ entity_path: string | null; n: unknown }>(
    `SELECT CAST(NULL AS VARCHAR) AS entity_path, COUNT(*) AS n FROM ${t.membership} WHERE audience_key = ?
     UNION ALL SELECT entity_path, COUNT(*) FROM ${t.entity_matches} WHERE audience_key = ? GROUP BY entity_path`,
    [audienceKey, audienceKey],
  );
  return new Map(rows.map((r) => [r.entity_path, Number(r.n)]));
}
