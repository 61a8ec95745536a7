import type { BuiltEvent } from '../build-event.js';

/** Minutes a destination's retryable failures are retried before dead-lettering, unless it sets `retryBudgetMinutes` (Segment's 4 hours). */
export const DEFAULT_RETRY_BUDGET_MINUTES = 240;

export const retryBudgetMs = (d: { retryBudgetMinutes?: number }) => (d.retryBudgetMinutes ?? DEFAULT_RETRY_BUDGET_MINUTES) * 60_000;

/** The destination's last answer to a failed attempt: it goes with the dead letters. */
export interface FailedAnswer {
  status: number | null;
  body: string | null;
  reason: string;
}

/**
 * The retry budget of one emitter's delivery. The budget runs from the first failed attempt of
 * the events at the emitter's cursor (`since`, kept in the delivery health across runs and
 * restarts) until a success moves the cursor. An event queued behind them counts from the later
 * of `since` and its own creation, so a destination down for a day dead-letters events as they
 * pass their budget instead of granting each page a fresh one, and a recent event still gets its
 * whole budget.
 */
export class RetryBudget {
  /** Failed attempts since the emitter last delivered (across runs). */
  consecutiveFailures: number;
  /** The first failed attempt of the page being sent, if any, and the page's failed attempts. */
  pageFirstFailure: Date | null = null;
  pageFailures = 0;
  last: FailedAnswer | undefined;

  constructor(
    readonly budgetMs: number,
    readonly now: () => Date,
    /** The first failed attempt of the events at the cursor; null while none failed. */
    public since: Date | null,
    consecutiveFailures: number,
    /** Called when a failure starts the budget, to persist it at once. */
    private readonly onStart?: (since: Date) => void,
  ) {
    this.consecutiveFailures = consecutiveFailures;
  }

  /** Notes a failed attempt (starting the budget at the first one); returns its time. */
  failed(answer: FailedAnswer): Date {
    const at = this.now();
    this.consecutiveFailures += 1;
    this.pageFailures += 1;
    this.last = answer;
    this.pageFirstFailure ??= at;
    if (this.since === null) {
      this.since = at;
      this.onStart?.(at);
    }
    return at;
  }

  /** Notes an attempt refused for its credentials: a failure, but not one the budget counts from. */
  refusedCaller(answer: FailedAnswer): void {
    this.consecutiveFailures += 1;
    this.pageFailures += 1;
    this.last = answer;
  }

  startPage(): void {
    this.pageFirstFailure = null;
    this.pageFailures = 0;
  }

  /** A page delivered events: the failure the emitter was stuck on is over. */
  delivered(): void {
    this.since = null;
    this.consecutiveFailures = 0;
  }

  /**
   * A page delivered events and then stopped on a failure: the budget of the events it stopped
   * at runs from the page's first failed attempt.
   */
  deliveredThenFailed(): void {
    this.since = this.pageFirstFailure ?? this.now();
    this.consecutiveFailures = this.pageFailures;
  }

  /** How many leading events of `chunk` are past their budget at `at` (events are in creation order). */
  expiredCount(chunk: readonly BuiltEvent[], at: Date): number {
    if (this.since === null) return 0;
    const since = this.since.getTime();
    let n = 0;
    for (const e of chunk) {
      const created = Date.parse(e.row.createdAt);
      const start = Number.isNaN(created) ? since : Math.max(since, created);
      if (at.getTime() - start < this.budgetMs) break;
      n += 1;
    }
    return n;
  }

  /** The dead letters' reason for events past their budget. */
  exhaustedReason(destinationKey: string): string {
    const last = this.last ? `; last answer: ${this.last.reason}` : '';
    return `${destinationKey} kept failing for longer than its retry budget (${formatMinutes(this.budgetMs / 60_000)}) since ${this.since?.toISOString() ?? 'now'}${last}`.slice(0, 1000);
  }
}

/** 240 -> "4 h", 90 -> "90 min", 0.5 -> "30 s". */
export function formatMinutes(minutes: number): string {
  if (minutes >= 60 && minutes % 60 === 0) return `${minutes / 60} h`;
  if (minutes >= 1 && Number.isInteger(minutes)) return `${minutes} min`;
  return `${Math.round(minutes * 60)} s`;
}
