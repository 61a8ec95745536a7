/**
 * How often a serving daemon looks at its warehouse while nothing is due. A Snowflake warehouse is
 * billed while it runs and any statement resumes it, so a daemon that looks at every tick keeps it
 * running around the clock. Paced by `everyMs`, a controller's look that finds nothing to compute
 * starts a quiet spell: no statement until the earliest scheduled run, or `everyMs` later,
 * whichever comes first. What only the warehouse can tell (compute requests from other
 * processes, applies, replays) waits for the next look. Without `everyMs`, never quiet.
 *
 * The controller and the delivery loop share one pacing: the delivery loop looks while the
 * warehouse is awake anyway (once after each of the controller's looks), so a quiet spell is not
 * broken by two loops taking turns.
 */
export class LookPacing {
  private quietUntil = 0;
  private lookedAt = -Infinity;

  constructor(
    /** The longest quiet spell, in ms; undefined: look at every tick. */
    readonly everyMs?: number,
  ) {}

  /** Something outside the ticks looked at the warehouse and may have changed it (a git sync's apply): the next tick looks. */
  wake(): void {
    this.quietUntil = 0;
  }

  /** Whether the controller's tick at `now` may leave the warehouse alone. */
  quiet(now: number): boolean {
    return now < this.quietUntil;
  }

  /** The controller looks at `now` (its tick opens the warehouse). */
  looked(now: number): void {
    this.lookedAt = now;
    this.quietUntil = 0;
  }

  /**
   * The controller's look at `now` found nothing to compute and no request; the next scheduled
   * run is due at `nextDueAt` (undefined: none is scheduled).
   */
  foundNothing(now: number, nextDueAt: number | undefined): void {
    if (this.everyMs === undefined) return;
    this.quietUntil = Math.min(nextDueAt ?? Infinity, now + this.everyMs);
  }

  /**
   * Whether a loop that last looked at `since` should look at `now`: always outside a quiet spell;
   * inside one, once after each of the controller's looks.
   */
  mayLook(now: number, since: number): boolean {
    return !this.quiet(now) || since < this.lookedAt;
  }
}
