import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideRetry, defaultRetryPolicy, type RetryPolicy } from './retry-policy.ts';

const policy: RetryPolicy = {
  maxAttempts: 10,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 300_000,
};
const failure = { message: 'Graph answered 503' };

describe('decideRetry', () => {
  it.each([
    [1, 0, 500],
    [1, 0.999, 999],
    [2, 0, 1000],
    [3, 0.5, 3000],
    [6, 0, 16_000],
    [7, 0.5, 45_000], // 64 s capped to 60 s
    [9, 0, 30_000],
  ])('after attempt %i with random %f waits %i ms', (attempts, random, delayMs) => {
    expect(decideRetry(policy, attempts, failure, random)).toEqual({ kind: 'retry', delayMs });
  });

  it("honours a server's Retry-After, capped, with at most 10% (≤ 1 s) added", () => {
    expect(decideRetry(policy, 1, { ...failure, retryAfterMs: 2000 }, 0)).toEqual({
      kind: 'retry',
      delayMs: 2000,
    });
    expect(decideRetry(policy, 1, { ...failure, retryAfterMs: 2000 }, 0.5)).toEqual({
      kind: 'retry',
      delayMs: 2100,
    });
    expect(decideRetry(policy, 1, { ...failure, retryAfterMs: 900_000 }, 0)).toEqual({
      kind: 'retry',
      delayMs: 300_000,
    });
  });

  it('gives up with the reason after the last attempt', () => {
    expect(decideRetry(policy, 10, failure, 0.3)).toEqual({
      kind: 'give-up',
      reason: 'gave up after 10 attempts: Graph answered 503',
    });
  });

  it('always waits between half the backoff and the backoff, never past the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, r) => {
          const decision = decideRetry(policy, n, failure, r);
          const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
          return decision.kind === 'retry' && decision.delayMs >= ceiling / 2 && decision.delayMs <= ceiling;
        },
      ),
    );
  });

  it('never retries sooner than a Retry-After asks (up to the cap)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, retryAfterMs, r) => {
          const decision = decideRetry(policy, n, { ...failure, retryAfterMs }, r);
          const asked = Math.min(retryAfterMs, policy.maxRetryAfterMs);
          return decision.kind === 'retry' && decision.delayMs >= asked && decision.delayMs <= asked + 1000;
        },
      ),
    );
  });

  it('by default keeps trying for about two hours before giving up', () => {
    let total = 0;
    for (let attempts = 1; attempts < defaultRetryPolicy.maxAttempts; attempts++) {
      const decision = decideRetry(defaultRetryPolicy, attempts, failure, 0.999);
      if (decision.kind === 'retry') total += decision.delayMs;
    }
    expect(total / 3_600_000).toBeGreaterThan(1.5);
    expect(total / 3_600_000).toBeLessThan(3);
  });
});
