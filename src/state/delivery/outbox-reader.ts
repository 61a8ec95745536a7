import {
  and,
  compare,
  countStar,
  eq,
  exists,
  inQuery,
  notExists,
  ONE,
  or,
  param,
  ref,
  select,
  stateTable,
  sysCol,
  type Expr,
  type Query,
  type Select,
  type SelectColumn,
  unionAll,
} from '../../dialect/ast.js';
import { ENTITY_TRIGGERS, type EventEmitter } from '../../model/emitter.js';
import type { Row } from '../../warehouse/types.js';
import { isoTimestamp } from '../canonical.js';
import { DeliveryStore, numberOf } from './columns.js';
import { backfillSource, outboxFilter, outboxSelection, sendsForCurrent } from './selection.js';
import type { Cursor, OutboxKind, SourceRow } from './types.js';

/**
 * What an emitter has to deliver: its rows after its cursor (the backfill first, then the
 * outbox), their keys as a subquery for enrichment, the counts previews show, and the membership
 * entity_removed events report.
 */
export class OutboxReader extends DeliveryStore {
  /**
   * The next rows to deliver after the cursor: the backfill first, then the outbox. `idSpan`: how
   * many outbox ids the caller expects the page to span (what the emitter's last full page
   * spanned); the page is then first looked for among those ids. Keeping the first `limit` rows of
   * the rest of the outbox in id order means filtering every row left in it, a million at the start
   * of a large delivery, for each page; a range of ids is read from the row groups that hold it.
   */
  async readPage(emitter: EventEmitter, cursor: Cursor, limit: number, idSpan?: number): Promise<SourceRow[]> {
    if (cursor.backfillDone < cursor.backfillTotal) {
      const b = this.rowReader('backfill', emitter);
      const { rows } = await this.run(
        select(b.columns, {
          from: stateTable(this.t.delivery_backfill),
          // An emitter's backfill is numbered 1, 2, ... (ROW_NUMBER): a page is a range of seq.
          where: and(
            eq(ref('emitter_key'), param(emitter.key)),
            compare('>', ref('seq'), param(cursor.backfillDone)),
            compare('<=', ref('seq'), param(cursor.backfillDone + Math.floor(limit))),
          ),
          orderBy: [{ expr: ref('seq') }],
          limit: Math.floor(limit),
        }),
      );
      if (rows.length > 0) return rows.map(b.toRow);
    }
    const o = this.rowReader('outbox', emitter);
    const read = async (afterId: number, throughId: number | undefined, n: number) => {
      const { rows } = await this.run(
        select(o.columns, {
          from: stateTable(this.t.outbox, 'o'),
          where: and(
            compare('>', sysCol('o', 'id'), param(afterId)),
            ...(throughId === undefined ? [] : [compare('<=', sysCol('o', 'id'), param(throughId))]),
            outboxFilter(emitter, 'o'),
          ),
          orderBy: [{ expr: sysCol('o', 'id') }],
          limit: n,
        }),
      );
      return rows.map(o.toRow);
    };
    const n = Math.floor(limit);
    if (idSpan === undefined) return read(cursor.lastOutboxId, undefined, n);
    const throughId = cursor.lastOutboxId + Math.max(n, Math.ceil(idSpan));
    const rows = await read(cursor.lastOutboxId, throughId, n);
    // Fewer than a page among those ids: the rest of the page lies beyond them, if anywhere.
    return rows.length === n ? rows : rows.concat(await read(throughId, undefined, n - rows.length));
  }

  /**
   * The keys (profile_id, entity_id) of a page's rows, as a subquery over where they live: the
   * outbox range after `afterId` through `throughId` with the emitter's filter, or its backfill.
   * Enrichment joins to it instead of shipping long IN lists.
   */
  pageKeys(emitter: EventEmitter, source: SourceRow['source'], afterId: number, throughId: number): Select {
    const columns = { profile_id: sysCol('s', 'profile_id'), entity_id: sysCol('s', 'entity_id') };
    if (source === 'backfill') {
      return select(columns, {
        from: stateTable(this.t.delivery_backfill, 's'),
        where: and(
          eq(sysCol('s', 'emitter_key'), param(emitter.key)),
          compare('>', sysCol('s', 'seq'), param(afterId)),
          compare('<=', sysCol('s', 'seq'), param(throughId)),
        ),
      });
    }
    return select(columns, {
      from: stateTable(this.t.outbox, 's'),
      where: and(compare('>', sysCol('s', 'id'), param(afterId)), compare('<=', sysCol('s', 'id'), param(throughId)), outboxFilter(emitter, 's')),
    });
  }

  /**
   * Which of these emitters have rows after their cursors (backfill or outbox, as readPage reads
   * them), in one statement: a serving daemon looks at every emitter every few seconds, and one
   * round trip per emitter would make an idle look cost as many statements as there are emitters.
   */
  async emittersWithRows(items: readonly { emitter: EventEmitter; cursor: Cursor }[]): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const anyRow = (from: ReturnType<typeof stateTable>, where: Expr) => exists(select([{ expr: ONE, as: 'one' }], { from, where }));
    const checks = items.map(({ emitter, cursor }) => {
      const outbox = anyRow(stateTable(this.t.outbox, 'o'), and(compare('>', sysCol('o', 'id'), param(cursor.lastOutboxId)), outboxFilter(emitter, 'o')));
      const backfill =
        cursor.backfillDone < cursor.backfillTotal
          ? [anyRow(stateTable(this.t.delivery_backfill, 'b'), and(eq(sysCol('b', 'emitter_key'), param(emitter.key)), compare('>', sysCol('b', 'seq'), param(cursor.backfillDone))))]
          : [];
      return select({ emitter_key: sysCol('c', 'emitter_key') }, { from: stateTable(this.t.delivery_cursors, 'c'), where: and(eq(sysCol('c', 'emitter_key'), param(emitter.key)), or(...backfill, outbox)) });
    });
    const { rows } = await this.run(checks.length === 1 ? checks[0] : unionAll(...checks));
    return new Set(rows.map((r) => String(this.get(r, 'emitter_key'))));
  }

  /** How many rows are waiting for an emitter after its cursor (backfill included). */
  async countPending(emitter: EventEmitter, cursor: Cursor): Promise<number> {
    const n = await this.count(
      select({ n: countStar }, { from: stateTable(this.t.outbox, 'o'), where: and(compare('>', sysCol('o', 'id'), param(cursor.lastOutboxId)), outboxFilter(emitter, 'o')) }),
    );
    return n + Math.max(0, cursor.backfillTotal - cursor.backfillDone);
  }

  /**
   * A condition on an enrichment query's entity rows: the row (`entityId`, of `profileId` when
   * given) is in the audience's entity-match snapshot of `path`, i.e. it helped match the profile,
   * as Segment's events carry only those rows. A path without a snapshot (compute writes matches
   * only for the paths it is asked to) keeps every related row.
   */
  matchedEntity(audienceKey: string, path: string, entityId: Expr, profileId?: Expr): Expr {
    const ofPath = (alias: string) => [eq(sysCol(alias, 'audience_key'), param(audienceKey)), eq(sysCol(alias, 'entity_path'), param(path))];
    const match = select([{ expr: ONE, as: 'one' }], {
      from: stateTable(this.t.entity_matches, 'em'),
      where: and(...ofPath('em'), eq(sysCol('em', 'entity_id'), entityId), ...(profileId ? [eq(sysCol('em', 'profile_id'), profileId)] : [])),
    });
    const snapshot = select([{ expr: ONE, as: 'one' }], { from: stateTable(this.t.entity_paths, 'ep'), where: and(...ofPath('ep')) });
    return or(exists(match), notExists(snapshot));
  }

  /** Counts what a new emitter would backfill (for previews: nothing is written). */
  async countBackfill(emitter: EventEmitter): Promise<number> {
    if (!sendsForCurrent(emitter)) return 0;
    return this.count(select({ n: countStar }, { from: { kind: 'derived', query: backfillSource(this.t, emitter), alias: 'b' } }));
  }

  /**
   * The first rows a new emitter would backfill, read from the snapshot (previews), as backfill
   * rows numbered from 1 and stamped `createdAt`; with `profileId`, that profile's only.
   */
  async snapshotRows(emitter: EventEmitter, limit: number, createdAt: string, profileId?: string): Promise<SourceRow[]> {
    const entity = emitter.trigger === 'entity_added';
    const ofProfile = profileId === undefined ? [] : [eq(ref('profile_id'), param(profileId))];
    const statement = entity
      ? select(
          { profile_id: ref('profile_id'), entity_path: ref('entity_path'), entity_id: ref('entity_id'), run_id: ref('run_id') },
          {
            from: stateTable(this.t.entity_matches),
            where: and(eq(ref('audience_key'), param(emitter.audience)), eq(ref('entity_path'), param((emitter.entityPath ?? []).join('.'))), ...ofProfile),
            orderBy: [{ expr: ref('profile_id') }, { expr: ref('entity_id') }],
            limit,
          },
        )
      : select(
          { profile_id: ref('profile_id'), run_id: ref('run_id') },
          { from: stateTable(this.t.membership), where: and(eq(ref('audience_key'), param(emitter.audience)), ...ofProfile), orderBy: [{ expr: ref('profile_id') }], limit },
        );
    const { rows } = await this.run(statement);
    const get = this.get;
    return rows.map((x, i) => ({
      source: 'backfill',
      id: i + 1,
      audienceKey: emitter.audience,
      kind: entity ? 'entity_added' : 'entered',
      profileId: String(get(x, 'profile_id')),
      entityPath: entity ? String(get(x, 'entity_path')) : null,
      entityId: entity ? String(get(x, 'entity_id')) : null,
      createdAt,
    }));
  }

  /** Which of the profiles in `keys` (a page's keys) are members of the audience now. */
  async membersAmong(audienceKey: string, keys: Query): Promise<Set<string>> {
    const { rows } = await this.run(
      select(
        { profile_id: sysCol('m', 'profile_id') },
        {
          from: stateTable(this.t.membership, 'm'),
          where: and(
            eq(sysCol('m', 'audience_key'), param(audienceKey)),
            inQuery(sysCol('m', 'profile_id'), select({ profile_id: sysCol('k0', 'profile_id') }, { from: { kind: 'derived', query: keys, alias: 'k0' } })),
          ),
        },
      ),
    );
    const get = this.get;
    return new Set(rows.map((r) => String(get(r, 'profile_id'))));
  }

  private async count(statement: Select): Promise<number> {
    const { rows } = await this.run(statement);
    return rows[0] ? numberOf(this.get(rows[0], 'n')) : 0;
  }

  /**
   * How an emitter's rows are read: only the columns that vary within them (converting result
   * values to JS costs more than the query). Its kind is constant when its trigger listens to one
   * kind, its entity null unless it is an entity trigger. The timestamp comes as the driver's Date
   * (cheaper to convert than its text, a long string per row); the rows of a page share their
   * compute run's timestamp, so each distinct one is formatted once.
   */
  private rowReader(source: SourceRow['source'], emitter: EventEmitter): { columns: SelectColumn[]; toRow: (r: Row) => SourceRow } {
    const { kinds, entityPath } = outboxSelection(emitter);
    const kind = kinds.length === 1 ? kinds[0] : undefined;
    const hasEntity = ENTITY_TRIGGERS.includes(emitter.trigger);
    const column = (name: string): Expr => (source === 'outbox' ? sysCol('o', name) : ref(name));
    const columns: SelectColumn[] = [
      { expr: column(source === 'outbox' ? 'id' : 'seq'), as: 'id' },
      ...(kind ? [] : [{ expr: column('kind'), as: 'kind' }]),
      { expr: column('profile_id'), as: 'profile_id' },
      ...(hasEntity ? [{ expr: column('entity_id'), as: 'entity_id' }] : []),
      { expr: column('created_at'), as: 'created_at' },
    ];
    const get = this.get;
    let lastKey: unknown;
    let lastIso = '';
    const toRow = (r: Row): SourceRow => {
      const created = get(r, 'created_at');
      const key = created instanceof Date ? created.getTime() : created;
      if (key !== lastKey || lastIso === '') {
        lastKey = key;
        lastIso = isoTimestamp(created) ?? new Date(0).toISOString();
      }
      const entityId = hasEntity ? get(r, 'entity_id') : null;
      return {
        source,
        id: Number(get(r, 'id')),
        audienceKey: emitter.audience,
        kind: kind ?? (String(get(r, 'kind')) as OutboxKind),
        profileId: String(get(r, 'profile_id')),
        entityPath,
        entityId: entityId === null || entityId === undefined ? null : String(entityId),
        createdAt: lastIso,
      };
    };
    return { columns, toRow };
  }
}
