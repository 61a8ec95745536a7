import { INTERVALS, type Schedule as ScheduleModel } from '../src/model/audience.js';

export type Interval = (typeof INTERVALS)[number];

/** When an enabled audience computes (UTC). */
export const Schedule = {
  /** Every interval, aligned to the clock: '1m' ... '1d'. */
  every(interval: Interval): ScheduleModel {
    return { type: 'interval', every: interval };
  },
  /** A five-field cron expression, e.g. '0 6 * * *' (06:00 UTC daily). Checked at synth. */
  cron(expression: string): ScheduleModel {
    return { type: 'cron', expression };
  },
};
