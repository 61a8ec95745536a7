import { describe, expect, it } from 'vitest';
import { StatementBatch, type Gathering } from '../../src/warehouse/statement-batch.js';
import type { Warehouse } from '../../src/warehouse/types.js';

/** A warehouse that runs nothing itself: `whenFree` waits until `free()` when busy. */
function connection(busy: boolean) {
  let free!: () => void;
  const freed = busy ? new Promise<void>((r) => (free = r)) : Promise.resolve();
  const wh = { dialect: 'duckdb', whenFree: async (fn) => (await freed, fn(wh)) } as Warehouse;
  return { wh, free: () => free?.() };
}

/** A batch that doubles numbers and records each list it was sent; a negative number fails the statement. */
function doubling(gathering?: Gathering) {
  const sent: number[][] = [];
  const batch = new StatementBatch<number, number>(async (_wh, items) => {
    sent.push([...items]);
    if (items.some((i) => i < 0)) throw new Error(`cannot double ${items.filter((i) => i < 0).join(', ')}`);
    return items.map((i) => i * 2);
  }, gathering);
  return { batch, sent };
}

describe('StatementBatch', () => {
  it('sends the requests made while the warehouse is busy as one, each caller getting its own answer', async () => {
    const { wh, free } = connection(true);
    const { batch, sent } = doubling();
    const answers = Promise.all([1, 2, 3].map((i) => batch.request(wh, i)));
    free();
    expect(await answers).toEqual([2, 4, 6]);
    expect(sent).toEqual([[1, 2, 3]]);
    // Asked once that one went out: the next batch.
    expect(await batch.request(wh, 4)).toBe(8);
    expect(sent).toEqual([[1, 2, 3], [4]]);
    expect({ sent: batch.sent, served: batch.served }).toEqual({ sent: 2, served: 4 });
  });

  it('where statements do not queue, requests made in the same turn go together', async () => {
    const { wh } = connection(false);
    const { batch, sent } = doubling();
    const plain = { dialect: 'duckdb' } as Warehouse;
    expect(await Promise.all([batch.request(plain, 1), batch.request(wh, 2)])).toEqual([2, 4]);
    expect(sent).toEqual([[1, 2]]);
  });

  it('a batch whose turn has come waits one turn more for requests on their way, unless it gathers only while queued', async () => {
    const { wh } = connection(false);
    const askedNextTurn = async (gathering: Gathering) => {
      const { batch, sent } = doubling(gathering);
      const first = batch.request(wh, 1);
      const second = new Promise<number>((resolve) => setImmediate(() => resolve(batch.request(wh, 2))));
      expect(await Promise.all([first, second])).toEqual([2, 4]);
      return sent;
    };
    expect(await askedNextTurn('turn')).toEqual([[1, 2]]);
    expect(await askedNextTurn('queue')).toEqual([[1], [2]]);
  });

  it('a statement that fails is sent again one request at a time: only the bad request fails', async () => {
    const { wh, free } = connection(true);
    const { batch, sent } = doubling();
    const good = batch.request(wh, 5);
    const bad = batch.request(wh, -1);
    free();
    expect(await good).toBe(10);
    await expect(bad).rejects.toThrow('cannot double -1');
    expect(sent).toEqual([[5, -1], [5], [-1]]);
  });

  it('a warehouse that never runs the batch (closed) fails its requests, and the next request starts anew', async () => {
    const { batch } = doubling();
    const closed = { dialect: 'duckdb', whenFree: () => Promise.reject(new Error('The daemon has closed its warehouse')) } as unknown as Warehouse;
    await expect(batch.request(closed, 1)).rejects.toThrow(/closed/);
    expect(await batch.request(connection(false).wh, 1)).toBe(2);
  });
});
