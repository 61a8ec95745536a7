import cron from 'node-cron';
import type { Schedule } from '../model/audience.js';
import { LinkedError } from '../model/errors.js';

/** Interval sugar as cron (UTC): every interval divides its next unit, so slots align to the clock. */
export function cronExpression(schedule: Schedule): string {
  if (schedule.type === 'cron') return schedule.expression;
  const n = Number.parseInt(schedule.every, 10);
  const unit = schedule.every.slice(-1);
  if (unit === 'm') return n === 1 ? '* * * * *' : `*/${n} * * * *`;
  if (unit === 'h') return n === 1 ? '0 * * * *' : `0 */${n} * * *`;
  return '0 0 * * *';
}

/** Human form for status output. */
export function describeSchedule(schedule: Schedule): string {
  return schedule.type === 'interval' ? `every ${schedule.every}` : `cron ${schedule.expression}`;
}

const DAY = 86_400_000;

function firstCandidate(day: number, hours: number[], minutes: number[], notBefore: number): number | undefined {
  for (const h of hours) {
    for (const m of minutes) {
      const at = day + h * 3_600_000 + m * 60_000;
      if (at >= notBefore) return at;
    }
  }
  return undefined;
}

/**
 * The first slot of `schedule` strictly after `after` (whole minutes, UTC). Day by day: the
 * minutes and hours of the expression are enumerated, and node-cron's own matcher decides each
 * day (so day-of-month / day-of-week / month follow node-cron's semantics exactly).
 */
export function nextRunAt(schedule: Schedule, after: Date): Date {
  const expression = cronExpression(schedule);
  if (!cron.validate(expression)) throw new LinkedError('INVALID_SCHEDULE', `Invalid cron expression: ${expression}`);
  const fields = cron.parse(expression);
  const minutes = [...fields.minute].sort((a, b) => a - b);
  const hours = [...fields.hour].sort((a, b) => a - b);
  const task = cron.createTask(expression, () => undefined, { timezone: 'UTC' });
  try {
    const start = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
    const firstDay = Math.floor(start / DAY) * DAY;
    // Five years covers every satisfiable five-field expression (29 February included).
    for (let day = firstDay; day < firstDay + 5 * 366 * DAY; day += DAY) {
      const first = firstCandidate(day, hours, minutes, start);
      // The first candidate of a day decides the day: every later one shares its date fields.
      if (first !== undefined && task.match(new Date(first))) return new Date(first);
    }
  } finally {
    void task.destroy();
  }
  throw new LinkedError('INVALID_SCHEDULE', `The cron expression ${expression} never fires.`);
}
