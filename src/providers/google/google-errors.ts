// Google's answers turned into the service's error vocabulary, in one place. The Calendar API
// answers { error: { code, message, errors: [{ reason, message }] } }; the token endpoint answers
// OAuth's { error, error_description }. Throttling and outages are retryable (Retry-After when
// Google sends one, else a backoff kept per mailbox), a refused request is permanent with Google's
// own message, a user unknown to the domain is MailboxNotFoundError, and a network failure or
// timeout is retryable. Messages never carry the key, an assertion or a token.
import { describeError, PermanentError, RetryableError } from '../../lib/errors.ts';
import { MailboxAccessDeniedError, MailboxNotFoundError } from '../calendar-provider.ts';

/** The one scope the service asks for, which the Admin console must delegate to the service account. */
export const calendarScope = 'https://www.googleapis.com/auth/calendar.events';

/** What a failed call carried, read without trusting its shape (gaxios errors, or anything thrown). */
export interface GoogleFailure {
  /** HTTP status; undefined when no answer came (network, timeout, given up). */
  status: number | undefined;
  /** The Calendar API's `errors[0].reason` (rateLimitExceeded, duplicate, …). */
  reason: string | undefined;
  /** Google's own message. */
  message: string | undefined;
  /** The token endpoint's OAuth `error` (invalid_grant, unauthorized_client, …). */
  oauthError: string | undefined;
  /** The request was the token endpoint's (a token fetched inside a call), whatever it answered. */
  fromTokenEndpoint: boolean;
  retryAfterMs: number | undefined;
}

interface ErrorShape {
  name?: unknown;
  /** gaxios: the request that failed. */
  config?: { url?: unknown };
  response?: {
    status?: unknown;
    data?: unknown;
    headers?: unknown;
  };
}

export function readGoogleFailure(error: unknown, now: number = Date.now()): GoogleFailure {
  const response = (error as ErrorShape | null)?.response;
  const status = typeof response?.status === 'number' ? response.status : undefined;
  const data = (typeof response?.data === 'object' ? response.data : undefined) as
    { error?: unknown; error_description?: unknown } | undefined;
  const body = typeof data?.error === 'object' && data.error !== null ? data.error : undefined;
  const apiError = body as
    { message?: unknown; errors?: { reason?: unknown; message?: unknown }[] } | undefined;
  const first = Array.isArray(apiError?.errors) ? apiError.errors[0] : undefined;
  const oauthError = typeof data?.error === 'string' ? data.error : undefined;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    status,
    reason: text(first?.reason),
    message:
      oauthError !== undefined
        ? text(data?.error_description)
        : (text(apiError?.message) ??
          text(first?.message) ??
          (typeof response?.data === 'string' ? text(response.data.slice(0, 200)) : undefined)),
    oauthError,
    fromTokenEndpoint: isTokenEndpoint((error as ErrorShape | null)?.config?.url),
    retryAfterMs: retryAfter(responseHeader(response?.headers, 'retry-after'), now),
  };
}

/** Google's token endpoint (a key's token_uri: https://oauth2.googleapis.com/token), not the Calendar API. */
function isTokenEndpoint(url: unknown): boolean {
  const text = typeof url === 'string' ? url : url instanceof URL ? url.href : undefined;
  if (text === undefined) return false;
  try {
    return /\/token$/.test(new URL(text).pathname);
  } catch {
    return false;
  }
}

/**
 * A header of a fetch Response (gaxios errors) or of a plain record (googleapis' answers, except
 * that googleapis leaves undici's own Headers, the outbound fetch's, as they are).
 */
export function responseHeader(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  // Duck-typed: undici's own Headers (the outbound fetch's) is not the global class.
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') return (get.call(headers, name) as string | null) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now; undefined when absent or past. */
function retryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : undefined;
}

/** The token endpoint's OAuth errors that retrying cannot fix. */
const refusedGrants = new Set([
  'invalid_client',
  'invalid_request',
  'invalid_scope',
  'access_denied',
  'admin_policy_enforced',
  'disabled_client',
  'org_internal',
  'unsupported_grant_type',
]);

/**
 * A failure to get a token for `mailbox` (undefined: the service account itself). `clientId` names
 * the service account in the fix, as the Admin console's domain-wide delegation page does.
 */
export function googleTokenFailure(
  error: unknown,
  account: { clientId: string | undefined; mailbox: string | undefined },
): Error {
  const failure = readGoogleFailure(error);
  const said = `${failure.oauthError ?? `HTTP ${failure.status ?? '(no answer)'}`}${failure.message === undefined ? '' : ` (${failure.message})`}`;
  const forWhom = account.mailbox === undefined ? 'the service account' : account.mailbox;
  const client = account.clientId === undefined ? '' : ` for client id ${account.clientId}`;
  if (failure.oauthError === 'unauthorized_client')
    return new MailboxAccessDeniedError(
      `Google refused a token for ${forWhom}: ${said}: the service account is not delegated the scope ${calendarScope} ` +
        `in the Admin console (Security → API controls → Domain-wide delegation)${client}`,
    );
  if (failure.oauthError === 'invalid_grant' && /invalid email or user id/i.test(failure.message ?? ''))
    return new MailboxNotFoundError(
      `Google has no user ${forWhom} in the Workspace domain (${said}): map the owner to another mailbox with instant-sync mailboxes map`,
    );
  if (failure.oauthError === 'invalid_grant')
    return new PermanentError(
      `Google refused the service account's key (${said}): a deleted or replaced key, or this server's clock is off; ` +
        'give a current JSON key with instant-sync provider set <slug> google --service-account-file <file>',
    );
  if (failure.oauthError !== undefined && refusedGrants.has(failure.oauthError))
    return new PermanentError(`Google refused a token for ${forWhom}: ${said}`);
  if (failure.status === undefined) return transportFailure(error, `getting a Google token for ${forWhom}`);
  return new RetryableError(
    `cannot get a Google token for ${forWhom}: ${said}`,
    failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs },
  );
}

/** Rate-limit reasons Google answers with 403 (and 429). */
const rateLimited = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
/** The project's daily limit, or Calendar's own limits on a user (invitations, many creates). */
const quotaSpent = new Set(['quotaExceeded', 'dailyLimitExceeded']);
const quotaWaitMs = 10 * 60_000;

export interface FailureContext {
  mailbox: string;
  clientId: string | undefined;
  backoff: RateLimitBackoff;
  /** What a 404 means for this call: the calendar (a list on it) rather than an item in it. */
  notFoundIsMailbox?: boolean;
}

/** A Calendar API call's failure, `what` saying what was being done ("creating the calendar item"). */
export function googleFailure(error: unknown, what: string, context: FailureContext): Error {
  const failure = readGoogleFailure(error);
  // The token is fetched inside the call: the token endpoint's refusal is the credentials', not the call's.
  if (failure.oauthError !== undefined || failure.fromTokenEndpoint)
    return googleTokenFailure(error, { clientId: context.clientId, mailbox: context.mailbox });
  if (failure.status === undefined) return transportFailure(error, what);
  const { status, reason } = failure;
  const message = `${what}: Google answered ${status}${reason === undefined ? '' : ` ${reason}`}${failure.message === undefined ? '' : ` (${failure.message})`}`;
  if (status === 429 || (status === 403 && rateLimited.has(reason ?? '')))
    return new RetryableError(message, {
      retryAfterMs: failure.retryAfterMs ?? context.backoff.next(context.mailbox),
    });
  if (status === 403 && quotaSpent.has(reason ?? ''))
    return new RetryableError(message, { retryAfterMs: Math.max(failure.retryAfterMs ?? 0, quotaWaitMs) });
  if (reason === 'notACalendarUser' || /signed up for Google Calendar/i.test(failure.message ?? ''))
    return new MailboxNotFoundError(
      `${message}: the user has no Google Calendar (the Calendar service is off for them)`,
    );
  if (status === 404 && context.notFoundIsMailbox === true)
    return new MailboxNotFoundError(`${message}: the mailbox has no calendar at Google`);
  if (status === 401) return new RetryableError(`${message}; the token will be renewed`);
  if (status >= 500 || status === 408)
    return new RetryableError(
      message,
      failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs },
    );
  return new PermanentError(message);
}

export function transportFailure(error: unknown, what: string): RetryableError {
  const name = (error as ErrorShape | null)?.name;
  const code = (error as { code?: unknown } | null)?.code;
  const timedOut =
    name === 'TimeoutError' || name === 'AbortError' || code === 'TimeoutError' || code === 'AbortError';
  return new RetryableError(
    `${what}: ${timedOut ? 'Google did not answer in time' : `cannot reach Google (${describeError(error)})`}`,
  );
}

/**
 * The wait after a rate limit Google gave no Retry-After for, per mailbox: 1 s, 2 s, 4 s … up to
 * 64 s, plus up to a second of jitter (so a mailbox's parked jobs do not return together), from
 * the start again after a call to that mailbox succeeds. Google's guidance: truncated
 * exponential backoff.
 */
export class RateLimitBackoff {
  readonly #attempts = new Map<string, number>();
  readonly #random: () => number;
  readonly #maxMailboxes: number;

  constructor(random: () => number = Math.random, maxMailboxes = 10_000) {
    this.#random = random;
    this.#maxMailboxes = maxMailboxes;
  }

  next(mailbox: string): number {
    const key = mailbox.toLowerCase();
    const attempts = this.#attempts.get(key) ?? 0;
    this.#attempts.delete(key);
    this.#attempts.set(key, attempts + 1);
    // Bounded: the mailbox throttled longest ago goes first.
    if (this.#attempts.size > this.#maxMailboxes) {
      const oldest = this.#attempts.keys().next().value;
      if (oldest !== undefined) this.#attempts.delete(oldest);
    }
    return Math.min(1000 * 2 ** attempts, 64_000) + Math.floor(this.#random() * 1000);
  }

  reset(mailbox: string): void {
    if (this.#attempts.size > 0) this.#attempts.delete(mailbox.toLowerCase());
  }
}
