import { describe, expect, it } from 'vitest';
import { runOrdered } from '../../src/controller/order.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('runOrdered', () => {
  it('runs dependencies first and never exceeds the concurrency bound', async () => {
    const tasks = [
      { key: 'vip', dependsOn: ['travel', 'other'] },
      { key: 'travel', dependsOn: [] },
      { key: 'a', dependsOn: [] },
      { key: 'b', dependsOn: [] },
      { key: 'c', dependsOn: ['vip'] },
      { key: 'other', dependsOn: [] },
    ];
    const finished: string[] = [];
    let active = 0;
    let peak = 0;
    await runOrdered(tasks, 2, async (t) => {
      active++;
      peak = Math.max(peak, active);
      for (const d of t.dependsOn) expect(finished).toContain(d);
      await tick();
      active--;
      finished.push(t.key);
    });
    expect(peak).toBe(2);
    expect(finished.sort()).toEqual(['a', 'b', 'c', 'other', 'travel', 'vip']);
  });

  it('breaks a cycle instead of stalling, and a failed task still releases its dependants', async () => {
    const seen: string[] = [];
    await runOrdered(
      [
        { key: 'x', dependsOn: ['y'] },
        { key: 'y', dependsOn: ['x'] },
      ],
      1,
      async (t) => {
        seen.push(t.key);
        if (t.key === 'x') throw new Error('boom');
      },
    );
    expect(seen).toEqual(['x', 'y']);
  });

  it('starts nothing new once asked to stop', async () => {
    const seen: string[] = [];
    let stop = false;
    await runOrdered([{ key: 'a', dependsOn: [] }, { key: 'b', dependsOn: ['a'] }], 1, async (t) => {
      seen.push(t.key);
      stop = true;
    }, () => stop);
    expect(seen).toEqual(['a']);
  });
});
