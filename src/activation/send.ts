import type { Destination } from '../model/destination.js';
import { ActionsDestination, HTTPError, type CoreDestination } from './actions-core.js';
import { adapterOf, type ActionChoice } from './destinations/index.js';
import type { SegmentEvent } from './events.js';

/** What became of one event of a request. */
export type EventOutcome =
  | { kind: 'sent'; status: number }
  /** The destination (or the action's payload validation) refused it: dead-letter, do not retry. */
  | { kind: 'rejected'; status: number; reason: string; body: string };

/** What became of one request. */
export type SendOutcome =
  | { kind: 'done'; events: EventOutcome[] }
  /** Worth retrying: 5xx, 429, 408, timeouts, connection errors. */
  | { kind: 'retry'; status: number | null; retryAfterMs: number | undefined; reason: string }
  /** The whole request was refused with a 4xx: the destination's response goes to the dead letters. */
  | { kind: 'rejected'; status: number; reason: string; body: string };

const MAX_BODY_CHARS = 2000;
const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/**
 * Runs destinations' actions through actions-core's `Destination` class (DESIGN D8): one
 * instance per destination type, reused for every request.
 */
export class ActionRunner {
  private readonly instances = new Map<string, CoreDestination>();

  private instance(destination: Destination): CoreDestination {
    let d = this.instances.get(destination.type);
    if (!d) {
      d = new ActionsDestination(adapterOf(destination.type).definition);
      this.instances.set(destination.type, d);
    }
    return d;
  }

  /**
   * Sends one batch: mapping-kit transforms each event, the action's schema validates it, its
   * performBatch makes the request. Settings (and their secrets) are resolved here, at the moment
   * of use, and dropped when the call returns (DESIGN D9).
   */
  async send(
    destination: Destination,
    choice: ActionChoice,
    events: readonly SegmentEvent[],
    options: { timeoutMs: number; env?: NodeJS.ProcessEnv; onResponse?: (r: ResponseInfo) => void },
  ): Promise<SendOutcome> {
    const core = this.instance(destination);
    const settings = adapterOf(destination.type).settings(destination, options.env);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutAbort(options.timeoutMs)), options.timeoutMs);
    try {
      const nodes = await core.executeBatch(choice.action, { events: [...events], mapping: choice.mapping, settings, signal: controller.signal });
      const out: EventOutcome[] = events.map((_, i) => {
        const n = nodes[i];
        if (!n) return { kind: 'rejected', status: 500, reason: 'The action returned no result for this event.', body: '' };
        if (n.status >= 200 && n.status < 300) return { kind: 'sent', status: n.status };
        return { kind: 'rejected', status: n.status, reason: n.errormessage ?? `HTTP ${n.status}`, body: bodyText(n.body) };
      });
      // A per-event retryable status (a multistatus 5xx / 429) retries the whole request.
      const retryable = nodes.find((n) => n && isRetryableStatus(n.status));
      if (retryable) return { kind: 'retry', status: retryable.status, retryAfterMs: undefined, reason: `HTTP ${retryable.status}` };
      const last = core.responses[core.responses.length - 1];
      if (last && options.onResponse) options.onResponse({ status: last.status, url: last.request?.url, body: last.content ?? '' });
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

export interface ResponseInfo {
  status: number;
  url?: string;
  body: string;
}

class TimeoutAbort extends Error {
  constructor(ms: number) {
    super(`The destination did not answer within ${ms} ms.`);
    this.name = 'TimeoutError';
  }
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  const s = typeof body === 'string' ? body : JSON.stringify(body);
  return s.length > MAX_BODY_CHARS ? `${s.slice(0, MAX_BODY_CHARS)}…` : s;
}

function classifyError(e: unknown, onResponse?: (r: ResponseInfo) => void): SendOutcome {
  if (e instanceof HTTPError) {
    const r = e.response;
    const body = bodyText(r.content ?? r.data);
    onResponse?.({ status: r.status, body });
    if (isRetryableStatus(r.status)) {
      return { kind: 'retry', status: r.status, retryAfterMs: parseRetryAfter(r.headers.get('retry-after')), reason: `HTTP ${r.status}: ${body}` };
    }
    return { kind: 'rejected', status: r.status, reason: `HTTP ${r.status}`, body };
  }
  const err = e as { name?: string; code?: string; message?: string; status?: number; type?: string };
  const message = err?.message ?? String(e);
  if (
    err?.name === 'TimeoutError' ||
    err?.name === 'AbortError' ||
    err?.name === 'FetchError' ||
    err?.code === 'REQUESTTIMEOUTERROR' ||
    err?.code === 'REQUESTCLIENTERROR' ||
    (err?.code !== undefined && CONNECTION_CODES.has(err.code))
  ) {
    return { kind: 'retry', status: null, retryAfterMs: undefined, reason: message };
  }
  throw e;
}
