// The one error vocabulary of the service. Code that talks to the outside world maps what
// it sees into these classes in one place; only the engine and the HTTP/CLI edges decide
// what to do with them. Never put secrets in a message: messages are logged and shown.

/** A failure worth trying again later, optionally no sooner than `retryAfterMs`. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A failure that will not go away by retrying: dead-letter it with this message as the reason. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
}

/** The credentials behind a connection are dead (revoked, expired): an admin must reconnect. */
export class ReconnectRequiredError extends Error {
  override readonly name = 'ReconnectRequiredError';
}

/** The service is configured wrongly; `problems` lists every problem found, not just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[], heading = 'Invalid configuration') {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${heading} (${count}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** The caller sent something we cannot accept (bad argument, malformed body, duplicate name). */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
}

/** The thing asked for does not exist (unknown tenant, unknown event). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** The caller asked too often: try again after `retryAfterSeconds` (HTTP 429). */
export class TooManyRequestsError extends Error {
  override readonly name = 'TooManyRequestsError';
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A check the command ran found problems it has already reported (doctor): exit 1, nothing more to print. */
export class CheckFailedError extends Error {
  override readonly name = 'CheckFailedError';
}

/** A readable one-line description of anything thrown, for logs and traces. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
