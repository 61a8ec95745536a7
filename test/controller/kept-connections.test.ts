import { expect, it } from 'vitest';
import { KeptConnections } from '../../src/controller/kept-connections.js';
import type { Warehouse } from '../../src/warehouse/types.js';

/** Connections that say which one answered and count their opens and closes. */
function connections() {
  let opened = 0;
  const closed: number[] = [];
  const open = async (): Promise<Warehouse> => {
    const id = ++opened;
    return {
      dialect: 'snowflake',
      query: async <T>() => ({ rows: [{ id }] as T[] }),
      stream: async function* () {},
      transaction: async (fn) => fn(undefined as never),
      describeTable: async () => undefined,
      tableNames: async () => [],
      close: async () => void closed.push(id),
    };
  };
  return { open, opened: () => opened, closed };
}
const idOf = async (wh: Warehouse) => (await wh.query<{ id: number }>('SELECT 1')).rows[0]!.id;

it('gives back what it lent, keeps at most maxIdle, drops those idle too long, closes the rest when it stops', async () => {
  const c = connections();
  const kept = new KeptConnections(c.open, 2, 50);
  const a = await kept.open();
  const b = await kept.open();
  const d = await kept.open();
  expect([await idOf(a), await idOf(b), await idOf(d)]).toEqual([1, 2, 3]);
  await a.close();
  await b.close();
  await d.close(); // a third idle one is one too many
  await d.close(); // a second close of one handle gives nothing back twice
  expect(c.closed).toEqual([3]);
  expect(await idOf(await kept.open())).toBe(2);
  expect(c.opened()).toBe(3);

  await new Promise((r) => setTimeout(r, 80));
  // Connection 1 stayed idle past maxIdleMs: closed, and a new one opened.
  const fresh = await kept.open();
  expect(await idOf(fresh)).toBe(4);
  expect(c.closed).toEqual([3, 1]);

  await kept.close();
  await fresh.close();
  expect(c.closed.sort()).toEqual([1, 3, 4]);
});
