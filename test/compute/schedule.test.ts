import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { cronExpression, nextRunAt } from '../../src/compute/schedule.js';
import { INTERVALS, type Schedule } from '../../src/model/audience.js';

/** Reference: walk minute by minute with node-cron's matcher (slow, obviously right). */
function bruteNext(expression: string, after: Date): Date {
  const task = cron.createTask(expression, () => undefined, { timezone: 'UTC' });
  let t = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
  while (!task.match(new Date(t))) t += 60_000;
  void task.destroy();
  return new Date(t);
}

describe('nextRunAt', () => {
  const afters = ['2026-11-28T12:00:00Z', '2026-11-28T12:07:31Z', '2026-12-31T23:59:59Z', '2027-02-27T05:59:00Z'].map((s) => new Date(s));
  it('matches a minute-by-minute walk for every interval', () => {
    for (const every of INTERVALS) {
      const s: Schedule = { type: 'interval', every };
      for (const a of afters) expect(nextRunAt(s, a).toISOString(), `${every} after ${a.toISOString()}`).toBe(bruteNext(cronExpression(s), a).toISOString());
    }
  });
  it('matches a minute-by-minute walk for cron expressions', () => {
    for (const expression of ['0 6 * * *', '30 9 * * 1-5', '15,45 */3 * * *', '0 0 1 * *', '0 12 * * 0']) {
      for (const a of afters) expect(nextRunAt({ type: 'cron', expression }, a).toISOString()).toBe(bruteNext(expression, a).toISOString());
    }
  });
  it('is strictly after the given time', () => {
    const at = new Date('2026-11-28T06:00:00Z');
    expect(nextRunAt({ type: 'cron', expression: '0 6 * * *' }, at).toISOString()).toBe('2026-11-29T06:00:00.000Z');
  });
  it('rejects an invalid expression', () => {
    expect(() => nextRunAt({ type: 'cron', expression: 'not a cron' }, new Date())).toThrow(/Invalid cron/);
  });
});
