import { expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.js';
import { SCHEMA } from '../compute/helpers.js';

/*
 * A tick longer than --tick-seconds (here: a warehouse that takes 2.5 s to refuse the connection,
 * with a tick every second): the schedule's firings during it join it without a word, and its
 * failure is logged once, not once per firing it spanned.
 */
it('a tick outlasting the interval: its failure is logged once, the firings it spans say nothing', async () => {
  const lines: string[] = [];
  let opened = 0;
  const controller = new Controller({
    schema: SCHEMA,
    tickSeconds: 1,
    log: (line) => lines.push(line),
    open: async () => {
      opened++;
      await new Promise((r) => setTimeout(r, 2_500));
      throw new Error('the warehouse is down');
    },
  });
  controller.start();
  await new Promise((r) => setTimeout(r, 3_200));
  const ticks = opened;
  await controller.stop();
  expect(ticks).toBeGreaterThanOrEqual(1);
  const failed = lines.filter((l) => l.startsWith('tick failed'));
  expect(failed.length).toBeLessThanOrEqual(ticks);
  expect(failed[0]).toBe('tick failed: the warehouse is down');
  expect(lines.filter((l) => !l.startsWith('tick failed') && !l.startsWith('could not record the stop'))).toEqual([]);
});
