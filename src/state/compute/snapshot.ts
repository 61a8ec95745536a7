import {
  and,
  arith,
  caseWhen,
  cast,
  coalesce,
  compare,
  countStar,
  deleteFrom,
  derived,
  eq,
  fn,
  inList,
  inQuery,
  insert,
  isNotNull,
  isNull,
  lit,
  notInList,
  NULL,
  or,
  over,
  param,
  ref,
  select,
  stateTable,
  sysCol,
  tuple,
  unionAll,
  update,
  values,
  type Expr,
  type Select,
} from '../../dialect/ast.js';
import { StateStore } from '../store.js';
import { lowerKeys, reportedRows } from './rows.js';
import { liveOfCurrentIncarnation, ofCurrentIncarnation } from './runs.js';

/** The outbox's kinds of change. */
export type ChangeKind = 'entered' | 'exited' | 'entity_added' | 'entity_removed';

/** What a commit needs to know before it diffs, read in one statement. */
export interface CommitFacts {
  /** The next outbox id (0 when the sequence row is missing). */
  nextId: number;
  /** Live runs the audience had: none makes this commit its baseline. */
  liveRuns: number;
  /** Entity paths that already have a snapshot. */
  paths: Set<string>;
}

/** One diff of a commit: staged rows against the snapshot, written to the outbox from `firstId`. */
export interface OutboxDiff {
  runId: string;
  audienceKey: string;
  firstId: number;
  now: Date;
  baseline: boolean;
  /** The members are the distinct profiles staged under this entity path; else the membership stage. */
  membersFromPath?: string;
  /** Entity paths to diff; `baseline` per path (a path's first snapshot is its baseline). */
  paths: { path: string; baseline: boolean }[];
}

const OUTBOX_COLUMNS = ['id', 'audience_key', 'run_id', 'kind', 'profile_id', 'entity_path', 'entity_id', 'baseline', 'created_at'];

/**
 * The audience snapshots (membership, entity_matches, entity_paths), the outbox and its sequence:
 * the statements of a commit (decision D6: the outbox and the snapshot move together, in the
 * caller's transaction) and of a rebuild of the snapshot from the outbox.
 */
export class SnapshotStore extends StateStore {
  /** Serializes commits on the sequence row (a no-op update that takes its row lock). */
  async lockSequence(): Promise<void> {
    await this.run(update(this.t.outbox_sequence, { next_id: ref('next_id') }, eq(ref('name'), lit('outbox'))));
  }

  async commitFacts(audienceKey: string): Promise<CommitFacts> {
    const item = (name: string, value: Expr) => ({ item: lit(name), value });
    const query = unionAll(
      select(item('next_id', cast(ref('next_id'), 'VARCHAR')), { from: stateTable(this.t.outbox_sequence), where: eq(ref('name'), lit('outbox')) }),
      select(item('live_runs', cast(countStar, 'VARCHAR')), {
        from: stateTable(this.t.runs, 'run'),
        where: and(eq(sysCol('run', 'audience_key'), param(audienceKey)), liveOfCurrentIncarnation(this.t, 'run')),
      }),
      select(item('entity_path', ref('entity_path')), { from: stateTable(this.t.entity_paths), where: eq(ref('audience_key'), param(audienceKey)) }),
    );
    const rows = (await this.run(query)).rows.map((r) => lowerKeys<{ item: string; value: string }>(r));
    const fact = (name: string) => rows.filter((r) => r.item === name).map((r) => r.value);
    return { nextId: Number(fact('next_id')[0] ?? 0), liveRuns: Number(fact('live_runs')[0] ?? 0), paths: new Set(fact('entity_path')) };
  }

  /** Writes the diff to the outbox, ids in a stable order from `firstId`; returns the rows the warehouse reports. */
  async writeOutbox(d: OutboxDiff): Promise<number | undefined> {
    const diff = unionAll(this.membershipDiff(d), ...d.paths.map((p) => this.entityDiff(d, p.path, p.baseline)));
    const order = ['kind', 'entity_path', 'profile_id', 'entity_id'].map((c) => ({ expr: sysCol('d', c) }));
    const id = arith('-', arith('+', cast(param(d.firstId), 'BIGINT'), over(fn('ROW_NUMBER'), { orderBy: order })), lit(1));
    const rows = select(
      {
        id,
        audience_key: param(d.audienceKey),
        run_id: param(d.runId),
        kind: sysCol('d', 'kind'),
        profile_id: sysCol('d', 'profile_id'),
        entity_path: sysCol('d', 'entity_path'),
        entity_id: sysCol('d', 'entity_id'),
        baseline: sysCol('d', 'baseline'),
        created_at: cast(param(d.now), 'TIMESTAMP'),
      },
      { from: derived(diff, 'd') },
    );
    return reportedRows((await this.run(insert(this.t.outbox, OUTBOX_COLUMNS, rows))).rows);
  }

  /** Members entered (staged, not in the snapshot) and exited (in the snapshot, not staged). */
  private membershipDiff(d: OutboxDiff): Select {
    const [c, s] = [sysCol('c', 'profile_id'), sysCol('s', 'profile_id')];
    const staged =
      d.membersFromPath === undefined
        ? select({ profile_id: ref('profile_id') }, { from: stateTable(this.t.membership_stage), where: eq(ref('run_id'), param(d.runId)) })
        : select(
            { profile_id: ref('profile_id') },
            { distinct: true, from: stateTable(this.t.entity_matches_stage), where: and(eq(ref('run_id'), param(d.runId)), eq(ref('entity_path'), param(d.membersFromPath))) },
          );
    const snapshot = select({ profile_id: ref('profile_id') }, { from: stateTable(this.t.membership), where: eq(ref('audience_key'), param(d.audienceKey)) });
    return select(
      {
        kind: caseWhen([{ when: isNull(s), then: lit('entered') }], lit('exited')),
        profile_id: coalesce(c, s),
        entity_path: cast(NULL, 'VARCHAR'),
        entity_id: cast(NULL, 'VARCHAR'),
        baseline: cast(param(d.baseline), 'BOOLEAN'),
      },
      { from: derived(staged, 'c'), joins: [{ type: 'full', from: derived(snapshot, 's'), on: eq(c, s) }], where: or(isNull(c), isNull(s)) },
    );
  }

  /** Matches on `path` added (staged, not in the snapshot) and removed (in the snapshot, not staged). */
  private entityDiff(d: OutboxDiff, path: string, baseline: boolean): Select {
    const [cp, ce, sp, se] = [sysCol('c', 'profile_id'), sysCol('c', 'entity_id'), sysCol('s', 'profile_id'), sysCol('s', 'entity_id')];
    const columns = { profile_id: ref('profile_id'), entity_id: ref('entity_id') };
    const staged = select(columns, {
      from: stateTable(this.t.entity_matches_stage),
      where: and(eq(ref('run_id'), param(d.runId)), eq(ref('entity_path'), param(path)), isNotNull(ref('entity_id'))),
    });
    const snapshot = select(columns, {
      from: stateTable(this.t.entity_matches),
      where: and(eq(ref('audience_key'), param(d.audienceKey)), eq(ref('entity_path'), param(path))),
    });
    return select(
      {
        kind: caseWhen([{ when: isNull(se), then: lit('entity_added') }], lit('entity_removed')),
        profile_id: coalesce(cp, sp),
        entity_path: cast(param(path), 'VARCHAR'),
        entity_id: coalesce(ce, se),
        baseline: cast(param(baseline), 'BOOLEAN'),
      },
      {
        from: derived(staged, 'c'),
        joins: [{ type: 'full', from: derived(snapshot, 's'), on: and(eq(cp, sp), eq(ce, se)) }],
        where: or(isNull(ce), isNull(se)),
      },
    );
  }

  /** Outbox rows this run wrote from `firstId`, per kind. */
  async countWritten(firstId: number, runId: string): Promise<Map<ChangeKind, number>> {
    const query = select(
      { kind: ref('kind'), n: countStar },
      { from: stateTable(this.t.outbox), where: this.written(firstId, runId), groupBy: [ref('kind')] },
    );
    const rows = (await this.run(query)).rows.map((r) => lowerKeys<{ kind: ChangeKind; n: unknown }>(r));
    return new Map(rows.map((r) => [r.kind, Number(r.n)]));
  }

  async advanceSequence(nextId: number): Promise<void> {
    await this.run(update(this.t.outbox_sequence, { next_id: param(nextId) }, eq(ref('name'), lit('outbox'))));
  }

  /** Moves the snapshot by this run's outbox rows of one kind. */
  async applyChanges(kind: ChangeKind, audienceKey: string, firstId: number, runId: string): Promise<void> {
    const ours = (...columns: string[]) =>
      select(Object.fromEntries(columns.map((c) => [c, ref(c)])), { from: stateTable(this.t.outbox), where: and(this.written(firstId, runId), eq(ref('kind'), lit(kind))) });
    const audience = eq(ref('audience_key'), param(audienceKey));
    switch (kind) {
      case 'exited':
        return void (await this.run(deleteFrom(this.t.membership, and(audience, inQuery(ref('profile_id'), ours('profile_id'))))));
      case 'entered':
        return void (await this.run(insert(this.t.membership, ['audience_key', 'profile_id', 'run_id'], ours('audience_key', 'profile_id', 'run_id'))));
      case 'entity_removed': {
        const match = tuple(ref('entity_path'), ref('profile_id'), ref('entity_id'));
        return void (await this.run(deleteFrom(this.t.entity_matches, and(audience, inQuery(match, ours('entity_path', 'profile_id', 'entity_id'))))));
      }
      case 'entity_added': {
        const columns = ['audience_key', 'entity_path', 'profile_id', 'entity_id', 'run_id'];
        return void (await this.run(insert(this.t.entity_matches, columns, ours(...columns))));
      }
    }
  }

  /**
   * Drops the audience's whole snapshot (members, matches, tracked paths): a re-created audience
   * starts with none, as a new one does, instead of the members of the audience it replaces.
   */
  async forget(audienceKey: string): Promise<void> {
    await this.run(deleteFrom(this.t.membership, eq(ref('audience_key'), param(audienceKey))));
    await this.dropPathsExcept(audienceKey, []);
  }

  /** Drops the snapshots of the audience's entity paths other than `keep` (no outbox rows: nobody listens). */
  async dropPathsExcept(audienceKey: string, keep: readonly string[]): Promise<void> {
    const where = and(eq(ref('audience_key'), param(audienceKey)), keep.length > 0 ? notInList(ref('entity_path'), keep.map(param)) : and());
    await this.run(deleteFrom(this.t.entity_matches, where));
    await this.run(deleteFrom(this.t.entity_paths, where));
  }

  /** Records that the path's snapshot begins with this run. */
  async addPath(audienceKey: string, path: string, runId: string): Promise<void> {
    await this.run(insert(this.t.entity_paths, ['audience_key', 'entity_path', 'since_run_id'], values([param(audienceKey), param(path), param(runId)])));
  }

  /** The entity paths whose matches these audiences' snapshots hold (those their compute has begun matching), by audience, in one read. */
  async trackedPaths(audienceKeys: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (audienceKeys.length === 0) return out;
    const { rows } = await this.run(
      select({ audience_key: ref('audience_key'), entity_path: ref('entity_path') }, { from: stateTable(this.t.entity_paths), where: inList(ref('audience_key'), audienceKeys.map((k) => param(k))) }),
    );
    for (const r of rows.map((x) => lowerKeys<{ audience_key: string; entity_path: string }>(x))) {
      const paths = out.get(String(r.audience_key)) ?? new Set<string>();
      out.set(String(r.audience_key), paths.add(String(r.entity_path)));
    }
    return out;
  }

  /** What the audience's snapshot holds: its members (under null) and its matches per entity path. */
  async count(audienceKey: string): Promise<Map<string | null, number>> {
    const audience = eq(ref('audience_key'), param(audienceKey));
    const query = unionAll(
      select({ entity_path: cast(NULL, 'VARCHAR'), n: countStar }, { from: stateTable(this.t.membership), where: audience }),
      select({ entity_path: ref('entity_path'), n: countStar }, { from: stateTable(this.t.entity_matches), where: audience, groupBy: [ref('entity_path')] }),
    );
    const rows = (await this.run(query)).rows.map((r) => lowerKeys<{ entity_path: string | null; n: unknown }>(r));
    return new Map(rows.map((r) => [r.entity_path ?? null, Number(r.n)]));
  }

  /**
   * Members rebuilt from the outbox: each profile whose latest entered / exited row of the
   * audience's current incarnation is `entered` (a re-created audience's outbox rows follow those
   * of the one before, whose members are not its own).
   */
  async rebuildMembers(audienceKey: string): Promise<void> {
    await this.run(deleteFrom(this.t.membership, eq(ref('audience_key'), param(audienceKey))));
    const latest = over(fn('ROW_NUMBER'), { partitionBy: [ref('profile_id')], orderBy: [{ expr: ref('id'), desc: true }] });
    const changes = select(
      { audience_key: ref('audience_key'), profile_id: ref('profile_id'), run_id: ref('run_id'), kind: ref('kind'), latest },
      {
        from: stateTable(this.t.outbox, 'o'),
        where: and(eq(ref('audience_key'), param(audienceKey)), inList(ref('kind'), [lit('entered'), lit('exited')]), ofCurrentIncarnation(this.t, 'o', 'created_at')),
      },
    );
    const columns = ['audience_key', 'profile_id', 'run_id'];
    await this.run(insert(this.t.membership, columns, this.latestOf(changes, columns, 'entered')));
  }

  /**
   * Entity matches rebuilt from the outbox, as the members are, over the runs since the path's
   * snapshot began (entity_paths): a path that no emitter needed for a while lost its snapshot
   * without outbox rows, and restarted from a new baseline. Runs of one audience never overlap
   * (lease), so a run that started after the path's first run also committed after it.
   */
  async rebuildEntities(audienceKey: string): Promise<void> {
    await this.run(deleteFrom(this.t.entity_matches, eq(ref('audience_key'), param(audienceKey))));
    const o = (c: string) => sysCol('o', c);
    const [since, r] = [(c: string) => sysCol('since', c), (c: string) => sysCol('r', c)];
    const latest = over(fn('ROW_NUMBER'), { partitionBy: [o('entity_path'), o('profile_id'), o('entity_id')], orderBy: [{ expr: o('id'), desc: true }] });
    const columns = ['audience_key', 'entity_path', 'profile_id', 'entity_id', 'run_id'];
    const changes = select(
      { ...Object.fromEntries([...columns, 'kind'].map((c) => [c, o(c)])), latest },
      {
        from: stateTable(this.t.outbox, 'o'),
        joins: [
          { from: stateTable(this.t.entity_paths, 'p'), on: and(eq(sysCol('p', 'audience_key'), o('audience_key')), eq(sysCol('p', 'entity_path'), o('entity_path'))) },
          { from: stateTable(this.t.runs, 'since'), on: eq(since('id'), sysCol('p', 'since_run_id')) },
          { from: stateTable(this.t.runs, 'r'), on: eq(r('id'), o('run_id')) },
        ],
        where: and(
          eq(o('audience_key'), param(audienceKey)),
          inList(o('kind'), [lit('entity_added'), lit('entity_removed')]),
          or(eq(r('id'), since('id')), compare('>', r('started_at'), since('started_at'))),
        ),
      },
    );
    await this.run(insert(this.t.entity_matches, columns, this.latestOf(changes, columns, 'entity_added')));
  }

  /** The rows of `changes` that are their key's latest change and of kind `kind`. */
  private latestOf(changes: Select, columns: string[], kind: ChangeKind): Select {
    return select(Object.fromEntries(columns.map((c) => [c, sysCol('o', c)])), {
      from: derived(changes, 'o'),
      where: and(eq(sysCol('o', 'latest'), lit(1)), eq(sysCol('o', 'kind'), lit(kind))),
    });
  }

  /** This run's outbox rows: ids from `firstId` (the run's own range) and its run id. */
  private written(firstId: number, runId: string): Expr {
    return and(compare('>=', ref('id'), param(firstId)), eq(ref('run_id'), param(runId)));
  }
}
