import type { Cursor, SourceRow } from '../state/delivery/types.js';
import type { Warehouse } from '../warehouse/types.js';
import { buildPage, type BuiltPage } from './build-event.js';
import type { ResolvedEmitter } from './emitter-context.js';
import { enrichPage, type PageEnrichment } from './enrich/page.js';
import type { SharedTraitReads } from './enrich/shared-traits.js';
import { positionAfter, type EmitterReader, type SourcePage } from './read.js';

/**
 * Pages read and enriched per warehouse read, unless the caller says otherwise. Larger reads cost
 * less CPU per event but hold more in memory: one by default, so a large delivery stays well
 * within the memory the bench holds it to (two stay within it with little to spare:
 * bench/README.md, deliver).
 */
export const DEFAULT_READ_PAGES = 1;

/** How much wider than the last full read's ids the next read looks first, for rows lying less densely. */
const ID_SPAN_SLACK = 1.25;

/** Rows asked for per warehouse read. */
export const readSize = (pageSize: number, readPages = DEFAULT_READ_PAGES): number => pageSize * readPages;

/** Rows read and enriched together, and how far into them the pages handed out have come. */
interface Block {
  rows: SourceRow[];
  enrichment: PageEnrichment;
  backfillEpoch: string;
  offset: number;
}

/**
 * The read, enrich and build stages of one emitter's delivery: rows are read and enriched a block
 * of `readPages` pages at a time, the next block while this one's pages are sent, and events are
 * built a page at a time. Every read and enrichment query scans its tables whatever the number of
 * rows it asks for (the outbox's row group, the user's profile table: DuckDB has no index to seek
 * with), so fewer, larger reads cost less; building per page keeps only one page of events in memory.
 * Reading runs ahead of the cursor and commits nothing: a crash loses nothing read ahead.
 */
export class PageStream {
  private block: Block | undefined;
  private nextBlock: Promise<Block | undefined> | undefined;
  private readPos: Cursor;
  private outboxExhausted = false;
  /** The outbox ids the next read is expected to span: the last full read's, with some slack. */
  private idSpan: number | undefined;

  constructor(
    private readonly wh: Warehouse,
    private readonly reader: EmitterReader,
    private readonly r: ResolvedEmitter,
    start: Cursor,
    private readonly pageSize: number,
    private readonly readPages = DEFAULT_READ_PAGES,
    /** The first read (`readSize` rows after `start`), when the caller has made it. */
    private firstRead?: SourcePage,
    /** Trait reads shared with the other emitters delivering now. */
    private readonly traitReads?: SharedTraitReads,
  ) {
    this.readPos = start;
  }

  /**
   * The events of the next page, or undefined when nothing is left. It yields to the event loop
   * before building, so requests the caller has just started go out first.
   */
  async next(): Promise<BuiltPage | undefined> {
    if (!this.block || this.block.offset >= this.block.rows.length) {
      this.block = await (this.nextBlock ?? this.read());
      this.nextBlock = undefined;
      if (!this.block) return undefined;
      this.nextBlock = this.read();
      // Its failure surfaces when awaited; not unhandled meanwhile.
      this.nextBlock.catch(() => undefined);
    }
    await new Promise((resolve) => setImmediate(resolve));
    const block = this.block;
    const rows = block.rows.slice(block.offset, block.offset + this.pageSize);
    block.offset += rows.length;
    return buildPage(this.r, rows, block.enrichment, block.backfillEpoch);
  }

  /** Waits for a read in flight, so that nothing touches the warehouse after the caller stops. */
  async close(): Promise<void> {
    await this.nextBlock?.catch(() => undefined);
  }

  private async read(): Promise<Block | undefined> {
    if (this.outboxExhausted) return undefined;
    const pos = this.readPos;
    const limit = readSize(this.pageSize, this.readPages);
    const page = this.firstRead ?? (await this.reader.page(this.r.emitter, pos, limit, this.idSpan));
    this.firstRead = undefined;
    if (!page) return undefined;
    // A short read of the outbox took all its rows: nothing to ask again for. Rows committed since
    // are the next delivery's (the daemon starts one after each commit). A short backfill read is
    // followed by the outbox.
    const last = page.rows[page.rows.length - 1];
    const fromOutbox = last.source === 'outbox';
    this.outboxExhausted = fromOutbox && page.rows.length < limit;
    // A full read of the outbox says how densely the emitter's rows lie among the outbox's ids.
    this.idSpan = fromOutbox && page.rows.length === limit ? ID_SPAN_SLACK * (last.id - pos.lastOutboxId) : undefined;
    this.readPos = positionAfter(pos, last);
    const enrichment = await enrichPage(this.wh, this.reader.outbox, this.r, page.rows, page.keys, this.traitReads);
    return { rows: page.rows, enrichment, backfillEpoch: pos.backfillEpoch, offset: 0 };
  }
}
