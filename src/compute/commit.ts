import { LinkedError } from '../model/errors.js';
import { SnapshotStore, type ChangeKind, type CommitFacts } from '../state/compute/snapshot.js';
import type { RunCounts } from '../state/compute/runs.js';
import { StageStore } from '../state/compute/stage.js';
import { LeaseStore } from '../state/control/leases.js';
import type { Warehouse } from '../warehouse/types.js';
import { LeaseLostError } from './policy.js';
import type { RunStep } from './types.js';

/*
 * The commit of a run (decision D6): the staged results are diffed against the previous snapshot
 * with a full outer join and, in ONE transaction, written to the outbox while the snapshot
 * advances by exactly the outbox rows. Nothing is loaded into Node.
 */

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

export interface CommitResult extends RunCounts {
  firstOutboxId: number;
  lastOutboxId: number;
}

/** The order the snapshot moves in: members, then matches; removals before additions. */
const MOVES: readonly ChangeKind[] = ['exited', 'entered', 'entity_removed', 'entity_added'];

/**
 * Diff + outbox + snapshot advance. Must run inside the caller's transaction `tx`, so that the
 * outbox and the snapshot move together or not at all. `setStep` tells the policy which part failed.
 */
export async function commitDelta(tx: Warehouse, schema: string, c: CommitInput, setStep: (s: RunStep) => void): Promise<CommitResult> {
  const snapshot = new SnapshotStore(tx, schema);
  setStep('process-results');
  if (c.lease) await assertLease(tx, schema, c.audienceKey, c.lease.holder, c.lease.ttlMs, c.now);
  // Outbox ids must follow commit order, so concurrent commits serialize on the sequence row, which
  // they lock first. DuckDB needs no lock: one process holds the file, and its one connection runs
  // one transaction at a time (TransactionGate).
  if (tx.dialect !== 'duckdb') await snapshot.lockSequence();
  const facts = await snapshot.commitFacts(c.audienceKey);
  const first = facts.nextId;
  if (!(first >= 1)) throw new LinkedError('OUTBOX_SEQUENCE_MISSING', 'The outbox sequence row is missing from the state schema.');
  const baseline = facts.liveRuns === 0;
  const kinds = await writeOutbox(snapshot, c, facts, baseline);
  const written = [...kinds.values()].reduce((a, b) => a + b, 0);
  if (written > 0) await snapshot.advanceSequence(first + written);

  setStep('load-results');
  await advanceSnapshot(snapshot, c, kinds, first, facts.paths);
  // A commit that wrote no outbox rows moved nothing: the diff found the staged rows (distinct)
  // and the snapshot (verified when it last moved) to be the same sets, so there is nothing to count.
  if (written > 0) await verifySnapshot(snapshot, c);
  // Members read from an entity path were never copied to the membership stage; an audience
  // without entity paths staged no matches.
  await new StageStore(tx, schema).clearRun(c.runId, { membership: c.membersFromPath === undefined, entities: c.entityPaths.length > 0 });
  return {
    members: c.stagedMembers,
    entered: kinds.get('entered') ?? 0,
    exited: kinds.get('exited') ?? 0,
    entitiesAdded: kinds.get('entity_added') ?? 0,
    entitiesRemoved: kinds.get('entity_removed') ?? 0,
    baseline,
    firstOutboxId: first,
    lastOutboxId: first + written - 1,
  };
}

/** Extends the lease inside the run's transaction and fails when another holder has it. */
async function assertLease(tx: Warehouse, schema: string, audienceKey: string, holder: string, ttlMs: number, now: Date): Promise<void> {
  if (!(await new LeaseStore(tx, schema).renew(audienceKey, holder, ttlMs, now))) throw new LeaseLostError(audienceKey, holder);
}

/** Writes the diff to the outbox; returns the rows written per kind. */
async function writeOutbox(snapshot: SnapshotStore, c: CommitInput, facts: CommitFacts, baseline: boolean): Promise<Map<ChangeKind, number>> {
  const reported = await snapshot.writeOutbox({
    runId: c.runId,
    audienceKey: c.audienceKey,
    firstId: facts.nextId,
    now: c.now,
    baseline,
    membersFromPath: c.membersFromPath,
    // A path's first snapshot is its baseline, like the audience's first run.
    paths: c.entityPaths.map((path) => ({ path, baseline: baseline || !facts.paths.has(path) })),
  });
  // Nothing changed (the usual run): no rows to count, no id to advance.
  return reported === 0 ? new Map() : snapshot.countWritten(facts.nextId, c.runId);
}

/** The snapshot moves by exactly the outbox rows (a kind with no rows has nothing to move), and its paths follow the emitters. */
async function advanceSnapshot(snapshot: SnapshotStore, c: CommitInput, kinds: Map<ChangeKind, number>, first: number, known: Set<string>): Promise<void> {
  for (const kind of MOVES) if (kinds.has(kind)) await snapshot.applyChanges(kind, c.audienceKey, first, c.runId);
  // Paths no emitter needs any more: their snapshot goes (no outbox rows: nobody listens).
  if ([...known].some((p) => !c.entityPaths.includes(p))) await snapshot.dropPathsExcept(c.audienceKey, c.entityPaths);
  for (const path of c.entityPaths.filter((p) => !known.has(p))) await snapshot.addPath(c.audienceKey, path, c.runId);
}

/**
 * After loading, the snapshot must hold exactly what was staged; anything else is an operational
 * issue (pause). This is also what keeps its rows unique (the tables have no key: migration 006).
 */
async function verifySnapshot(snapshot: SnapshotStore, c: CommitInput): Promise<void> {
  const heldBy = await snapshot.count(c.audienceKey);
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
