import { cast, coalesce, compare, countStar, deleteFrom, eq, fn, inList, insert, lit, or, over, param, perRow, ref, select, stateTable, sysCol, update, values, type Expr } from '../../dialect/ast.js';
import type { EventEmitter } from '../../model/emitter.js';
import { isoTimestamp } from '../canonical.js';
import { DeliveryStore, numberOf } from './columns.js';
import { backfillSource, sendsForCurrent } from './selection.js';
import type { Cursor } from './types.js';

/**
 * Each emitter's cursor (how far its delivery got) and, for an emitter that sends for current
 * members, the backfill copied from the snapshot when it started.
 */
export class CursorStore extends DeliveryStore {
  async read(emitterKey: string): Promise<Cursor | undefined> {
    return (await this.cursors(eq(ref('emitter_key'), param(emitterKey))))[0];
  }

  /** These emitters' cursors (those that have one), by emitter key, in one statement. */
  async readMany(emitterKeys: readonly string[]): Promise<Map<string, Cursor>> {
    return new Map((await this.cursors(inList(ref('emitter_key'), emitterKeys.map(param)))).map((c) => [c.emitterKey, c]));
  }

  /** Every emitter's cursor, by emitter key: one statement for all (`linked status`, metrics). */
  async readAll(): Promise<Map<string, Cursor>> {
    return new Map((await this.cursors()).map((c) => [c.emitterKey, c]));
  }

  private async cursors(where?: Expr): Promise<Cursor[]> {
    const { rows } = await this.run(
      select(
        {
          emitter_key: ref('emitter_key'),
          last_outbox_id: ref('last_outbox_id'),
          backfill_epoch: ref('backfill_epoch'),
          backfill_total: ref('backfill_total'),
          backfill_done: ref('backfill_done'),
          emitter_created_at: ref('emitter_created_at'),
        },
        { from: stateTable(this.t.delivery_cursors), where },
      ),
    );
    return rows.map((r) => ({
      emitterKey: String(this.get(r, 'emitter_key')),
      lastOutboxId: Number(this.get(r, 'last_outbox_id')),
      backfillEpoch: String(this.get(r, 'backfill_epoch')),
      backfillTotal: Number(this.get(r, 'backfill_total')),
      backfillDone: Number(this.get(r, 'backfill_done')),
      emitterCreatedAt: isoTimestamp(this.get(r, 'emitter_created_at')),
    }));
  }

  /** The cursor a new emitter would start with, without writing it (previews). */
  async planned(emitter: EventEmitter, createdAt: string | null): Promise<Cursor> {
    return {
      emitterKey: emitter.key,
      lastOutboxId: await this.startingOutboxId(emitter, createdAt),
      backfillEpoch: '',
      backfillTotal: 0,
      backfillDone: 0,
      emitterCreatedAt: createdAt,
    };
  }

  /**
   * Starts (or restarts, for a new incarnation) an emitter's cursor: in one transaction, copies the
   * backfill when it sends for current members and records where its outbox reading starts.
   */
  async start(emitter: EventEmitter, createdAt: string | null, now: Date): Promise<Cursor> {
    return this.wh.transaction(async (tx) => {
      const s = this.in(tx);
      await s.run(deleteFrom(this.t.delivery_backfill, eq(ref('emitter_key'), param(emitter.key))));
      await s.run(deleteFrom(this.t.delivery_cursors, eq(ref('emitter_key'), param(emitter.key))));
      const lastOutboxId = await s.startingOutboxId(emitter, createdAt);
      const epoch = String(now.getTime());
      const total = sendsForCurrent(emitter) ? await s.copyBackfill(emitter, now) : 0;
      const at = cast(param(now.toISOString()), 'TIMESTAMP');
      await s.run(
        insert(
          this.t.delivery_cursors,
          ['emitter_key', 'last_outbox_id', 'backfill_epoch', 'backfill_total', 'backfill_done', 'emitter_created_at', 'initialized_at', 'updated_at'],
          values([param(emitter.key), param(lastOutboxId), param(epoch), param(total), lit(0), cast(param(createdAt), 'TIMESTAMP'), at, at]),
        ),
      );
      return { emitterKey: emitter.key, lastOutboxId, backfillEpoch: epoch, backfillTotal: total, backfillDone: 0, emitterCreatedAt: createdAt };
    });
  }

  /** Copies the snapshot the emitter sends for into its backfill, numbered in key order; returns the count. */
  private async copyBackfill(emitter: EventEmitter, now: Date): Promise<number> {
    const b = (name: string) => sysCol('b', name);
    await this.run(
      insert(
        this.t.delivery_backfill,
        ['emitter_key', 'seq', 'audience_key', 'run_id', 'kind', 'profile_id', 'entity_path', 'entity_id', 'created_at'],
        select(
          {
            emitter_key: param(emitter.key),
            seq: over(fn('ROW_NUMBER'), { orderBy: [{ expr: b('profile_id') }, { expr: b('entity_id') }] }),
            audience_key: param(emitter.audience),
            run_id: b('run_id'),
            kind: b('kind'),
            profile_id: b('profile_id'),
            entity_path: b('entity_path'),
            entity_id: b('entity_id'),
            created_at: cast(param(now.toISOString()), 'TIMESTAMP'),
          },
          { from: { kind: 'derived', query: backfillSource(this.t, emitter), alias: 'b' } },
        ),
      ),
    );
    const { rows } = await this.run(select({ n: countStar }, { from: stateTable(this.t.delivery_backfill), where: eq(ref('emitter_key'), param(emitter.key)) }));
    return rows[0] ? numberOf(this.get(rows[0], 'n')) : 0;
  }

  /**
   * Where a new emitter starts. Without sendForCurrent: after the outbox rows that existed when it
   * was applied. With it: after every row that exists now, the current snapshot standing in for
   * them (read in the same transaction, so the two agree).
   */
  private async startingOutboxId(emitter: EventEmitter, createdAt: string | null): Promise<number> {
    const where = sendsForCurrent(emitter) || createdAt === null ? undefined : compare('<=', ref('created_at'), cast(param(createdAt), 'TIMESTAMP'));
    const { rows } = await this.run(select({ m: coalesce(fn('MAX', ref('id')), lit(0)) }, { from: stateTable(this.t.outbox), where }));
    return rows[0] ? numberOf(this.get(rows[0], 'm')) : 0;
  }

  /** Moves each cursor past the rows through its `cursor`, in one statement; part of a page's commit. */
  async advance(moves: readonly { cursor: Cursor; at: string }[]): Promise<void> {
    const rows = moves.map((m) => eq(ref('emitter_key'), param(m.cursor.emitterKey)));
    const each = (value: (m: { cursor: Cursor; at: string }) => Expr) => perRow(rows, moves.map(value));
    await this.run(
      update(
        this.t.delivery_cursors,
        {
          last_outbox_id: each((m) => cast(param(m.cursor.lastOutboxId), 'BIGINT')),
          backfill_done: each((m) => cast(param(m.cursor.backfillDone), 'BIGINT')),
          updated_at: each((m) => cast(param(m.at), 'TIMESTAMP')),
        },
        or(...rows),
      ),
    );
  }

  /** Drops a delivered backfill; part of the commit of its last page. */
  async dropBackfill(emitterKey: string): Promise<void> {
    await this.run(deleteFrom(this.t.delivery_backfill, eq(ref('emitter_key'), param(emitterKey))));
  }
}
