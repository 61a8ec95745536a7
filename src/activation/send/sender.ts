import type { Destination } from '../../model/destination.js';
import type { Warehouse } from '../../warehouse/types.js';
import type { FailureRecord } from '../../state/delivery/health.js';
import type { DeadLetterInput, RunCounts, SourceRow } from '../../state/delivery/types.js';
import type { BuiltEvent } from '../build-event.js';
import { adapterOf } from '../destinations/index.js';
import type { ResolvedEmitter } from '../emitter-context.js';
import { backoffDelay, sleep } from '../../retry.js';
import { DEFAULT_RETRY_POLICY, type DeliveryRetryPolicy as RetryPolicy } from '../flow.js';
import type { PageBudget } from './budget.js';
import { RateLimiter, Semaphore } from './flow-control.js';
import { CREDENTIALS_REJECTED } from './classify.js';
import { ActionRunner, type SendOutcome } from './runner.js';

/**
 * What became of one request, as the daemon's request-latency metric labels it: `ok` (answered
 * for its events: sent, or refused item by item), `rejected` (refused as a whole with a 4xx),
 * `retry` (5xx, 429, 408, a timeout or a connection error), `blocked` (401, 403, 407: the
 * credentials refused). docs/operations.md lists the same values.
 */
export const REQUEST_OUTCOMES = ['ok', 'rejected', 'retry', 'blocked'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

export interface SenderOptions {
  /** Requests in flight per destination. Default 4. */
  concurrency?: number;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  env?: NodeJS.ProcessEnv;
  /** The delivery's warehouse connection: destinations that write to the warehouse use it. */
  warehouse?: Warehouse;
  /**
   * Cuts short the wait between attempts (a daemon's SIGTERM): the batch stops there, as after its
   * last attempt, its events left after the cursor. A request in flight is not cut short.
   */
  signal?: AbortSignal;
  /** Called after each request with its latency and outcome. */
  onRequest?: (r: { destinationKey: string; durationMs: number; outcome: RequestOutcome }) => void;
}

/** Per destination: the rate limit and the in-flight bound its emitters share. */
interface DestinationFlow {
  limiter: RateLimiter;
  semaphore: Semaphore;
}

/**
 * Why a request stopped the emitter without being the events' fault: the destination refused the
 * credentials, or a secret its settings name is not set (no status: nothing was sent).
 */
export interface BlockedAnswer {
  status: number | null;
  reason: string;
  body: string;
  /** What the emitter's health says it is blocked on ("credentials rejected", "secret HOOK_TOKEN not set"). */
  blockedReason: string;
}

/**
 * The emitter's health record of a stop on a block, by delivery or replay: it waits for a person,
 * so no retry budget runs (`failingSince` null) and the block keeps the time it first started.
 */
export function blockedFailure(blocked: BlockedAnswer, at: Date, consecutiveFailures: number): FailureRecord {
  return { at, consecutiveFailures, failingSince: null, blockedReason: blocked.blockedReason, error: blocked.reason, httpStatus: blocked.status };
}

export type ChunkResult =
  | { kind: 'handled'; sent: SourceRow[]; deadLetters: DeadLetterInput[] }
  /**
   * Stopped: the events from `firstUnhandledId` on stay after the cursor. `sent` and
   * `deadLetters` are what was handled before them (a bisected half, events past their budget).
   */
  | {
      kind: 'gave_up';
      reason: string;
      firstUnhandledId: number;
      sent: SourceRow[];
      deadLetters: DeadLetterInput[];
      blocked?: BlockedAnswer;
      /** Stopped before its request went: no failure of the destination's. */
      notSent?: true;
    };

/** A gate's answer right before a request: go (undefined), wait again, or do not send, and why. */
export type GateAnswer = undefined | 'wait' | { notSent: string };

/**
 * How a batch waits for the other batches of its pass (batch.ts) before each attempt: `ready`
 * waits outside the bound on requests in flight (holding no place there) and gives a reason not
 * to send at all; `check`, holding its place, answers at once right before the request, since
 * what `ready` waited for may have changed while the place was awaited. `failing` reports an
 * attempt that failed and is retried.
 */
export interface BatchGate {
  ready(): Promise<string | undefined>;
  check(): GateAnswer;
  failing(): void;
}

/** Statuses where one bad event may have sunk the batch: split it to find the event. */
const BISECT_STATUSES = new Set([400, 413, 422]);

/**
 * Sends batches to destinations with the delivery guarantees: a per-destination rate limit and
 * in-flight bound, exponential backoff with jitter on 5xx / 429 (Retry-After honoured) / timeouts /
 * connection errors until the emitter's retry budget ends (then dead letters, with the last
 * answer), a stop without dead letters when the credentials are refused or a secret is not set, dead letters (with the
 * destination's response) for any other 4xx.
 */
export class Sender {
  readonly runner = new ActionRunner();
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  private readonly flows = new Map<string, DestinationFlow>();

  constructor(
    destinations: readonly Destination[],
    private readonly opts: SenderOptions = {},
  ) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    for (const d of destinations) {
      this.flows.set(d.key, {
        limiter: new RateLimiter(d.requestsPerSecond ?? adapterOf(d.type).defaultRequestsPerSecond),
        semaphore: new Semaphore(Math.max(1, opts.concurrency ?? 4)),
      });
    }
  }

  /** Asked to stop (the signal aborted): a batch not yet sent is not sent. */
  get stopping(): boolean {
    return this.opts.signal?.aborted === true;
  }

  /**
   * Sends one batch until it is handled (sent or dead-lettered) or it stops: the run's attempts are
   * spent, the destination asks to wait too long, it refuses the credentials, or the signal aborts
   * while it waits to retry. With a budget, events past it are dead-lettered at their next failure;
   * without one (replays) nothing expires. With a `gate` (a page's batches, batch.ts), each attempt
   * first waits as the gate says, and a reason it gives stops the batch unsent (`notSent`), its
   * events left after the cursor.
   */
  async sendChunk(r: ResolvedEmitter, chunk: BuiltEvent[], counts: RunCounts, budget?: PageBudget, gate?: BatchGate): Promise<ChunkResult> {
    const flow = this.flows.get(r.destination.key)!;
    const notSent = (reason: string): ChunkResult => ({ kind: 'gave_up', reason: `${r.destination.key}: ${reason}`, firstUnhandledId: chunk[0].row.id, sent: [], deadLetters: [], notSent: true });
    for (let attempt = 1; ; attempt++) {
      const stop = await gate?.ready();
      if (stop !== undefined) return notSent(stop);
      await flow.limiter.acquire();
      let answer: GateAnswer;
      const outcome: SendOutcome | undefined = await flow.semaphore.run(async () => {
        answer = gate?.check();
        if (answer !== undefined) return undefined;
        const began = performance.now();
        const events = chunk.map((c) => c.event);
        const adapter = adapterOf(r.destination.type);
        const result = adapter.write
          ? await adapter.write(r.destination, events, { warehouse: this.opts.warehouse, audienceKey: r.audience.key, emitterKey: r.emitter.key })
          : await this.runner.send(r.destination, r.choice, events, { timeoutMs: this.timeoutMs, env: this.opts.env });
        // Settings that did not resolve made no request.
        if (result.kind !== 'unconfigured') {
          this.opts.onRequest?.({ destinationKey: r.destination.key, durationMs: performance.now() - began, outcome: result.kind === 'done' ? 'ok' : result.kind });
        }
        return result;
      });
      if (outcome === undefined) {
        if (answer !== 'wait') return notSent(answer!.notSent);
        // No request went: the attempt is not spent.
        attempt -= 1;
        continue;
      }
      if (outcome.kind !== 'unconfigured') counts.requests += 1;
      if (outcome.kind === 'done') {
        const sent: SourceRow[] = [];
        const deadLetters: DeadLetterInput[] = [];
        outcome.events.forEach((o, i) => {
          if (o.kind === 'sent') sent.push(chunk[i].row);
          else deadLetters.push(deadLetter(r, chunk[i], 'DESTINATION_REJECTED', o.reason, o.httpStatus, o.body));
        });
        return { kind: 'handled', sent, deadLetters };
      }
      if (outcome.kind === 'rejected') {
        if (chunk.length > 1 && BISECT_STATUSES.has(outcome.status)) return this.bisect(r, chunk, counts, budget, gate);
        return { kind: 'handled', sent: [], deadLetters: chunk.map((c) => deadLetter(r, c, 'DESTINATION_REJECTED', outcome.reason, outcome.status, outcome.body)) };
      }
      const unhandled = { firstUnhandledId: chunk[0].row.id, sent: [], deadLetters: [] };
      if (outcome.kind === 'blocked') {
        const reason = `${r.destination.key} refused the credentials: ${outcome.reason}`.slice(0, 500);
        budget?.refusedCaller({ status: outcome.status, body: outcome.body, reason });
        return { kind: 'gave_up', reason, blocked: { status: outcome.status, reason, body: outcome.body, blockedReason: CREDENTIALS_REJECTED }, ...unhandled };
      }
      if (outcome.kind === 'unconfigured') {
        const reason = `${r.destination.key}: ${outcome.reason}`.slice(0, 500);
        budget?.refusedCaller({ status: null, body: null, reason });
        return { kind: 'gave_up', reason, blocked: { status: null, reason, body: '', blockedReason: outcome.blockedReason }, ...unhandled };
      }
      const reason = `${r.destination.key}: ${outcome.reason}`.slice(0, 500);
      if (budget) {
        const at = budget.failed({ status: outcome.status, body: outcome.body ?? null, reason });
        const expired = budget.expiredCount(chunk, at);
        if (expired > 0) {
          const deadLetters = chunk
            .slice(0, expired)
            .map((c) => deadLetter(r, c, 'RETRY_BUDGET_EXHAUSTED', budget.exhaustedReason(r.destination.key, c), outcome.status, outcome.body ?? null));
          if (expired === chunk.length) return { kind: 'handled', sent: [], deadLetters };
          return { kind: 'gave_up', reason, firstUnhandledId: chunk[expired].row.id, sent: [], deadLetters };
        }
      }
      if (attempt >= this.retry.maxAttempts) return { kind: 'gave_up', reason: `${reason} (gave up after ${attempt} attempts)`, ...unhandled };
      if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > this.retry.maxRetryAfterMs) {
        return { kind: 'gave_up', reason: `${reason} (Retry-After ${Math.round(outcome.retryAfterMs / 1000)} s)`, ...unhandled };
      }
      gate?.failing();
      // Stopping ends the wait, not the failure's record: the attempts made stay counted, none is added.
      if (!(await waitUnlessStopped(outcome.retryAfterMs ?? backoffDelay(this.retry, attempt, 'equal'), this.opts.signal))) {
        return { kind: 'gave_up', reason: `${reason} (stopping, not retried)`, ...unhandled };
      }
      counts.retries += 1;
    }
  }

  /**
   * Splits a refused batch to isolate the refused events. The halves go one after the other, so
   * a user's later event never reaches the destination before the earlier one; a half that stops
   * stops the rest.
   */
  private async bisect(r: ResolvedEmitter, chunk: BuiltEvent[], counts: RunCounts, budget: PageBudget | undefined, gate?: BatchGate): Promise<ChunkResult> {
    const mid = Math.ceil(chunk.length / 2);
    const a = await this.sendChunk(r, chunk.slice(0, mid), counts, budget, gate);
    if (a.kind === 'gave_up') return a;
    const b = await this.sendChunk(r, chunk.slice(mid), counts, budget, gate);
    return { ...b, sent: [...a.sent, ...b.sent], deadLetters: [...a.deadLetters, ...b.deadLetters] };
  }
}

/** Waits `ms`; false when `signal` aborted first (at once when it already had). */
function waitUnlessStopped(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return sleep(ms, signal).then(
    () => true,
    () => false,
  );
}

/** A dead letter for one built event, with the destination's status and response when there is one. */
export function deadLetter(r: ResolvedEmitter, e: BuiltEvent, reasonCode: string, reason: string, httpStatus: number | null, body: string | null): DeadLetterInput {
  return { row: e.row, messageId: e.event.messageId, eventName: r.eventName, event: e.event, reasonCode, reason, httpStatus, responseBody: body };
}
