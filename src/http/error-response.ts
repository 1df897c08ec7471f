// The one place where errors become HTTP responses: a JSON body `{ "error": { code, message } }`
// with a status that says whose fault it was. Unexpected errors are logged with their stack and
// answered with a generic message, so nothing internal (or secret) leaks to the caller; a
// database that is not answering is a 503 with Retry-After.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  BadInputError,
  ConfigError,
  describeError,
  NotFoundError,
  ReconnectRequiredError,
  TooManyRequestsError,
} from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { isDatabaseUnavailable, isUnstorableText } from '../store/database-unavailable.ts';

export function errorResponse(c: Context, error: unknown, logger: Logger): Response {
  // A database that is away for a while is not a bug: "try again shortly", as callers expect of
  // a 503 (a webhook sender retries; nothing was recorded, so nothing is lost).
  if (isDatabaseUnavailable(error)) {
    logger.warn(
      { error: describeError(error), method: c.req.method, path: c.req.path },
      'request refused: the database is not answering',
    );
    c.header('retry-after', '5');
    return c.json(
      { error: { code: 'unavailable', message: 'the database is not answering; try again shortly' } },
      503,
    );
  }
  if (isUnstorableText(error)) {
    return c.json(
      {
        error: { code: 'bad_input', message: 'the request holds a character that cannot be stored (a NUL)' },
      },
      400,
    );
  }
  if (error instanceof TooManyRequestsError) c.header('retry-after', String(error.retryAfterSeconds));
  const [status, code] = classify(error);
  if (status >= 500) {
    const requestId = c.res.headers.get('x-request-id') ?? undefined;
    logger.error({ err: error, requestId, method: c.req.method, path: c.req.path }, 'request failed');
    return c.json({ error: { code, message: 'internal error; see the server log' } }, status);
  }
  return c.json({ error: { code, message: (error as Error).message } }, status);
}

function classify(error: unknown): [ContentfulStatusCode, string] {
  if (error instanceof BadInputError) return [400, 'bad_input'];
  if (error instanceof NotFoundError) return [404, 'not_found'];
  if (error instanceof ReconnectRequiredError) return [409, 'reconnect_required'];
  if (error instanceof TooManyRequestsError) return [429, 'too_many_requests'];
  if (error instanceof ConfigError) return [500, 'config_error'];
  return [500, 'internal'];
}
