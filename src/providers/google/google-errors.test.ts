import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../lib/errors.ts';
import { MailboxNotFoundError } from '../calendar-provider.ts';
import { googleFailure, RateLimitBackoff, readGoogleFailure } from './google-errors.ts';

/** What gaxios throws for an answer: the response (a fetch Response's headers, the parsed body). */
const answered = (status: number, data: unknown, headers: Record<string, string> = {}) => ({
  name: 'GaxiosError',
  response: { status, data, headers: new Headers(headers) },
});
const apiError = (status: number, reason: string, message: string, headers: Record<string, string> = {}) =>
  answered(
    status,
    { error: { code: status, message, errors: [{ domain: 'usageLimits', reason, message }] } },
    headers,
  );

const context = () => ({
  mailbox: 'jane@acme.example',
  clientId: '1043928',
  backoff: new RateLimitBackoff(() => 0),
});
const map = (error: unknown, notFoundIsMailbox = false) =>
  googleFailure(error, 'creating the calendar item', { ...context(), notFoundIsMailbox });

describe('googleFailure', () => {
  it("is permanent on a refused request, with Google's message", () => {
    const failure = map(apiError(400, 'invalid', 'Invalid time zone definition for start time.'));
    expect(failure).toBeInstanceOf(PermanentError);
    expect(failure.message).toBe(
      'creating the calendar item: Google answered 400 invalid (Invalid time zone definition for start time.)',
    );
    expect(
      map(
        apiError(
          403,
          'forbiddenForNonOrganizer',
          'Shared properties can only be changed by the organizer of the event.',
        ),
      ),
    ).toBeInstanceOf(PermanentError);
    expect(map(apiError(403, 'insufficientPermissions', 'Insufficient Permission'))).toBeInstanceOf(
      PermanentError,
    );
  });

  it('waits ten minutes, or longer when Google says so, for a spent daily or usage limit', () => {
    const spent = map(apiError(403, 'quotaExceeded', 'Calendar usage limits exceeded.'));
    expect(spent).toBeInstanceOf(RetryableError);
    expect((spent as RetryableError).retryAfterMs).toBe(600_000);
    const daily = map(apiError(403, 'dailyLimitExceeded', 'Daily Limit Exceeded', { 'retry-after': '3600' }));
    expect((daily as RetryableError).retryAfterMs).toBe(3_600_000);
  });

  it('honours Retry-After in seconds or as a date, else backs the mailbox off', () => {
    const now = Date.now();
    expect(
      readGoogleFailure(apiError(429, 'rateLimitExceeded', 'x', { 'retry-after': '2' })).retryAfterMs,
    ).toBe(2000);
    const dated = readGoogleFailure(
      apiError(503, 'backendError', 'x', { 'retry-after': new Date(now + 60_000).toUTCString() }),
      now,
    ).retryAfterMs;
    expect(dated).toBeGreaterThan(59_000);
    expect(dated).toBeLessThanOrEqual(60_000);
    expect(
      readGoogleFailure(apiError(503, 'backendError', 'x', { 'retry-after': 'soon' })).retryAfterMs,
    ).toBeUndefined();
    const backoff = new RateLimitBackoff(() => 0.999);
    const waits = Array.from({ length: 9 }, () => backoff.next('Jane@acme.example'));
    expect(waits).toEqual([1999, 2999, 4999, 8999, 16_999, 32_999, 64_999, 64_999, 64_999]);
    backoff.reset('jane@ACME.example');
    expect(backoff.next('jane@acme.example')).toBe(1999);
  });

  it('is retryable on an outage, a lapsed token, and no answer', () => {
    expect(map(apiError(500, 'backendError', 'Backend Error'))).toBeInstanceOf(RetryableError);
    expect(map(answered(502, '<html>Bad Gateway</html>')).message).toBe(
      'creating the calendar item: Google answered 502 (<html>Bad Gateway</html>)',
    );
    expect(map(apiError(401, 'authError', 'Invalid Credentials')).message).toMatch(
      /the token will be renewed$/,
    );
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(map(Object.assign(new Error('aborted'), { code: 'TimeoutError', cause: timeout })).message).toBe(
      'creating the calendar item: Google did not answer in time',
    );
    expect(map(new TypeError('fetch failed'))).toBeInstanceOf(RetryableError);
  });

  it('tells a missing calendar (a list on it, or Calendar off for the user) from a missing item', () => {
    expect(map(apiError(404, 'notFound', 'Not Found'))).toBeInstanceOf(PermanentError);
    expect(map(apiError(404, 'notFound', 'Not Found'))).not.toBeInstanceOf(MailboxNotFoundError);
    expect(map(apiError(404, 'notFound', 'Not Found'), true)).toBeInstanceOf(MailboxNotFoundError);
    expect(map(apiError(403, 'forbidden', 'The user must be signed up for Google Calendar.'))).toBeInstanceOf(
      MailboxNotFoundError,
    );
  });

  it("hands the token endpoint's answers, met inside a call, to the token mapping", () => {
    const refused = map(
      answered(401, { error: 'unauthorized_client', error_description: 'Client is unauthorized' }),
    );
    expect(refused).toBeInstanceOf(PermanentError);
    expect(refused.message).toMatch(/for client id 1043928$/);
    expect(
      map(answered(400, { error: 'invalid_grant', error_description: 'Invalid email or User ID' })),
    ).toBeInstanceOf(MailboxNotFoundError);
  });
});
