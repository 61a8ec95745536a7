import type { EventEmitter } from '../model/emitter.js';
import { CursorStore } from '../state/delivery/cursors.js';
import { OutboxReader } from '../state/delivery/outbox-reader.js';
import type { Cursor, SourceRow } from '../state/delivery/types.js';
import type { Warehouse } from '../warehouse/types.js';
import type { PageKeys } from './enrich/keys.js';
import type { ResolvedEmitter } from './emitter-context.js';

/** A page of an emitter's rows and the query of their keys, where they live. */
export interface SourcePage {
  rows: SourceRow[];
  keys: PageKeys;
}

/** The read stage: an emitter's cursor and its rows after it, page by page. */
export class EmitterReader {
  readonly outbox: OutboxReader;
  readonly cursors: CursorStore;

  /** `reads`: where the outbox is read (a connection of its own beside the bookkeeping's `wh`); default `wh`. */
  constructor(wh: Warehouse, schema: string, reads: Warehouse = wh) {
    this.outbox = new OutboxReader(reads, schema);
    this.cursors = new CursorStore(wh, schema);
  }

  /**
   * The emitter's cursor: `stored` (its cursor as read, undefined when it has none) when it belongs
   * to this incarnation of the emitter, else a cursor started now.
   */
  currentOrStarted(r: ResolvedEmitter, stored: Cursor | undefined, now: Date): Promise<Cursor> | Cursor {
    return cursorIsCurrent(stored, r.createdAt) ? stored : this.cursors.start(r.emitter, r.createdAt, now);
  }

  /**
   * Which of these emitters have something to deliver: their cursors read in one statement (an
   * emitter without a current one has it started, once), then one check of the rows after them,
   * whatever the number of emitters.
   */
  async withRows(emitters: readonly ResolvedEmitter[], now: Date): Promise<Set<string>> {
    const cursors = await this.cursors.readAll();
    const positions: { emitter: EventEmitter; cursor: Cursor }[] = [];
    for (const r of emitters) positions.push({ emitter: r.emitter, cursor: await this.currentOrStarted(r, cursors.get(r.emitter.key), now) });
    return this.outbox.emittersWithRows(positions);
  }

  /** The next page after `pos`, or undefined when nothing is left; `idSpan` as OutboxReader.readPage takes it. */
  async page(emitter: EventEmitter, pos: Cursor, pageSize: number, idSpan?: number): Promise<SourcePage | undefined> {
    const rows = await this.outbox.readPage(emitter, pos, pageSize, idSpan);
    if (rows.length === 0) return undefined;
    const source = rows[0].source;
    const afterId = source === 'outbox' ? pos.lastOutboxId : pos.backfillDone;
    return { rows, keys: this.outbox.pageKeys(emitter, source, afterId, rows[rows.length - 1].id) };
  }
}

/** A cursor belongs to one incarnation of its emitter: a re-created emitter starts afresh. */
export function cursorIsCurrent(cursor: Cursor | undefined, emitterCreatedAt: string | null): cursor is Cursor {
  return cursor !== undefined && (emitterCreatedAt === null || cursor.emitterCreatedAt === emitterCreatedAt);
}

/** The read position after `row` (handled or not: reading runs ahead of the cursor). */
export function positionAfter(pos: Cursor, row: SourceRow): Cursor {
  return row.source === 'outbox' ? { ...pos, lastOutboxId: row.id } : { ...pos, backfillDone: row.id };
}
