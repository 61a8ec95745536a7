import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { restEndpointMethods } from '@octokit/plugin-rest-endpoint-methods';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';

/*
 * The REST client: octokit's core with the plugins this layer uses (the endpoint methods,
 * pagination, retries of 5xx answers, GitHub's advice on write rates). The `octokit` package
 * bundles the same core with App, OAuth, webhook and GraphQL layers this tool never calls, whose
 * type declarations would be most of what a type check of this project reads.
 */
const RestOctokit = Octokit.plugin(restEndpointMethods, paginateRest, retry, throttling);

export type RestClient = InstanceType<typeof RestOctokit>;

export interface RestClientOptions {
  token: string;
  baseUrl: string;
  /** Retries of a 5xx answer; 0 turns retrying off. */
  retries: number;
  /** GitHub's advice for writes, as the throttling plugin applies it. */
  throttle: boolean;
}

export function createRestClient(o: RestClientOptions): RestClient {
  // Retry once after GitHub's Retry-After, then fail with GitHub's message.
  const retryOnce = (_after: number, opts: { request: object }) => (opts.request as { retryCount?: number }).retryCount === 0;
  return new RestOctokit({
    auth: o.token,
    baseUrl: o.baseUrl,
    userAgent: 'linked-audiences',
    retry: { enabled: o.retries > 0, retries: o.retries },
    throttle: { enabled: o.throttle, onRateLimit: retryOnce, onSecondaryRateLimit: retryOnce },
    // octokit logs a warning on rate limits; it never holds the token, but keep our output ours.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}
