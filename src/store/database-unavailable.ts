// Tells a database that is away for a while (restarting, unreachable, refusing connections for
// now) from a query that is wrong: the first is worth answering "try again shortly" (HTTP 503,
// a retry), the second is a bug to log with its stack. Errors of both drivers are recognised by
// their codes, never by parsing messages where a code exists.

/** Node's socket errors: the server is not there, or the connection to it broke. */
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs of a server that cannot serve now: class 08 (connection exception),
 * 57P01–57P03 (shutting down, crashed, starting up), 53300 (too many connections).
 */
const postgresStates = /^(08...|57P0[1-3]|53300)$/;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && (socketCodes.has(code) || postgresStates.test(code))) return true;
    // node-postgres says these without a code: a connection ended under a query, or the pool
    // could not open one in time.
    if (/^Connection terminated|^timeout exceeded when trying to connect/.test(cause.message)) return true;
    // SQLite: another process holds the write lock longer than the busy timeout.
    if (code === 'ERR_SQLITE_ERROR' && /database is locked/.test(cause.message)) return true;
    cause = cause.cause;
  }
  return false;
}

/**
 * Text PostgreSQL cannot store or compare (a NUL character: SQLSTATE 22021; 22P05 for characters
 * the database's encoding lacks): the caller's input, so a 400, not a bug.
 */
export function isUnstorableText(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '22021' || code === '22P05';
}
