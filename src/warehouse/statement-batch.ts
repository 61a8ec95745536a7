import type { Warehouse } from './types.js';

interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (e: unknown) => void;
}

/**
 * When a batch whose turn has come is sent. `turn`: after one more turn of the event loop, so the
 * callers whose request is on its way (their last statement just answered, the rest is
 * computation) still join: for statements that cost enough to be worth the wait, or that callers
 * starting together make at once. `queue`: at once; callers join only while it waits for the
 * connection. For statements on a hot path, where a turn of a busy event loop is the whole
 * statement's time again.
 */
export type Gathering = 'turn' | 'queue';

/**
 * Requests of concurrent callers served by one statement: `send` answers a list of items, in
 * order. A request joins the batch that has not been sent yet; the batch is sent when the
 * warehouse is free for it (`whenFree`: on the daemon's shared DuckDB file, behind the statements
 * queued before it, so the callers that ask while it waits join it), or at once where statements
 * do not queue; `gathering` says whether it then waits a turn more. A statement on a small state
 * table costs about the same for one key as for thirty, so thirty emitters starting together pay
 * for one.
 *
 * One request must not fail the others: a batch whose statement fails is sent again one item at
 * a time, and each caller gets its own answer.
 */
export class StatementBatch<I, R> {
  private open?: Waiting<I, R>[];
  /** Statements sent (retries alone included), and the requests they served: for the tests and benches. */
  sent = 0;
  served = 0;

  constructor(
    private readonly send: (wh: Warehouse, items: readonly I[]) => Promise<readonly R[]>,
    private readonly gathering: Gathering = 'turn',
  ) {}

  /** A batch of writes: one statement records every caller's item, and each caller learns only that it is done. */
  static ofWrites<I>(write: (wh: Warehouse, items: readonly I[]) => Promise<void>, gathering?: Gathering): StatementBatch<I, undefined> {
    return new StatementBatch(async (wh, items) => {
      await write(wh, items);
      return items.map(() => undefined);
    }, gathering);
  }

  request(wh: Warehouse, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let batch = this.open;
      if (!batch) {
        const created: Waiting<I, R>[] = [];
        this.open = batch = created;
        // From the sending on, later requests start the next batch.
        const go = async (w: Warehouse) => {
          if (this.gathering === 'turn') await new Promise((r) => setImmediate(r));
          if (this.open === created) this.open = undefined;
          await this.flush(w, created);
        };
        // A warehouse that never ran it (closed meanwhile) fails the batch; later requests start anew.
        void (wh.whenFree ? wh.whenFree(go) : Promise.resolve().then(() => go(wh))).catch((e: unknown) => {
          if (this.open === created) this.open = undefined;
          for (const w of created) w.reject(e);
        });
      }
      batch.push({ item, resolve, reject });
    });
  }

  private async flush(wh: Warehouse, batch: readonly Waiting<I, R>[]): Promise<void> {
    this.sent++;
    this.served += batch.length;
    try {
      const results = await this.send(wh, batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (e) {
      if (batch.length === 1) return batch[0].reject(e);
      // Which item failed the statement is unknown: each is sent alone and gets its own answer.
      for (const w of batch) {
        this.sent++;
        await this.send(wh, [w.item]).then((r) => w.resolve(r[0]), w.reject);
      }
    }
  }
}
