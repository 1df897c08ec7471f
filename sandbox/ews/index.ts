// The Exchange Server sandbox: Exchange Web Services (SOAP 1.1 over HTTPS, /EWS/Exchange.asmx)
// as on-premises Exchange Server 2019 / SE speaks it for calendar items — NTLM bound to the
// connection and Basic, ExchangeImpersonation with the ApplicationImpersonation role,
// CreateItem, UpdateItem, DeleteItem, GetItem and FindItem (restrictions on extended
// properties, paging, calendar views that expand series), schema validation of what a client
// sends, Exchange's per-mailbox throttling, latency and fault injection, and a view of every
// calendar. The real ews-javascript-api works against it unchanged. It shares no code with the
// service it stands in for.
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { localTls } from '../local-tls.ts';
import { EwsAuth } from './ews-auth.ts';
import { ewsControlRoutes } from './ews-control-routes.ts';
import { itemJson } from './ews-item-json.ts';
import type { EwsFaultRecord, EwsFaults, QueuedFault } from './ews-limits.ts';
import { ewsRoutes } from './ews-routes.ts';
import { EwsStore } from './ews-store.ts';

export type { EwsFaultRecord, EwsFaults };

export interface EwsSandboxOptions {
  host?: string;
  port?: number;
  latencyMs?: number;
  startTime?: number;
  /** Requests a mailbox may have in flight before ErrorExceededConnectionCount (default 10, a conservative EWSMaxConcurrency share) */
  maxConcurrentPerMailbox?: number;
  /** Requests per mailbox per minute before ErrorServerBusy with BackOffMilliseconds (default 600) */
  requestsPerMinutePerMailbox?: number;
}

export interface EwsSandbox {
  /** Origin; EWS at `${url}/EWS/Exchange.asmx` */
  url: string;
  caFile: string;
  clock: { now(): number; advance(ms: number): void };
  /** A service account (DOMAIN\\user or user@domain) with its password; NTLM and Basic both accepted for it. */
  addAccount(input: { username: string; password: string }): void;
  /** The ApplicationImpersonation role assigned to the account (New-ManagementRoleAssignment). */
  grantImpersonation(username: string): void;
  addMailbox(address: string, displayName?: string): void;
  /** Every calendar item of a mailbox as stored, as JSON (EWS property names, UTC times, extended properties, a series' modified and deleted occurrences). */
  items(address: string): Record<string, unknown>[];
  /** Meeting requests/cancellations the server would have sent (SendMeetingInvitations…), oldest first. */
  sentMessages(
    address: string,
  ): { itemId: string; kind: 'request' | 'cancellation' | 'update'; to: string[] }[];
  setLatency(ms: number): void;
  injectFaults(faults: EwsFaults | undefined): void;
  /**
   * Makes the next EWS call (for `mailbox`, if given) fail with `kind`, before or after its
   * change is made; a `timeout` holds the call `hangMs` (default 30 s) before dropping it.
   */
  failNext(
    kind: EwsFaults['kinds'][number],
    options: { afterCommit: boolean; mailbox?: string; hangMs?: number },
  ): void;
  /** Every injected fault so far (the newest 100,000), with the SalesforceEventId stamps of the items concerned. */
  faultLog(): readonly EwsFaultRecord[];
  /** When items were changed (created, updated, deleted), after `after` (sandbox clock ms), oldest first, at most `limit`. */
  writesAfter(after: number, limit: number): number[];
  stats(): {
    requests: number;
    throttled: number;
    peakConcurrency: number;
    faults: number;
    authHandshakes: number;
  };
  close(): Promise<void>;
}

export async function startEwsSandbox(options: EwsSandboxOptions = {}): Promise<EwsSandbox> {
  let offset = (options.startTime ?? Date.now()) - Date.now();
  const now = () => Date.now() + offset;
  let url = '';
  let latencyMs = options.latencyMs ?? 0;
  let faults: EwsFaults | undefined;
  const queued: QueuedFault[] = [];
  const store = new EwsStore(now);
  const auth = new EwsAuth(now);
  const stats = { requests: 0, throttled: 0, peakConcurrency: 0, faults: 0 };
  const faultLog: EwsFaultRecord[] = [];
  const writeLog: number[] = [];
  const mailboxOf = (address: string) => {
    const mailbox = store.mailbox(address);
    if (mailbox === undefined) throw new Error(`No mailbox ${address}`);
    return mailbox;
  };

  const sandbox: EwsSandbox = {
    get url() {
      return url;
    },
    caFile: localTls().caFile,
    clock: { now, advance: (ms) => void (offset += ms) },
    addAccount: (input) => auth.addAccount(input),
    grantImpersonation: (username) => auth.grantImpersonation(username),
    addMailbox: (address, displayName) => void store.addMailbox(address, displayName),
    items: (address) =>
      [...mailboxOf(address).items.values()].sort((a, b) => a.order - b.order).map(itemJson),
    sentMessages: (address) => mailboxOf(address).sent.map((m) => ({ ...m, to: [...m.to] })),
    setLatency: (ms) => void (latencyMs = ms),
    injectFaults: (next) => void (faults = next),
    failNext: (kind, failure) =>
      void queued.push({
        kind,
        after: failure.afterCommit,
        ...(failure.mailbox === undefined ? {} : { mailbox: failure.mailbox.toLowerCase() }),
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
    stats: () => ({ ...stats, authHandshakes: auth.handshakes }),
    close: () => Promise.resolve(),
  };

  const app = new Hono({ strict: false });
  app.route('/', ewsControlRoutes(sandbox, store));
  app.route(
    '/',
    ewsRoutes({
      store,
      auth,
      limits: {
        now,
        latencyMs: () => latencyMs,
        faults: () => faults,
        takeQueuedFault: (mailbox) => {
          const index = queued.findIndex(
            (f) => f.mailbox === undefined || f.mailbox === mailbox.toLowerCase(),
          );
          return index === -1 ? undefined : queued.splice(index, 1)[0];
        },
        maxConcurrentPerMailbox: options.maxConcurrentPerMailbox ?? 10,
        requestsPerMinutePerMailbox: options.requestsPerMinutePerMailbox ?? 600,
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
