import type { Destination } from '../../model/destination.js';
import { EVENT_AS_IS, newActionsDestination, PAYLOAD_VALIDATION_FAILED, type CoreDestination } from '../actions-core.js';
import type { SegmentEvent } from '../build-event.js';
import { adapterOf, type ActionChoice } from '../destinations/index.js';
import { bodyText, classifyError, responseText, isCredentialsStatus, isRetryableStatus, unconfiguredOutcome, type EventOutcome, type ResponseInfo, type SendOutcome } from './classify.js';

export type { EventOutcome, ResponseInfo, SendOutcome } from './classify.js';

/**
 * Runs destinations' actions through actions-core's `Destination` class (decision D8): one
 * instance per destination type, reused for every request.
 */
export class ActionRunner {
  private readonly instances = new Map<string, CoreDestination>();

  private instance(destination: Destination): CoreDestination {
    let d = this.instances.get(destination.type);
    if (!d) {
      d = newActionsDestination(adapterOf(destination.type).definition);
      this.instances.set(destination.type, d);
    }
    return d;
  }

  /**
   * Sends one batch: mapping-kit transforms each event, the action's schema validates it, its
   * performBatch makes the request. Settings (and their secrets) are resolved here, at the moment
   * of use, and dropped when the call returns (decision D9); one that cannot be read (a secret not
   * set) is an outcome, not a throw, so delivery records the stop in the emitter's health.
   */
  async send(
    destination: Destination,
    choice: ActionChoice,
    events: readonly SegmentEvent[],
    options: { timeoutMs: number; env?: NodeJS.ProcessEnv; onResponse?: (r: ResponseInfo) => void },
  ): Promise<SendOutcome> {
    const core = this.instance(destination);
    let settings: unknown;
    try {
      settings = adapterOf(destination.type).settings(destination, options.env);
    } catch (e) {
      return unconfiguredOutcome(e);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutAbort(options.timeoutMs)), options.timeoutMs);
    try {
      // An as-is mapping runs as none: the action sends the events themselves (its rawData).
      const mapping = choice.eventAsIs ? EVENT_AS_IS : choice.mapping;
      const nodes = await core.executeBatch(choice.action, { events: [...events], mapping, settings, signal: controller.signal });
      const answer = core.responses[core.responses.length - 1];
      const out: EventOutcome[] = events.map((_, i) => {
        const n = nodes[i];
        if (!n) return { kind: 'rejected', httpStatus: answer?.status ?? null, reason: 'The action returned no result for this event.', body: '' };
        if (n.status >= 200 && n.status < 300) return { kind: 'sent', status: n.status };
        // A node's status classifies the item (4xx refused); what the destination answered is the batch's status.
        const httpStatus = n.errortype === PAYLOAD_VALIDATION_FAILED ? null : (answer?.status ?? null);
        // The vendor's message for one item can quote what it refused, a key included.
        return { kind: 'rejected', httpStatus, reason: n.errormessage === undefined ? `HTTP ${n.status}` : responseText(n.errormessage), body: bodyText(n.body) };
      });
      // A per-event credentials refusal blocks, and a per-event retryable status (a multistatus
      // 5xx / 429) retries, the whole request.
      const refusedCaller = nodes.find((n) => n && isCredentialsStatus(n.status));
      if (refusedCaller) return { kind: 'blocked', status: refusedCaller.status, reason: `HTTP ${refusedCaller.status}`, body: bodyText(refusedCaller.body) };
      const retryable = nodes.find((n) => n && isRetryableStatus(n.status));
      if (retryable) return { kind: 'retry', status: retryable.status, retryAfterMs: undefined, reason: `HTTP ${retryable.status}`, body: bodyText(retryable.body) };
      if (answer && options.onResponse) options.onResponse({ status: answer.status, url: answer.request?.url, body: responseText(answer.content ?? '') });
      return { kind: 'done', events: out };
    } catch (e) {
      return classifyError(e, options.onResponse);
    } finally {
      clearTimeout(timer);
      // actions-core keeps every response on the instance; we read what we need per call.
      core.responses.length = 0;
    }
  }
}

class TimeoutAbort extends Error {
  constructor(ms: number) {
    super(`The destination did not answer within ${ms} ms.`);
    this.name = 'TimeoutError';
  }
}

