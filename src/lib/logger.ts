// Structured JSON logging (pino). Any field whose name suggests a secret is redacted at
// every depth we log, so a token can never reach a log line by accident: callers must
// still never put secrets in messages.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const secretFieldNames = [
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'token',
  'secret',
  'secretKey',
  'clientSecret',
  'client_secret',
  'webhookSecret',
  'password',
  'authorization',
  'Authorization',
  'assertion',
  'privateKey',
];

/** Redaction paths for the secret field names at the top level and up to three levels down. */
export function redactionPaths(): string[] {
  const prefixes = ['', '*.', '*.*.', '*.*.*.'];
  return prefixes.flatMap((prefix) => secretFieldNames.map((name) => `${prefix}${name}`));
}

function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  return error instanceof Error && typeof serialized === 'object' && serialized !== null
    ? { ...serialized, type: error.name }
    : serialized;
}

export function createLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'instant-sync' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactionPaths(), censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // An error's type is its name, not its class's: the bundle (scripts/bundle.ts) shortens the
      // names of classes, and every error of the service names itself (src/lib/errors.ts).
      serializers: { err: serializeError },
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
