import { HTTPError } from '../actions-core.js';

/*
 * How the send stage reads a destination's answer: sent, refused (dead-letter the events), or
 * worth retrying (5xx, 429, 408, timeouts, connection errors).
 */

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

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  const s = typeof body === 'string' ? body : JSON.stringify(body);
  return s.length > MAX_BODY_CHARS ? `${s.slice(0, MAX_BODY_CHARS)}…` : s;
}

/** A thrown error as an outcome: HTTP errors by status, timeouts and connection errors retried; anything else rethrown. */
export function classifyError(e: unknown, onResponse?: (r: ResponseInfo) => void): SendOutcome {
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
