// When to try a failed sync again: a pure function of the attempt count, the failure and a
// random number, so tests can pin every delay. Exponential backoff with "equal jitter" (a
// delay from d/2 to d where d doubles per attempt up to a cap), except that a server's own
// Retry-After wins; after the last allowed attempt we give up and the job is dead-lettered.

export interface RetryPolicy {
  /** Runs allowed in all; the job is dead-lettered when the last one fails. */
  maxAttempts: number;
  /** Backoff before the second run; doubles per attempt. */
  baseDelayMs: number;
  /** Backoff never grows past this. */
  maxDelayMs: number;
  /** A server's Retry-After is honoured up to this (a broken server could ask for a year). */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 20,
  baseDelayMs: 1000,
  maxDelayMs: 10 * 60_000,
  maxRetryAfterMs: 60 * 60_000,
};

export type RetryDecision = { kind: 'retry'; delayMs: number } | { kind: 'give-up'; reason: string };

/**
 * @param attempts runs made so far, the failed one included (1 after the first failure)
 * @param random a number in [0, 1), from an injected source
 */
export function decideRetry(
  policy: RetryPolicy,
  attempts: number,
  failure: { message: string; retryAfterMs?: number | undefined },
  random: number,
): RetryDecision {
  if (attempts >= policy.maxAttempts) {
    return { kind: 'give-up', reason: `gave up after ${attempts} attempts: ${failure.message}` };
  }
  if (failure.retryAfterMs !== undefined && failure.retryAfterMs > 0) {
    // Honour the server, plus up to 10% (at most 1 s) so a crowd of throttled jobs does not
    // come back in the same millisecond.
    const asked = Math.min(failure.retryAfterMs, policy.maxRetryAfterMs);
    return { kind: 'retry', delayMs: Math.ceil(asked + random * Math.min(asked * 0.1, 1000)) };
  }
  const exponent = Math.min(Math.max(attempts - 1, 0), 52);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  return { kind: 'retry', delayMs: Math.floor(ceiling / 2 + (random * ceiling) / 2) };
}
