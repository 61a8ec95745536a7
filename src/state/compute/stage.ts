import {
  and,
  arith,
  caseWhen,
  cast,
  compare,
  compiled,
  countDistinct,
  countStar,
  deleteFrom,
  derived,
  eq,
  fn,
  insert,
  isNotNull,
  lit,
  NULL,
  param,
  ref,
  select,
  stateTable,
  sysCol,
  unionAll,
  type Expr,
  type Select,
} from '../../dialect/ast.js';
import type { CompiledQuery } from '../../dialect/printer.js';
import { StateStore } from '../store.js';
import { lowerKeys, reportedRows } from './rows.js';

/** Rows staged by one statement: as the warehouse reports them (for progress), and its query id. */
export interface StagedRows {
  rows: number | undefined;
  queryId?: string;
}

/** One row of the results check: the membership (entity_path null) or one entity path. */
export interface StageCheckRow {
  entity_path: string | null;
  /** Distinct profiles. */
  profiles: number;
  /** Rows with an entity id. */
  matches: number;
  /** An ID staged twice, when the check searched for one. */
  duplicate: string | null;
}

/**
 * The stage of a run (membership_stage, entity_matches_stage): where a run's compiled queries put
 * their rows before the commit diffs them against the snapshot. Every read names its run.
 */
export class StageStore extends StateStore {
  /** Removes staged rows a crashed run of this audience left behind. */
  async clearAudience(audienceKey: string): Promise<void> {
    await this.run(deleteFrom(this.t.membership_stage, eq(ref('audience_key'), param(audienceKey))));
    await this.run(deleteFrom(this.t.entity_matches_stage, eq(ref('audience_key'), param(audienceKey))));
  }

  /** Removes what one run staged; a stage the run left empty (`staged` says so) costs no statement. */
  async clearRun(runId: string, staged = { membership: true, entities: true }): Promise<void> {
    if (staged.membership) await this.run(deleteFrom(this.t.membership_stage, eq(ref('run_id'), param(runId))));
    if (staged.entities) await this.run(deleteFrom(this.t.entity_matches_stage, eq(ref('run_id'), param(runId))));
  }

  /** Runs the membership query (column profile_id) once, into the membership stage. */
  async stageMembership(runId: string, audienceKey: string, query: CompiledQuery): Promise<StagedRows> {
    const m = sysCol('m', 'profile_id');
    const rows = select([{ expr: param(runId), as: 'run_id' }, { expr: param(audienceKey), as: 'audience_key' }, { expr: cast(m, 'VARCHAR'), as: 'profile_id' }], {
      from: compiled(query, 'm'),
      where: isNotNull(m),
    });
    return this.staged(await this.run(insert(this.t.membership_stage, ['run_id', 'audience_key', 'profile_id'], rows)));
  }

  /**
   * Runs one entity-match query (columns profile_id, entity_id) into the entity stage under `path`;
   * rows without an entity id only if `keepIdless`.
   */
  async stageEntities(runId: string, audienceKey: string, path: string, query: CompiledQuery, keepIdless = false): Promise<StagedRows> {
    const [profile, entity] = [sysCol('e', 'profile_id'), sysCol('e', 'entity_id')];
    const rows = select(
      [
        { expr: param(runId), as: 'run_id' },
        { expr: param(audienceKey), as: 'audience_key' },
        { expr: param(path), as: 'entity_path' },
        { expr: cast(profile, 'VARCHAR'), as: 'profile_id' },
        { expr: cast(entity, 'VARCHAR'), as: 'entity_id' },
      ],
      { from: compiled(query, 'e'), where: and(isNotNull(profile), keepIdless ? and() : isNotNull(entity)) },
    );
    const columns = ['run_id', 'audience_key', 'entity_path', 'profile_id', 'entity_id'];
    return this.staged(await this.run(insert(this.t.entity_matches_stage, columns, rows)));
  }

  /** Copies the distinct profiles staged under `path` to the membership stage. */
  async copyMembersFromPath(runId: string, path: string): Promise<void> {
    const members = select(
      { run_id: ref('run_id'), audience_key: ref('audience_key'), profile_id: ref('profile_id') },
      { distinct: true, from: stateTable(this.t.entity_matches_stage), where: and(eq(ref('run_id'), param(runId)), eq(ref('entity_path'), param(path))) },
    );
    await this.run(insert(this.t.membership_stage, ['run_id', 'audience_key', 'profile_id'], members));
  }

  /**
   * What the run staged, in one statement over both stages, and unless `distinctRows` (its queries
   * return distinct rows by construction) an example of an ID staged twice. The duplicate search
   * is most of the statement's cost (two groupings instead of one). Rows without an entity id are
   * not matches: neither counted as matches nor duplicates.
   */
  async check(runId: string, distinctRows: boolean): Promise<StageCheckRow[]> {
    const query = distinctRows ? this.countsOnly(runId) : this.countsAndDuplicates(runId);
    const { rows } = await this.run(query);
    return rows.map((r) => {
      const row = lowerKeys<Record<keyof StageCheckRow, unknown>>(r);
      return {
        entity_path: (row.entity_path as string | null) ?? null,
        profiles: Number(row.profiles ?? 0),
        matches: Number(row.matches ?? 0),
        duplicate: (row.duplicate as string | null) ?? null,
      };
    });
  }

  private countsOnly(runId: string) {
    const membership = select(
      { entity_path: cast(NULL, 'VARCHAR'), profiles: countStar, matches: lit(0), duplicate: cast(NULL, 'VARCHAR') },
      { from: stateTable(this.t.membership_stage), where: eq(ref('run_id'), param(runId)) },
    );
    const paths = select(
      { entity_path: ref('entity_path'), profiles: countDistinct(ref('profile_id')), matches: fn('COUNT', ref('entity_id')), duplicate: NULL },
      { from: stateTable(this.t.entity_matches_stage), where: eq(ref('run_id'), param(runId)), groupBy: [ref('entity_path')] },
    );
    return unionAll(membership, paths);
  }

  private countsAndDuplicates(runId: string) {
    const twice = (id: Expr, when: Expr = compare('>', sysCol('m', 'n'), lit(1))) => fn('MAX', caseWhen([{ when, then: id }]));
    const perProfile: Select = select(
      { profile_id: ref('profile_id'), n: countStar },
      { from: stateTable(this.t.membership_stage), where: eq(ref('run_id'), param(runId)), groupBy: [ref('profile_id')] },
    );
    const membership = select(
      { entity_path: cast(NULL, 'VARCHAR'), profiles: countStar, matches: lit(0), duplicate: twice(sysCol('m', 'profile_id')) },
      { from: derived(perProfile, 'm') },
    );
    const [path, profile, entity] = [sysCol('e', 'entity_path'), sysCol('e', 'profile_id'), sysCol('e', 'entity_id')];
    const perMatch: Select = select(
      { entity_path: ref('entity_path'), profile_id: ref('profile_id'), entity_id: ref('entity_id'), n: countStar },
      {
        from: stateTable(this.t.entity_matches_stage),
        where: eq(ref('run_id'), param(runId)),
        groupBy: [ref('entity_path'), ref('profile_id'), ref('entity_id')],
      },
    );
    const key = arith('||', arith('||', arith('||', arith('||', path, lit(':')), profile), lit(':')), entity);
    const paths = select(
      {
        entity_path: path,
        profiles: countDistinct(profile),
        matches: fn('COUNT', entity),
        duplicate: twice(key, and(compare('>', sysCol('e', 'n'), lit(1)), isNotNull(entity))),
      },
      { from: derived(perMatch, 'e'), groupBy: [path] },
    );
    return unionAll(membership, paths);
  }

  private staged(res: { rows: readonly Record<string, unknown>[]; queryId?: string }): StagedRows {
    return { rows: reportedRows(res.rows), queryId: res.queryId };
  }
}
