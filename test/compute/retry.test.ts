import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep, withRetry } from '../../src/retry.js';

const policy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 300 };

describe('retry (shared by compute and activation)', () => {
  it('backs off exponentially, capped, with either jitter', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(policy, a, 'spread', () => 0.5))).toEqual([100, 200, 300, 300]);
    expect(backoffDelay(policy, 1, 'spread', () => 0)).toBe(75);
    expect(backoffDelay(policy, 1, 'spread', () => 1)).toBe(125);
    expect(backoffDelay(policy, 2, 'equal', () => 0)).toBe(100);
    expect(backoffDelay(policy, 2, 'equal', () => 1)).toBe(200);
  });

  it('retries what is retryable up to the attempts, and throws anything else at once', async () => {
    const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 };
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('busy'); }, fast, { retryable: () => true })).rejects.toThrow('busy');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('bad'); }, fast, { retryable: () => false })).rejects.toThrow('bad');
    expect(calls).toBe(1);
    expect(await withRetry(async (attempt) => { if (attempt < 2) throw new Error('once'); return attempt; }, fast, { retryable: () => true })).toBe(2);
  });

  it('honours a delay the failure asks for, up to a cap', async () => {
    const delays: number[] = [];
    const asks = (ms: number) => Object.assign(new Error('429'), { ms });
    const opts = { retryable: () => true, retryAfterMs: (e: unknown) => (e as { ms: number }).ms, maxRetryAfterMs: 50, onRetry: (_: number, __: unknown, d: number) => delays.push(d) };
    expect(await withRetry(async (a) => { if (a === 1) throw asks(5); return 'ok'; }, policy, opts)).toBe('ok');
    expect(delays).toEqual([5]);
    await expect(withRetry(async () => { throw asks(500); }, policy, opts)).rejects.toThrow('429');
  });

  it('a wait stops when its signal aborts, with the error asked for', async () => {
    const abort = new AbortController();
    const waiting = sleep(60_000, abort.signal, () => new Error('cancelled'));
    abort.abort();
    await expect(waiting).rejects.toThrow('cancelled');
    await expect(sleep(10, abort.signal, () => new Error('already'))).rejects.toThrow('already');
  });
});
