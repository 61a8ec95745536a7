import { isLinkedError } from '../../model/errors.js';
import { printable } from '../../model/printable.js';
import { redactSecrets } from '../../secrets.js';
import { isHTTPError } from '../actions-core.js';

/*
 * How the send stage reads a destination's answer: sent, refused (dead-letter the events), worth
 * retrying (5xx, 429, 408, timeouts, connection errors), or blocked: the destination refuses the
 * caller, not the events (401, 403, 407: credentials), so nothing is dead-lettered and the emitter
 * waits until the secret is fixed. A secret the settings name that is not set (or too short to be
 * masked) is the same kind of stop, found before any request: unconfigured.
 */

/** What became of one event of a request. */
export type EventOutcome =
  | { kind: 'sent'; status: number }
  /**
   * The destination (or the action's payload validation) refused it: dead-letter, do not retry.
   * `httpStatus` is the status of the answer that refused it (a 2xx for a vendor's per-item error
   * inside a batch answer); null when no request was made for it (its payload failed validation).
   */
  | { kind: 'rejected'; httpStatus: number | null; reason: string; body: string };

/** What became of one request. */
export type SendOutcome =
  | { kind: 'done'; events: EventOutcome[] }
  /** Worth retrying: 5xx, 429, 408, timeouts, connection errors. `body` is the response, when there was one. */
  | { kind: 'retry'; status: number | null; retryAfterMs: number | undefined; reason: string; body?: string }
  /** The destination refused the credentials (401, 403, 407): not the events' fault. */
  | { kind: 'blocked'; status: number; reason: string; body: string }
  /** The whole request was refused with a 4xx: the destination's response goes to the dead letters. */
  | { kind: 'rejected'; status: number; reason: string; body: string }
  /**
   * Not sent: the destination's settings cannot be resolved (a secret not set in the environment, or too short).
   * Like refused credentials it is no event's fault and every event would meet it.
   */
  | { kind: 'unconfigured'; reason: string; blockedReason: string };

export interface ResponseInfo {
  status: number;
  url?: string;
  body: string;
}

const MAX_BODY_CHARS = 2000;
const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** Authentication or authorization refused: the same answer would come for any event. */
export function isCredentialsStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 407;
}

/** Why an emitter is blocked when its destination refuses the credentials. */
export const CREDENTIALS_REJECTED = 'credentials rejected';

/** What a secret that cannot be used blocks the emitter on, by the error resolving it. */
const UNUSABLE_SECRET = new Map([['SECRET_MISSING', 'not set'], ['SECRET_TOO_SHORT', 'too short']]);

/**
 * A destination's settings failing to resolve as an outcome: a secret not set or too short blocks
 * the emitter (its name in the reason, never a value); anything else is rethrown.
 */
export function unconfiguredOutcome(e: unknown): SendOutcome {
  const why = isLinkedError(e) ? UNUSABLE_SECRET.get(e.code) : undefined;
  if (isLinkedError(e) && why) {
    const name = typeof e.details?.secret === 'string' ? e.details.secret : undefined;
    return { kind: 'unconfigured', reason: `[${e.code}] ${e.message}`, blockedReason: name ? `secret ${name} ${why}` : `secret ${why}` };
  }
  throw e;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A destination's text as stored and shown: secrets it echoes masked, characters that would steer a terminal escaped. */
export const responseText = (text: string): string => printable(redactSecrets(text));

/** A response body as stored and shown (responseText), cut to a readable length. */
export function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  const s = responseText(typeof body === 'string' ? body : JSON.stringify(body));
  return s.length > MAX_BODY_CHARS ? `${s.slice(0, MAX_BODY_CHARS)}…` : s;
}

/** A thrown error as an outcome: HTTP errors by status, timeouts and connection errors retried; anything else rethrown. */
export function classifyError(e: unknown, onResponse?: (r: ResponseInfo) => void): SendOutcome {
  if (isHTTPError(e)) {
    const r = e.response;
    const body = bodyText(r.content ?? r.data);
    onResponse?.({ status: r.status, body });
    if (isRetryableStatus(r.status)) {
      return { kind: 'retry', status: r.status, retryAfterMs: parseRetryAfter(r.headers.get('retry-after')), reason: `HTTP ${r.status}: ${body}`, body };
    }
    if (isCredentialsStatus(r.status)) return { kind: 'blocked', status: r.status, reason: `HTTP ${r.status}: ${body}`, body };
    return { kind: 'rejected', status: r.status, reason: `HTTP ${r.status}`, body };
  }
  const err = e as { name?: string; code?: string; message?: string; status?: number; type?: string };
  // An HTTP client may quote the offending header value (a secret ending in a newline).
  const message = responseText(err?.message ?? String(e));
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
