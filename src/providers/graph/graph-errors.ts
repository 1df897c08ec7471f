// Graph's answers turned into the service's error vocabulary, in one place: throttling and
// outages are retryable (honouring Retry-After), a refused request is permanent with Graph's own
// message, and a network failure or timeout is retryable.
import { describeError, PermanentError, RetryableError } from '../../lib/errors.ts';
import { MailboxNotFoundError } from '../calendar-provider.ts';
import type { GraphAnswer } from './graph-batcher.ts';

/** Graph's codes for a user that does not exist or has no Exchange Online mailbox. */
const noMailboxCodes = new Set(['ErrorInvalidUser', 'MailboxNotEnabledForRESTAPI', 'ResourceNotFound.User']);

export async function graphFailure(response: GraphAnswer, what: string): Promise<Error> {
  const body = (await response.json().catch(() => undefined)) as
    { error?: { code?: string; message?: string } } | undefined;
  const code = body?.error?.code ?? `HTTP ${response.status}`;
  const message = `${what}: Graph answered ${response.status} ${code}${body?.error?.message === undefined ? '' : ` (${body.error.message})`}`;
  if (
    response.status === 429 ||
    response.status === 503 ||
    response.status === 504 ||
    response.status >= 500
  ) {
    const seconds = Number(response.headers.get('retry-after'));
    return new RetryableError(
      message,
      Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {},
    );
  }
  if (noMailboxCodes.has(code))
    return new MailboxNotFoundError(
      `${message}: the mailbox does not exist in Microsoft 365 (map the owner to another mailbox with instant-sync mailboxes map)`,
    );
  if (response.status === 401) return new RetryableError(`${message}; the token will be renewed`);
  return new PermanentError(message);
}

export function graphTransportFailure(error: unknown, what: string): RetryableError {
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  return new RetryableError(
    `${what}: ${timedOut ? 'Graph did not answer in time' : `cannot reach Graph (${describeError(error)})`}`,
    { cause: error },
  );
}
