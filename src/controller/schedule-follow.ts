import type { Schedule } from '../model/audience.js';
import { nextRunAt } from '../compute/schedule.js';

/**
 * Schedules follow applies. A run stores its audience's next run computed from the schedule it
 * ran under; when an apply changes the schedule, that slot may belong to the old one (every 15m ->
 * every 1m leaves a slot up to 15 minutes away; a daily cron -> every minute waits for tomorrow).
 *
 * The stored slot still fits the applied schedule when it is one of its slots and no slot of it
 * comes sooner from now; then it is kept (so a run that started a few ms before a slot does not
 * move its next run). Otherwise the next run is recomputed from the latest run's start (or now):
 * it may lie in the past, which makes the audience due at once, as its new schedule says.
 *
 * Returns the slot to store, or undefined when the stored one stands.
 */
export async function followedNextRun(
  schedule: Schedule,
  stored: Date,
  now: Date,
  latestRunStart: () => Promise<Date | undefined>,
): Promise<Date | undefined> {
  const isSlot = nextRunAt(schedule, new Date(stored.getTime() - 60_000)).getTime() === stored.getTime();
  const soonest = nextRunAt(schedule, now);
  if (isSlot && stored.getTime() <= soonest.getTime()) return undefined;
  const followed = nextRunAt(schedule, (await latestRunStart()) ?? now);
  return followed.getTime() === stored.getTime() ? undefined : followed;
}
