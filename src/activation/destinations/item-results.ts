import { newMultiStatusResponse, type CoreResponse, type MultiStatusResponse } from '../actions-core.js';

/** One item of a batch the destination refused inside a 2xx answer. */
export interface ItemError {
  /** Index of the item in the request's array (the event's index in the batch). */
  index: number;
  /** The status the item ends with: a 4xx dead-letters it, a 5xx / 429 retries the request. */
  status: number;
  /** The vendor's message for this item, as the dead letter's reason. */
  message: string;
  /** The vendor's own record of the error, kept as the dead letter's response. */
  body: unknown;
}

/**
 * Reads a vendor's per-item errors from a 2xx batch response (Braze `errors[]`, Iterable
 * `failedUpdates`, Customer.io's 207 `errors`). `items` are the request's items, in order.
 */
export type ItemErrorParser = (response: CoreResponse, items: readonly Record<string, unknown>[]) => ItemError[];

/**
 * The per-event outcome of a batch request that the destination answered with a 2xx: every item
 * the parser names fails with its own status and message, the others are sent. actions-core turns
 * this into one multistatus node per event, so the send stage dead-letters exactly the refused
 * events instead of counting the whole batch as sent.
 */
export function itemResults(response: CoreResponse, items: readonly Record<string, unknown>[], parse: ItemErrorParser): MultiStatusResponse {
  const errors = new Map<number, ItemError>();
  for (const e of parse(response, items)) if (e.index >= 0 && e.index < items.length && !errors.has(e.index)) errors.set(e.index, e);
  const out = newMultiStatusResponse();
  items.forEach((item, i) => {
    const e = errors.get(i);
    if (e) out.pushErrorResponse({ status: e.status, errormessage: e.message, body: e.body, sent: item });
    else out.pushSuccessResponse({ status: response.status, sent: item });
  });
  return out;
}

/** The JSON body of a response as an object (actions-core parses JSON bodies into `data`). */
export function jsonOf(response: CoreResponse): Record<string, unknown> {
  let data = response.data;
  if (data === undefined && typeof response.content === 'string') {
    try {
      data = JSON.parse(response.content);
    } catch {
      return {};
    }
  }
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}
