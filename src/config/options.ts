// Every setting of the service, in one place: its name in a config file, its environment
// variable, its default as an admin would write it, what it means, and how it is checked.
// docs/configuration.md is generated from this table (`npm run docs:config`) and a test
// keeps the two in step. Nothing else in the codebase reads process.env.
import { z } from 'zod';
import { parseSecretKey } from '../lib/secret-box.ts';
import { durationSchema } from './duration.ts';
import { parseRefreshTokenPolicy, type RefreshTokenPolicy } from '../domain/salesforce-connection.ts';
import { isKnownTimeZone } from '../domain/time-zones.ts';

export interface OptionSpec {
  env: `INSTANT_SYNC_${string}`;
  /** The default, written as an admin would write it; undefined when there is none. */
  default: string | undefined;
  /** What the default means when it is derived from other settings (shown in the docs). */
  defaultDescription?: string;
  description: string;
  /** Secret values are never printed back, even in error messages. */
  secret?: boolean;
  /**
   * The value may instead be the contents of the file `<env>_FILE` names (a container secret or a
   * file only the service's user reads), so it need not be in the environment.
   */
  fromFile?: boolean;
  schema: z.ZodType;
}

const booleanText = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => (typeof v === 'boolean' ? v : v === 'true' || v === '1' || v === 'yes'));

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int(`expected a whole number from ${min} to ${max}`)
    .min(min, `expected a whole number from ${min} to ${max}`)
    .max(max, `expected a whole number from ${min} to ${max}`)
    .describe(`a whole number from ${min} to ${max}`);

const databaseUrl = z
  .string()
  .trim()
  .refine((url) => /^sqlite:.+/.test(url) || /^postgres(ql)?:\/\/.+/.test(url), {
    message:
      'expected sqlite:<path> (for example sqlite:./data/instant-sync.db) or postgres://user@host:5432/database',
  });

const httpUrl = z
  .string()
  .trim()
  .refine((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), {
    message: 'expected an http:// or https:// URL',
  });

function isSecretKeyText(text: string): boolean {
  try {
    parseSecretKey(text);
    return true;
  } catch {
    return false;
  }
}

const refreshTokenPolicySchema = z.string().transform((text, ctx): RefreshTokenPolicy => {
  const policy = parseRefreshTokenPolicy(text);
  if ('problem' in policy) {
    ctx.addIssue({ code: 'custom', message: 'expected until-revoked, expire-after:<n>d or idle:<n>d' });
    return z.NEVER;
  }
  return policy;
});

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const options = {
  databaseUrl: {
    env: 'INSTANT_SYNC_DATABASE_URL',
    default: 'sqlite:./data/instant-sync.db',
    description:
      'Where the service keeps its state. `sqlite:<path>` is the embedded default (one process, WAL mode); ' +
      '`postgres://user:password@host:5432/database` lets many `serve` and `worker` processes share the work.',
    fromFile: true,
    schema: databaseUrl,
  },
  databasePoolSize: {
    env: 'INSTANT_SYNC_DATABASE_POOL_SIZE',
    default: '10',
    description:
      'Most PostgreSQL connections one process opens. Ignored for SQLite, which uses one connection.',
    schema: integer(1, 200),
  },
  secretKey: {
    env: 'INSTANT_SYNC_SECRET_KEY',
    default: undefined,
    defaultDescription: 'read from the key file',
    description:
      'The 32-byte key (base64 or hex) that encrypts tokens and secrets at rest with AES-256-GCM. Required with ' +
      'PostgreSQL, where every node must use the same key. Generate one with `openssl rand -base64 32`.',
    secret: true,
    schema: z.string().refine(isSecretKeyText, {
      message: 'expected 32 bytes written as base64 (44 characters) or hex (64 characters)',
    }),
  },
  secretKeyFile: {
    env: 'INSTANT_SYNC_SECRET_KEY_FILE',
    default: './data/secret.key',
    description:
      'File holding the secret key when INSTANT_SYNC_SECRET_KEY is not set. With SQLite it is created on first ' +
      'start (mode 0600) and reused; back it up with the database, since secrets cannot be read without it.',
    schema: z.string().trim().min(1),
  },
  host: {
    env: 'INSTANT_SYNC_HOST',
    default: '127.0.0.1',
    description: 'Address the HTTP server listens on. Use 0.0.0.0 to accept connections from other machines.',
    schema: z.string().trim().min(1),
  },
  port: {
    env: 'INSTANT_SYNC_PORT',
    default: '8080',
    description: 'TCP port of the HTTP server (0 picks a free port).',
    schema: integer(0, 65535),
  },
  publicUrl: {
    env: 'INSTANT_SYNC_PUBLIC_URL',
    default: undefined,
    defaultDescription: '`http://localhost:<port>`',
    description:
      'The address admins and Salesforce use to reach this server. Tenant URLs (`<public-url>/t/<slug>/`) and ' +
      'OAuth callbacks are built from it, so set it to the https address of your reverse proxy in production.',
    schema: httpUrl,
  },
  displayTimeZone: {
    env: 'INSTANT_SYNC_DISPLAY_TIME_ZONE',
    default: 'UTC',
    description:
      'The time zone (IANA name, such as Europe/Berlin) the admin and tenant pages show times in. In a browser with ' +
      'JavaScript the pages show them in the viewer\'s own zone instead, recent ones as "5 min ago"; an admin may ' +
      "choose another zone for their browser in the admin pages' Preferences (times and charts then use it).",
    schema: z
      .string()
      .trim()
      .refine(isKnownTimeZone, { error: 'expected an IANA time zone name such as Europe/Berlin or UTC' }),
  },
  logLevel: {
    env: 'INSTANT_SYNC_LOG_LEVEL',
    default: 'info',
    description: `Least severe log level written (JSON lines on standard error): ${logLevels.join(', ')}.`,
    schema: z.enum(logLevels, { error: `expected one of ${logLevels.join(', ')}` }),
  },
  migrateOnStart: {
    env: 'INSTANT_SYNC_MIGRATE_ON_START',
    default: 'true',
    description:
      'Apply pending database migrations whenever a command opens the database. Set to false to apply them only ' +
      'with `instant-sync migrate`; commands then refuse to run against an out-of-date schema.',
    schema: booleanText,
  },
  salesforceLoginUrl: {
    env: 'INSTANT_SYNC_SALESFORCE_LOGIN_URL',
    default: 'https://login.salesforce.com',
    description:
      'Salesforce login URL for new tenants: https://login.salesforce.com, https://test.salesforce.com for sandboxes, ' +
      "or the org's My Domain. Each tenant can have its own (`instant-sync tenants set <slug> --login-url`).",
    schema: httpUrl,
  },
  salesforceClientId: {
    env: 'INSTANT_SYNC_SALESFORCE_CLIENT_ID',
    default: undefined,
    defaultDescription: '(none: set per tenant)',
    description:
      'Consumer key of the External Client App the server connects through, for tenants that do not set their own.',
    schema: z.string().trim().min(1),
  },
  salesforceClientSecret: {
    env: 'INSTANT_SYNC_SALESFORCE_CLIENT_SECRET',
    default: undefined,
    defaultDescription: '(none: set per tenant)',
    description: 'Consumer secret of that External Client App.',
    secret: true,
    fromFile: true,
    schema: z.string().trim().min(1),
  },
  salesforceApiVersion: {
    env: 'INSTANT_SYNC_SALESFORCE_API_VERSION',
    default: '66.0',
    description: 'Salesforce REST API version used for every call, e.g. 66.0.',
    schema: z
      .string()
      .trim()
      .regex(/^\d{2,3}\.0$/, 'expected a version like 66.0'),
  },
  refreshTokenPolicy: {
    env: 'INSTANT_SYNC_REFRESH_TOKEN_POLICY',
    default: 'expire-after:30d',
    description:
      'Refresh-token policy of new tenants, as the org admin set it on the app (Salesforce does not reveal it): ' +
      '`until-revoked`, `expire-after:<n>d` (expires n days after connecting) or `idle:<n>d` (expires after n days ' +
      'unused). It drives the expiry countdown and the warnings 7, 3 and 1 days ahead.',
    schema: refreshTokenPolicySchema,
  },
  notifyUrl: {
    env: 'INSTANT_SYNC_NOTIFY_URL',
    default: undefined,
    defaultDescription: '(none)',
    description:
      'If set, every admin notification (a connection expiring in 7, 3 or 1 days; a connection that needs ' +
      'reconnecting) is also POSTed here as JSON. Notifications always go to the log.',
    schema: httpUrl,
  },
  expiryCheckInterval: {
    env: 'INSTANT_SYNC_EXPIRY_CHECK_INTERVAL',
    default: '1m',
    description: 'How often `serve` checks connections for coming expiry (warnings) and expiry.',
    schema: durationSchema({ min: 1000, max: 86_400_000 }),
  },
  retainHistory: {
    env: 'INSTANT_SYNC_RETAIN_HISTORY',
    default: '30d',
    description:
      "How long the recorded changes and the steps of each Event's trace are kept. What a waiting or dead-lettered " +
      "Event's next sync needs is kept whatever its age, and every Event's link (which item is its) is kept.",
    schema: durationSchema({ min: 60_000, max: 3650 * 86_400_000 }),
  },
  retainFailures: {
    env: 'INSTANT_SYNC_RETAIN_FAILURES',
    default: '90d',
    description:
      'How long skips (the trace steps that say why an Event was not synced), dead letters and the links of deleted ' +
      'Events are kept.',
    schema: durationSchema({ min: 60_000, max: 3650 * 86_400_000 }),
  },
  retentionInterval: {
    env: 'INSTANT_SYNC_RETENTION_INTERVAL',
    default: '1h',
    description:
      'How often `serve` removes what the retention settings no longer keep (one node at a time, in small batches), ' +
      'and expired Connect states, sign-ins and rate-limit windows; on SQLite it then gives the freed pages back to ' +
      'the file system.',
    schema: durationSchema({ min: 1000, max: 86_400_000 }),
  },
  cdc: {
    env: 'INSTANT_SYNC_CDC',
    default: 'true',
    description:
      "Subscribe to each connected org's Event change data capture (CDC) over the Pub/Sub API, the fastest way to " +
      'learn of changes. The org admin must select Event in Setup → Change Data Capture; where that is not done, ' +
      'polling still finds every change, only later.',
    schema: booleanText,
  },
  pubSubEndpoint: {
    env: 'INSTANT_SYNC_PUBSUB_ENDPOINT',
    default: 'api.pubsub.salesforce.com:7443',
    description: 'host:port of the Salesforce Pub/Sub API (gRPC over TLS).',
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'expected host:port'),
  },
  extraCaFile: {
    env: 'INSTANT_SYNC_EXTRA_CA_FILE',
    default: undefined,
    defaultDescription: '(none)',
    description:
      'A PEM file of extra certificate authorities to trust for outbound HTTPS and the Pub/Sub API (a ' +
      'TLS-inspecting proxy, or the local sandboxes), next to the usual public roots.',
    schema: z.string().trim().min(1),
  },
  pollInterval: {
    env: 'INSTANT_SYNC_POLL_INTERVAL',
    default: '60s',
    description:
      'How often each connected tenant is polled for Events changed since the last poll (SystemModstamp, deleted ' +
      'records included). Polling runs even with CDC: it catches whatever a stream missed. Each poll costs two API calls.',
    schema: durationSchema({ min: 10_000, max: 86_400_000 }),
  },
  cdcFallbackPollInterval: {
    env: 'INSTANT_SYNC_CDC_FALLBACK_POLL_INTERVAL',
    default: '15s',
    description:
      "How often a tenant is polled while its org's change data capture cannot be used: the daily event delivery " +
      'allocation is spent, Event is not selected for CDC, or the Pub/Sub API keeps refusing the subscription. CDC is ' +
      "tried again by itself and the usual interval returns when it streams. Not used while the org's API use is " +
      'above INSTANT_SYNC_API_BUDGET. Each poll costs two API calls (15 s: 11,520 a day).',
    schema: durationSchema({ min: 5000, max: 86_400_000 }),
  },
  adminToken: {
    env: 'INSTANT_SYNC_ADMIN_TOKEN',
    default: undefined,
    defaultDescription: '(none: set a password with `instant-sync admin set-password`)',
    description:
      'Token that signs in to the admin pages and authorizes the JSON API (`Authorization: Bearer <token>`). At ' +
      'least 24 characters. Either this or an admin password is needed for the admin pages.',
    secret: true,
    fromFile: true,
    schema: z.string().trim().min(24, 'expected at least 24 characters'),
  },
  trustProxy: {
    env: 'INSTANT_SYNC_TRUST_PROXY',
    default: 'false',
    description:
      'Set to true when the server is reached only through a reverse proxy that appends the client address to ' +
      "X-Forwarded-For: sign-in lockouts and the Connect limit then count by that address instead of the proxy's. " +
      'Leave false when clients can reach the server directly (they could forge the header).',
    schema: booleanText,
  },
  metricsPort: {
    env: 'INSTANT_SYNC_METRICS_PORT',
    default: undefined,
    defaultDescription: '(none: /metrics only on the main port, with the admin token)',
    description:
      'Also serve /metrics without a token on this port, on INSTANT_SYNC_METRICS_HOST. On the main port /metrics ' +
      'needs `Authorization: Bearer <INSTANT_SYNC_ADMIN_TOKEN>`.',
    schema: integer(0, 65535),
  },
  metricsHost: {
    env: 'INSTANT_SYNC_METRICS_HOST',
    default: '127.0.0.1',
    description: 'Address the metrics listener (INSTANT_SYNC_METRICS_PORT) binds to.',
    schema: z.string().trim().min(1),
  },
  webhookRateLimit: {
    env: 'INSTANT_SYNC_WEBHOOK_RATE_LIMIT',
    default: '20000',
    description:
      'Most Event changes one tenant may deliver through its webhook per minute, counted across nodes; a delivery ' +
      'beyond it is answered 429 with Retry-After (the package retries) and records nothing, so one tenant cannot ' +
      'fill the queue ahead of the others.',
    schema: integer(100, 10_000_000),
  },
  engine: {
    env: 'INSTANT_SYNC_ENGINE',
    default: 'true',
    description:
      'Run the sync engine inside `serve` (intake and engine in one process). Set to false when separate ' +
      '`instant-sync worker` processes do the syncing.',
    schema: booleanText,
  },
  workerBatchSize: {
    env: 'INSTANT_SYNC_WORKER_BATCH_SIZE',
    default: '500',
    description:
      'Jobs a worker claims at once. Jobs of one tenant in a batch share their Salesforce reads, so a larger ' +
      'batch costs fewer API calls under load.',
    schema: integer(1, 2000),
  },
  apiBudget: {
    env: 'INSTANT_SYNC_API_BUDGET',
    default: '90',
    description:
      "Percentage of an org's daily Salesforce API requests (from Sforce-Limit-Info) above which the engine stops " +
      "reading that org's Events and waits, leaving the rest to the org's own users and integrations.",
    schema: integer(1, 100),
  },
  requestTimeout: {
    env: 'INSTANT_SYNC_REQUEST_TIMEOUT',
    default: '30s',
    description:
      'How long a client may take to send a whole request, headers and body; a slower one is answered 408 and ' +
      'cut off, so a trickle of bytes cannot hold a connection. Headers alone must arrive within 10s (or this, ' +
      'if shorter), and an idle keep-alive connection is closed after 5s.',
    schema: durationSchema({ min: 1000, max: 600_000 }),
  },
  maxConnections: {
    env: 'INSTANT_SYNC_MAX_CONNECTIONS',
    default: '1000',
    description:
      'Most open HTTP connections one `serve` process accepts; further ones are closed at once, so a flood of ' +
      'connections cannot exhaust its file descriptors or memory.',
    schema: integer(10, 100_000),
  },
  shutdownTimeout: {
    env: 'INSTANT_SYNC_SHUTDOWN_TIMEOUT',
    default: '10s',
    description:
      'How long `serve` and `worker` wait after SIGINT or SIGTERM for open requests and for the sync jobs in hand to ' +
      'finish; a job still running then (a hung call) is handed back to the queue, to run again at once elsewhere.',
    schema: durationSchema({ min: 0, max: 600_000 }),
  },
} satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof options;

type Parsed<K extends OptionName> = z.output<(typeof options)[K]['schema']>;

/** The validated configuration every other module receives. */
export type Config = {
  readonly [K in OptionName]: (typeof options)[K]['default'] extends string
    ? Parsed<K>
    : Parsed<K> | undefined;
} & { readonly publicUrl: string };
