// The Salesforce sandbox org: one HTTP server that is both the login host and the instance,
// speaking Salesforce's OAuth and REST protocols (see README.md), with an API of its own for
// tests and the demo to play the org's admin and users. It shares no code with the service
// it stands in for: a bug cannot hide on both sides of the wire.
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { localTls } from '../local-tls.ts';
import { controlRoutes } from './control-routes.ts';
import { OAuthGrants, type ConnectedApp, type RefreshTokenPolicy } from './oauth-grants.ts';
import { oauthRoutes } from './oauth-routes.ts';
import { OrgData, type EventInput, type UserInput } from './org-data.ts';
import { restRoutes } from './rest-routes.ts';
import { SandboxClock } from './sandbox-clock.ts';
import type { SObjectRecord } from './sobject-schema.ts';

export type { ConnectedApp, EventInput, RefreshTokenPolicy, UserInput };
export type EventRecord = SObjectRecord;
export type SandboxUser = SObjectRecord;

export interface SalesforceSandboxOptions {
  host?: string;
  port?: number;
  orgId?: string;
  startTime?: number;
  dailyApiLimit?: number;
  sessionTimeoutMs?: number;
  autoApprove?: boolean;
  latencyMs?: number;
  /** Serve HTTPS with the sandboxes' local CA (see ../local-tls.ts), as Salesforce does. */
  tls?: boolean;
}

export interface FaultInjection {
  failNext?: { count: number; status: number; body?: unknown; paths?: string };
  latencyMs?: number;
}

export interface SalesforceSandbox {
  url: string;
  /** With `tls`: the CA certificate file a client must trust. */
  caFile: string | undefined;
  orgId: string;
  clock: SandboxClock;
  addConnectedApp(app: ConnectedApp): void;
  setRefreshTokenPolicy(clientId: string, policy: RefreshTokenPolicy): void;
  apps(): ConnectedApp[];
  addUser(user: UserInput): SandboxUser;
  addContact(contact: { firstName?: string; lastName: string; email?: string }): { id: string };
  addLead(lead: { firstName?: string; lastName: string; email?: string; company?: string }): { id: string };
  createEvent(ownerId: string, fields: EventInput, options?: { unchecked?: boolean }): EventRecord;
  updateEvent(id: string, fields: EventInput, options?: { unchecked?: boolean }): EventRecord;
  deleteEvent(id: string): void;
  undeleteEvent(id: string): EventRecord;
  getEvent(id: string): EventRecord | undefined;
  listEvents(): EventRecord[];
  isTokenActive(token: string): boolean;
  stats(): {
    tokenRequests: Record<string, number>;
    refreshes: number;
    revocations: number;
    apiCalls: number;
    apiLimit: number;
  };
  injectFaults(faults: FaultInjection): void;
  close(): Promise<void>;
}

export async function startSalesforceSandbox(
  options: SalesforceSandboxOptions = {},
): Promise<SalesforceSandbox> {
  const clock = new SandboxClock(options.startTime);
  const data = new OrgData(clock, options.orgId);
  let url = '';
  let latencyMs = options.latencyMs ?? 0;
  let apiCalls = 0;
  let failNext: (FaultInjection['failNext'] & { remaining: number }) | undefined;
  const delay = async () => {
    if (latencyMs > 0) await sleep(latencyMs);
  };
  const grants = new OAuthGrants({
    clock,
    data,
    baseUrl: () => url,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 2 * 3_600_000,
  });
  const dailyApiLimit = options.dailyApiLimit ?? 100_000;
  const actor = () => data.users.keys().next().value ?? '005000000000000AAA';

  const sandbox: SalesforceSandbox = {
    get url() {
      return url;
    },
    orgId: data.orgId,
    caFile: undefined,
    clock,
    addConnectedApp: (app) => void grants.apps.set(app.clientId, { ...app }),
    setRefreshTokenPolicy: (clientId, policy) => {
      const app = grants.apps.get(clientId);
      if (app === undefined) throw new Error(`no connected app ${clientId}`);
      app.refreshTokenPolicy = policy;
    },
    apps: () => [...grants.apps.values()],
    addUser: (user) => data.addUser(user),
    addContact: (contact) => ({ id: data.addContact(contact).Id }),
    addLead: (lead) => ({ id: data.addLead(lead).Id }),
    createEvent: (ownerId, fields, eventOptions) =>
      data.createEvent(ownerId, { ...fields, OwnerId: ownerId }, eventOptions),
    updateEvent: (id, fields, eventOptions) =>
      data.updateEvent(String(data.events.get(id)?.['OwnerId'] ?? actor()), id, fields, eventOptions),
    deleteEvent: (id) => data.deleteEvent(String(data.events.get(id)?.['OwnerId'] ?? actor()), id),
    undeleteEvent: (id) => data.undeleteEvent(String(data.events.get(id)?.['OwnerId'] ?? actor()), id),
    getEvent: (id) => data.events.get(id),
    listEvents: () => [...data.events.values()],
    isTokenActive: (token) => grants.isActive(token),
    stats: () => ({
      ...grants.stats,
      tokenRequests: { ...grants.stats.tokenRequests },
      apiCalls,
      apiLimit: dailyApiLimit,
    }),
    injectFaults: (faults) => {
      if (faults.latencyMs !== undefined) latencyMs = faults.latencyMs;
      if (faults.failNext !== undefined) failNext = { ...faults.failNext, remaining: faults.failNext.count };
    },
    close: () => Promise.resolve(),
  };

  const app = new Hono({ strict: false });
  app.route(
    '/',
    oauthRoutes({ grants, data, baseUrl: () => url, autoApprove: options.autoApprove ?? false, delay }),
  );
  app.route(
    '/',
    restRoutes({
      grants,
      data,
      clock,
      dailyApiLimit,
      delay,
      takeFault: (path) => {
        apiCalls++;
        if (failNext === undefined || failNext.remaining <= 0) return undefined;
        if (failNext.paths !== undefined && !new RegExp(failNext.paths).test(path)) return undefined;
        failNext.remaining--;
        return {
          status: failNext.status,
          body: failNext.body ?? [{ message: 'injected fault', errorCode: 'SERVER_UNAVAILABLE' }],
        };
      },
    }),
  );
  app.route('/', controlRoutes(sandbox, data));

  const tls = options.tls === true ? localTls() : undefined;
  const server = (
    tls === undefined
      ? createAdaptorServer({ fetch: app.fetch })
      : createAdaptorServer({
          fetch: app.fetch,
          createServer: createHttpsServer,
          serverOptions: { key: tls.keyPem, cert: tls.certPem },
        })
  ) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `${tls === undefined ? 'http' : 'https'}://${options.host ?? '127.0.0.1'}:${address.port}`;
  sandbox.caFile = tls?.caFile;
  sandbox.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sandbox;
}
