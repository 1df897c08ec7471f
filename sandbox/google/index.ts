// The Google sandbox: Google's OAuth 2.0 token endpoint for service accounts (with domain-wide
// delegation) and Calendar API v3's events, over HTTPS with the sandboxes' local CA, with
// Google's quotas, latency and fault injection, and a view of every calendar for tests and the
// demo. The real google-auth-library and @googleapis/calendar work against it unchanged (the
// token request pointed at `${url}/token`, the calendar client's rootUrl at `${url}/`). It
// shares no code with the service it stands in for.
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { localTls } from '../local-tls.ts';
import {
  GoogleAuth,
  googleTokenRoutes,
  type GoogleServiceAccountKey,
  type TokenFault,
} from './google-auth.ts';
import { GoogleCalendars } from './google-calendars.ts';
import { googleControlRoutes } from './google-control-routes.ts';
import { eventJson } from './google-event-json.ts';
import type { GoogleFaultRecord, GoogleFaults, QueuedFault } from './google-limits.ts';
import { googleCalendarRoutes } from './google-routes.ts';

export type { GoogleFaultRecord, GoogleFaults, GoogleServiceAccountKey, TokenFault };

export interface GoogleSandboxOptions {
  host?: string;
  port?: number;
  latencyMs?: number;
  startTime?: number;
  /** Calendar API requests allowed per user per minute (sliding), default 600 as Google's per-user quota */
  requestsPerMinutePerUser?: number;
  /** per project per minute, default 10_000 */
  requestsPerMinutePerProject?: number;
}

export interface GoogleSandbox {
  /** One HTTPS origin: token endpoint `${url}/token`, Calendar API `${url}/calendar/v3/...`, control API `${url}/__sandbox/...` */
  url: string;
  caFile: string;
  clock: { now(): number; advance(ms: number): void };
  /** Makes a service account with a fresh RSA-2048 key pair and returns the JSON key file Google would give, with token_uri = `${url}/token`. */
  addServiceAccount(input: { clientEmail: string; projectId?: string }): GoogleServiceAccountKey;
  /** The Admin console's domain-wide delegation: the service account's numeric client id may use these scopes for every user of the domain. */
  delegate(clientId: string, scopes: string[]): void;
  /** A user of the Workspace domain, with a primary calendar (calendar id = the address, or 'primary' for a token whose sub is this user). */
  addUser(email: string): void;
  /** Every event of the user's primary calendar as stored (cancelled ones and modified/cancelled instances of series included), in the JSON shape the API returns. */
  events(email: string): Record<string, unknown>[];
  /** Invitations/updates/cancellations the sandbox would have e-mailed because of sendUpdates, oldest first. */
  notifications(
    email: string,
  ): { eventId: string; kind: 'invitation' | 'update' | 'cancellation'; to: string[] }[];
  setLatency(ms: number): void;
  injectFaults(faults: GoogleFaults | undefined): void;
  failNext(
    kind: GoogleFaults['kinds'][number],
    options: { afterCommit: boolean; user?: string; hangMs?: number },
  ): void;
  /**
   * The next request to the token endpoint fails (whoever asks): 503 UNAVAILABLE, a reset
   * connection, or held `hangMs` (default 30 s) and dropped. Counted in `tokenRequests` and `faults`.
   */
  failNextTokenRequest(kind: TokenFault['kind'], options?: { hangMs?: number }): void;
  faultLog(): readonly GoogleFaultRecord[];
  /** When calendars were changed (inserts, patches, deletes), after `after` (sandbox clock ms), oldest first, at most `limit`. */
  writesAfter(after: number, limit: number): number[];
  stats(): {
    requests: number;
    throttled: number;
    peakConcurrency: number;
    faults: number;
    tokenRequests: number;
  };
  /** The domain's users (added with addUser). */
  users(): string[];
  close(): Promise<void>;
}

export async function startGoogleSandbox(options: GoogleSandboxOptions = {}): Promise<GoogleSandbox> {
  let offset = (options.startTime ?? Date.now()) - Date.now();
  const now = () => Date.now() + offset;
  let url = '';
  let latencyMs = options.latencyMs ?? 0;
  let faults: GoogleFaults | undefined;
  const queued: QueuedFault[] = [];
  const queuedTokenFaults: TokenFault[] = [];
  const auth = new GoogleAuth(now);
  const calendars = new GoogleCalendars(now);
  const stats = { requests: 0, throttled: 0, peakConcurrency: 0, faults: 0 };
  const faultLog: GoogleFaultRecord[] = [];
  const writeLog: number[] = [];

  const sandbox: GoogleSandbox = {
    get url() {
      return url;
    },
    caFile: localTls().caFile,
    clock: { now, advance: (ms) => void (offset += ms) },
    addServiceAccount: (input) => auth.addServiceAccount(input, `${url}/token`),
    delegate: (clientId, scopes) => auth.delegate(clientId, scopes),
    addUser: (email) => calendars.addUser(email),
    events: (email) => calendars.stored(calendars.calendar(email)).map(eventJson),
    notifications: (email) => calendars.calendar(email).notifications.map((n) => ({ ...n, to: [...n.to] })),
    setLatency: (ms) => void (latencyMs = ms),
    injectFaults: (next) => void (faults = next),
    failNext: (kind, failure) =>
      void queued.push({
        kind,
        after: failure.afterCommit,
        ...(failure.user === undefined ? {} : { user: failure.user.toLowerCase() }),
        ...(failure.hangMs === undefined ? {} : { hangMs: failure.hangMs }),
      }),
    failNextTokenRequest: (kind, failure = {}) =>
      void queuedTokenFaults.push({
        kind,
        ...(failure.hangMs === undefined ? {} : { hangMs: failure.hangMs }),
      }),
    faultLog: () => faultLog,
    writesAfter: (after, limit) => {
      let low = 0;
      let high = writeLog.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if ((writeLog[middle] ?? 0) <= after) low = middle + 1;
        else high = middle;
      }
      return writeLog.slice(low, low + limit);
    },
    stats: () => ({ ...stats, tokenRequests: auth.tokenRequests }),
    users: () => calendars.users(),
    close: () => Promise.resolve(),
  };

  const app = new Hono({ strict: false });
  app.route(
    '/',
    googleTokenRoutes(
      auth,
      () => url,
      (email) => calendars.isUser(email),
      () => {
        const fault = queuedTokenFaults.shift();
        if (fault !== undefined) stats.faults++;
        return fault;
      },
    ),
  );
  app.route('/', googleControlRoutes(sandbox, calendars));
  app.route(
    '/',
    googleCalendarRoutes({
      calendars,
      auth,
      limits: {
        now,
        latencyMs: () => latencyMs,
        faults: () => faults,
        takeQueuedFault: (user) => {
          const index = queued.findIndex((f) => f.user === undefined || f.user === user.toLowerCase());
          return index === -1 ? undefined : queued.splice(index, 1)[0];
        },
        requestsPerMinutePerUser: options.requestsPerMinutePerUser ?? 600,
        requestsPerMinutePerProject: options.requestsPerMinutePerProject ?? 10_000,
        stats,
        faultLog,
        writeLog,
      },
    }),
  );

  const tls = localTls();
  const server = createAdaptorServer({
    fetch: app.fetch,
    createServer: createHttpsServer,
    serverOptions: { key: tls.keyPem, cert: tls.certPem },
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  url = `https://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  sandbox.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sandbox;
}
