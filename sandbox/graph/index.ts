// The Microsoft Graph sandbox: an identity endpoint for the client credentials grant and the
// calendar part of Graph, over HTTPS (MSAL refuses plain-http authorities), with throttling as
// Graph does it, latency and fault injection, and a read-only view of every mailbox for tests
// and the demo. It shares no code with the service it stands in for.
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { localTls } from '../local-tls.ts';
import { graphAuthRoutes, GraphTokens, type GraphApp } from './graph-auth.ts';
import { graphControlRoutes } from './graph-control-routes.ts';
import { GraphMailboxes, type Mailbox } from './graph-mailboxes.ts';
import { eventJson } from './graph-event-view.ts';
import { graphRoutes, type FaultRecord, type GraphFaults } from './graph-routes.ts';

export type { FaultRecord, GraphApp, GraphFaults, Mailbox };

export interface GraphSandboxOptions {
  host?: string;
  port?: number;
  latencyMs?: number;
  startTime?: number;
  /** Requests allowed per mailbox in 10 minutes (default 10,000, as Graph). */
  requestsPer10Minutes?: number;
}

export interface GraphSandbox {
  /** Both the identity host (`<url>/<tenant>/oauth2/v2.0/token`) and the Graph host (`<url>/v1.0/...`). */
  url: string;
  caFile: string;
  clock: { now(): number; advance(ms: number): void };
  addApp(app: GraphApp): void;
  addMailbox(address: string, displayName?: string): Mailbox;
  /**
   * Every event of a mailbox with the properties Graph returns, start, end and body as they were
   * written (not in UTC, as a read without `Prefer: outlook.timezone` gives them), and every
   * extended property.
   */
  events(address: string): Record<string, unknown>[];
  setLatency(ms: number): void;
  injectFaults(faults: GraphFaults | undefined): void;
  /**
   * Makes the next Graph request (to `mailbox`, if given) fail with `kind`, before or after its
   * change is made; a `timeout` holds the request `hangMs` (default 30 s) before dropping it.
   */
  failNext(
    kind: GraphFaults['kinds'][number],
    options: { afterCommit: boolean; mailbox?: string; hangMs?: number },
  ): void;
  /** Every injected fault so far (the newest 100,000), with the stamps of the item it concerned. */
  faultLog(): readonly FaultRecord[];
  /** When mailboxes were changed (creates, updates, deletes), after `after` (sandbox clock, ms), oldest first. */
  writesAfter(after: number, limit: number): number[];
  stats(): {
    /** Graph requests served, each request of a $batch counted. */
    requests: number;
    /** HTTP requests to the Graph API (a $batch is one). */
    httpRequests: number;
    throttled: number;
    peakConcurrency: number;
    faults: number;
    tokenRequests: number;
  };
  close(): Promise<void>;
}

export async function startGraphSandbox(options: GraphSandboxOptions = {}): Promise<GraphSandbox> {
  let offset = (options.startTime ?? Date.now()) - Date.now();
  const now = () => Date.now() + offset;
  let url = '';
  let latencyMs = options.latencyMs ?? 0;
  let faults: GraphFaults | undefined;
  const queued: { kind: GraphFaults['kinds'][number]; after: boolean; mailbox?: string; hangMs?: number }[] =
    [];
  const mailboxes = new GraphMailboxes(now);
  const tokens = new GraphTokens(now);
  const stats = { requests: 0, httpRequests: 0, throttled: 0, peakConcurrency: 0, faults: 0 };
  const faultLog: FaultRecord[] = [];
  const writeLog: number[] = [];

  const sandbox: GraphSandbox = {
    get url() {
      return url;
    },
    caFile: localTls().caFile,
    clock: { now, advance: (ms) => void (offset += ms) },
    addApp: (app) => void tokens.apps.set(app.clientId, app),
    addMailbox: (address, displayName) => mailboxes.addMailbox(address, displayName),
    events: (address) => {
      const mailbox = mailboxes.mailbox(address);
      return mailboxes.events(mailbox).map((event) => ({
        ...eventJson(event, {
          timeZone: undefined,
          bodyType: undefined,
          select: undefined,
          expandProperty: undefined,
        }),
        singleValueExtendedProperties: [...event.extendedProperties].map(([id, value]) => ({ id, value })),
      }));
    },
    setLatency: (ms) => void (latencyMs = ms),
    injectFaults: (next) => void (faults = next),
    failNext: (kind, failure) =>
      void queued.push({
        kind,
        after: failure.afterCommit,
        ...(failure.mailbox === undefined ? {} : { mailbox: failure.mailbox.toLowerCase() }),
        ...(failure.hangMs === undefined ? {} : { hangMs: failure.hangMs }),
      }),
    stats: () => ({ ...stats, tokenRequests: tokens.tokenRequests }),
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
    close: () => Promise.resolve(),
  };

  const app = new Hono({ strict: false });
  // HTTP requests as they reach the server: a $batch is one, however many requests it carries
  // (those count in `requests`, as Graph counts them against a mailbox's limits).
  app.use('/v1.0/*', async (_c, next) => {
    stats.httpRequests++;
    await next();
  });
  app.route(
    '/',
    graphRoutes({
      mailboxes,
      tokens,
      now,
      latencyMs: () => latencyMs,
      faults: () => faults,
      takeQueuedFault: (mailbox) => {
        const index = queued.findIndex((f) => f.mailbox === undefined || f.mailbox === mailbox.toLowerCase());
        return index === -1 ? undefined : queued.splice(index, 1)[0];
      },
      stats,
      faultLog,
      writeLog,
      requestsPerWindow: options.requestsPer10Minutes ?? 10_000,
    }),
  );
  app.route('/', graphControlRoutes(sandbox, mailboxes));
  app.route(
    '/',
    graphAuthRoutes(tokens, () => url),
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
