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
 * When an event's retry budget ends: it runs from the later of the failure episode's start and the
 * event's creation (an event committed during an outage gets its whole budget, and no more).
 */
export function budgetEndsAt(since: Date, createdAt: string | null, budgetMs: number): Date {
  return new Date(budgetStart(since, createdAt).getTime() + budgetMs);
}

function budgetStart(since: Date, createdAt: string | null): Date {
  const created = createdAt === null ? Number.NaN : Date.parse(createdAt);
  return Number.isNaN(created) || created <= since.getTime() ? since : new Date(created);
}

/**
 * What a handled prefix of events tells of the destination: it answered them (accepted some, or
 * refused them for themselves with a 4xx other than a credentials refusal), or it did not (events
 * dead-lettered past their budget or too large to send). An answer says the destination works and
 * accepts the caller: it ends a failure episode and any block.
 */
export function answerOf(handled: { sent: number; deadLetters: readonly { reasonCode: string }[] }): 'accepted' | 'refused' | undefined {
  if (handled.sent > 0) return 'accepted';
  return handled.deadLetters.some((d) => d.reasonCode === 'DESTINATION_REJECTED') ? 'refused' : undefined;
}

/**
 * The failure episode of one emitter's delivery and its retry budget: the one place that decides
 * when an episode starts and when it ends. It starts at the first failed attempt of the events at
 * the emitter's cursor (`since`, kept in the delivery health across runs and restarts). It ends
 * when the destination answers (`answered`: events accepted, or refused for themselves), or when a
 * pass reaches the end of the emitter's events with nothing left stuck (`drained`: the events it
 * was counting for were dead-lettered). While the destination stays down, events queued behind
 * the ones dead-lettered stay in the same episode and count from the later of `since` and their
 * own creation, so a destination down for a day dead-letters events as they pass their budget
 * instead of granting each page a fresh one; once the episode is over, the next event gets its
 * whole budget from its own first failure.
 */
export class RetryBudget {
  /** Failed attempts of the current failure episode (across runs). */
  consecutiveFailures: number;
  last: FailedAnswer | undefined;
  /** The last failed attempt of this pass, if any (a refusal of the credentials included). */
  lastFailedAt: Date | null = null;

  constructor(
    readonly budgetMs: number,
    readonly now: () => Date,
    /** The first failed attempt of the events at the cursor; null while none failed. */
    public since: Date | null,
    consecutiveFailures: number,
    /** Called when a failure starts the budget, to persist it at once. */
    private readonly onStart?: (since: Date) => void,
    /** The emitter was blocked when the pass started (credentials refused, a secret not set). */
    public blocked = false,
    /** The last failed attempt on record when the pass started. */
    private readonly recordedFailureAt: Date | null = null,
  ) {
    this.consecutiveFailures = consecutiveFailures;
  }

  /** An episode on record was found over at the pass's start (`firstEvents`): its end must be recorded. */
  private endedAtStart = false;

  /**
   * The events the pass starts with, by the creation of the first. Created after the last failed
   * attempt on record, they never failed: the episode on record did not count for them, and is
   * over. Only a pass that ended without recording it leaves one open so (a crash between its last
   * commit and its health write, or a record of an older version); left open, it would judge the
   * next event's budget from that event's creation and dead-letter it at its first failure.
   */
  firstEvents(createdAt: string): void {
    if (this.since === null || this.recordedFailureAt === null || this.blocked) return;
    if (Date.parse(createdAt) <= this.recordedFailureAt.getTime()) return;
    this.since = null;
    this.consecutiveFailures = 0;
    this.endedAtStart = true;
  }

  /** Notes a failed attempt (starting the budget at the first one); returns its time. */
  failed(answer: FailedAnswer): Date {
    const at = this.now();
    this.consecutiveFailures += 1;
    this.last = answer;
    this.lastFailedAt = at;
    if (this.since === null) {
      this.since = at;
      this.onStart?.(at);
    }
    return at;
  }

  /** Notes an attempt refused for its credentials: a failure, but not one the budget counts from. */
  refusedCaller(answer: FailedAnswer): void {
    this.consecutiveFailures += 1;
    this.last = answer;
    this.lastFailedAt = this.now();
  }

  /** The pass stopped on a block: no budget runs while the emitter waits for a person. */
  block(): void {
    this.since = null;
    this.blocked = true;
  }

  /** The destination answered the page's events (`answerOf`): the failure episode and any block are over. */
  answered(): void {
    this.since = null;
    this.consecutiveFailures = 0;
    this.blocked = false;
  }

  /**
   * The destination answered some of the page's events and then the page stopped on a failure: a
   * new episode, whose budget runs from the page's first failed attempt.
   */
  answeredThenFailed(page: PageBudget): void {
    this.blocked = false;
    this.since = page.firstFailure ?? this.now();
    this.consecutiveFailures = page.failures;
  }

  /**
   * The pass reached the end of the emitter's events with nothing stuck: the events the episode
   * was counting for left the cursor (sent or dead-lettered), so the episode and any block are
   * over. True when there was one to end, which the emitter's health must then record.
   */
  drained(): boolean {
    const open = this.since !== null || this.consecutiveFailures > 0 || this.blocked || this.endedAtStart;
    this.answered();
    return open;
  }

  /** When the events at `createdAt` reach their budget; null outside a failure episode. */
  endsAt(createdAt: string | null): Date | null {
    return this.since === null ? null : budgetEndsAt(this.since, createdAt, this.budgetMs);
  }

  /** How many leading events of `chunk` are past their budget at `at` (events are in creation order). */
  expiredCount(chunk: readonly BuiltEvent[], at: Date): number {
    let n = 0;
    for (const e of chunk) {
      const ends = this.endsAt(e.row.createdAt);
      if (ends === null || at.getTime() < ends.getTime()) break;
      n += 1;
    }
    return n;
  }

  /** The dead letter's reason for an event past its budget: the budget and when it started for that event. */
  exhaustedReason(destinationKey: string, e: BuiltEvent): string {
    const last = this.last ? `; last answer: ${this.last.reason}` : '';
    const start = this.since === null ? 'now' : budgetStart(this.since, e.row.createdAt).toISOString();
    return `${destinationKey} kept failing for longer than its retry budget (${formatMinutes(this.budgetMs / 60_000)}) since ${start}${last}`.slice(0, 1000);
  }
}

/**
 * The budget as one page's batches report to it: the emitter's budget, and the page's own failed
 * attempts apart (two pages' batches may be in flight at once: what a page's answer ends or starts
 * is judged by its own).
 */
export class PageBudget {
  /** The page's first failed attempt, if any. */
  firstFailure: Date | null = null;
  /** The page's failed attempts, credentials refusals included. */
  failures = 0;

  constructor(private readonly budget: RetryBudget) {}

  /** The emitter is blocked (credentials refused, a secret not set): its page probes with one request. */
  get blocked(): boolean {
    return this.budget.blocked;
  }

  failed(answer: FailedAnswer): Date {
    const at = this.budget.failed(answer);
    this.firstFailure ??= at;
    this.failures += 1;
    return at;
  }

  refusedCaller(answer: FailedAnswer): void {
    this.budget.refusedCaller(answer);
    this.failures += 1;
  }

  expiredCount(chunk: readonly BuiltEvent[], at: Date): number {
    return this.budget.expiredCount(chunk, at);
  }

  exhaustedReason(destinationKey: string, e: BuiltEvent): string {
    return this.budget.exhaustedReason(destinationKey, e);
  }
}

/** 240 -> "4 h", 90 -> "90 min", 0.5 -> "30 s". */
export function formatMinutes(minutes: number): string {
  if (minutes >= 60 && minutes % 60 === 0) return `${minutes / 60} h`;
  if (minutes >= 1 && Number.isInteger(minutes)) return `${minutes} min`;
  return `${Math.round(minutes * 60)} s`;
}
