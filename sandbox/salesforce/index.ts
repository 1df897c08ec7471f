// The Salesforce sandbox org: one HTTP server that is both the login host and the instance,
// speaking Salesforce's OAuth and REST protocols (see README.md), with an API of its own for
// tests and the demo to play the org's admin and users. It shares no code with the service
// it stands in for: a bug cannot hide on both sides of the wire. Several orgs can run side by
// side (startSalesforceOrgs), each with its own server, sharing one Pub/Sub API endpoint as
// Salesforce's orgs do.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { localTls } from '../local-tls.ts';
import { notFound, SalesforceApiError } from './api-error.ts';
import { controlRoutes } from './control-routes.ts';
import { ChangeEventLog } from './pubsub/change-event-log.ts';
import { changeEventFields, type CdcChangeType, type ChangeEvent } from './pubsub/change-event-schema.ts';
import { DeliveryAllocation } from './pubsub/delivery-allocation.ts';
import {
  startPubSubServer,
  type PubSubOrg,
  type PubSubServer,
  type Refusal,
} from './pubsub/pubsub-server.ts';
import { OAuthGrants, type ConnectedApp, type RefreshTokenPolicy } from './oauth-grants.ts';
import { oauthRoutes } from './oauth-routes.ts';
import { OrgData, type EventInput, type EventSeries, type UserInput } from './org-data.ts';
import type { RemoteSite } from './package-data.ts';
import { restRoutes } from './rest-routes.ts';
import { SandboxClock } from './sandbox-clock.ts';
import { packageSchemas, toWire, type SObjectRecord } from './sobject-schema.ts';

export type {
  ConnectedApp,
  EventInput,
  EventSeries,
  PubSubServer,
  RefreshTokenPolicy,
  Refusal,
  RemoteSite,
  UserInput,
};
export { startPubSubServer };
export type EventRecord = SObjectRecord;
export type SandboxUser = SObjectRecord;

export interface SalesforceSandboxOptions {
  host?: string;
  port?: number;
  orgId?: string;
  startTime?: number;
  /** The org's daily API request allocation (DailyApiRequests Max); default 100,000. */
  dailyApiLimit?: number;
  /**
   * How far above its allocation the org may go in a burst before requests are refused, as a
   * share of the allocation (default 0.5: Salesforce's flexible API limits let an org run up to
   * 50 % over when it has the capacity). Once refused, calls stay refused until the rolling
   * 24 hours' usage is back under the allocation.
   */
  apiLimitTolerance?: number;
  /** Multiday events on (Events up to 14 days long, the default) or off (up to a day). */
  multidayEvents?: boolean;
  /** How long after its answer a DELETE …/fromThisEventOnwards commits its deletions (default 25 ms). */
  seriesDeletionDelayMs?: number;
  sessionTimeoutMs?: number;
  autoApprove?: boolean;
  latencyMs?: number;
  /** Serve HTTPS with the sandboxes' local CA (see ../local-tls.ts), as Salesforce does. */
  tls?: boolean;
  /** Also run the Pub/Sub API (gRPC over TLS) with Event change data capture; implies `tls`. */
  pubSub?: boolean;
  /** Delay between a commit and its change event's delivery (default 0). */
  cdcDelayMs?: number;
  /** Keepalive interval of idle subscriptions (default 270 s, as Salesforce). */
  pubSubKeepaliveMs?: number;
  /**
   * The org's event delivery allocation (the limits resource's DailyDeliveredPlatformEvents Max):
   * how many event messages may be delivered to its subscribers in the last 24 hours, every event
   * counting once for each subscription it reaches. Salesforce's defaults are 50,000 for
   * Performance and Unlimited Edition, 25,000 for Enterprise and Professional, 10,000 for
   * Developer Edition, plus 100,000 for each add-on licence; default 25,000 (Enterprise Edition).
   */
  cdcDeliveryAllocation?: number;
  /**
   * How many entities the org may select for change data capture (default 5, Salesforce's
   * allocation without the add-on licence).
   */
  cdcEntityLimit?: number;
  /**
   * Serve the org's change events from this Pub/Sub server, which other orgs share, rather than
   * from one of its own; implies `pubSub`. The server's keepalive applies, and closing the org
   * leaves the server running.
   */
  pubSubServer?: PubSubServer;
  /**
   * The three characters after the key prefix of every id the org makes, its own id included
   * (default `5g0`). Orgs with different pods share no id, as Salesforce's orgs never do.
   */
  idPod?: string;
  /** Whether our Salesforce package (its custom settings) is installed; default not. */
  packageInstalled?: boolean;
}

/** Our package as the org holds it, for tests to read what the server wrote. */
export interface PackageState {
  installed: boolean;
  /**
   * Each setting's org-default record (SetupOwnerId = the org) in Salesforce's wire format, or
   * null when it has none; empty while the package is not installed.
   */
  settings: Record<string, Record<string, unknown> | null>;
  /** Every record of each setting: the org default and any profile's or user's. */
  records: Record<string, Record<string, unknown>[]>;
  /** The org's Remote Site Settings (RemoteProxy), installed package or not. */
  remoteSites: RemoteSite[];
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
  /**
   * Creates an Event as its owner. A Lightning series (`IsRecurrence2: true` with a
   * `Recurrence2PatternText`) becomes a series record and one Event per occurrence; the first
   * occurrence is returned (as REST's create answers with its id).
   */
  createEvent(ownerId: string, fields: EventInput, options?: { unchecked?: boolean }): EventRecord;
  updateEvent(id: string, fields: EventInput, options?: { unchecked?: boolean }): EventRecord;
  deleteEvent(id: string): void;
  undeleteEvent(id: string): EventRecord;
  /**
   * DELETE …/fromThisEventOnwards as the Event's owner: throws at once when Salesforce would refuse
   * it; the promise resolves once the (asynchronous) deletions are committed.
   */
  deleteFromThisEventOnwards(id: string): Promise<void>;
  /** The series an Event belongs to (given its series record or an occurrence): the series record and its live occurrences. */
  getSeries(id: string): EventSeries | undefined;
  getEvent(id: string): EventRecord | undefined;
  listEvents(): EventRecord[];
  isTokenActive(token: string): boolean;
  stats(): {
    tokenRequests: Record<string, number>;
    refreshes: number;
    revocations: number;
    apiCalls: number;
    apiLimit: number;
    /** Pub/Sub subscriptions open now, and change events delivered to subscribers. */
    cdcSubscribers: number;
    cdcDelivered: number;
    /**
     * Deliveries counted against the org's event delivery allocation in the last 24 hours: those
     * to its subscribers here and those recorded for its other subscribers.
     */
    cdcDeliveriesUsed: number;
    /** FetchRequests the Pub/Sub API has taken. */
    cdcFetchRequests: number;
  };
  injectFaults(faults: FaultInjection): void;
  /** host:port of the Pub/Sub API, when started with `pubSub`. */
  pubSubEndpoint: string | undefined;
  /**
   * Selects Event for change data capture, or deselects it (subscriptions to its topic fail when
   * it is not selected); selecting it throws when the org has selected as many entities as it may.
   */
  setCdcEnabled(enabled: boolean): void;
  /** The entities selected for change data capture, and how many the org may select. */
  cdcEntities(): { entities: string[]; limit: number };
  /**
   * Replaces the entities selected for change data capture, as an admin does in Setup; throws,
   * changing nothing, when they are more than the org may select.
   */
  setCdcEntities(entities: string[]): void;
  /** The event delivery allocation: its Max, and deliveries used and remaining in the last 24 hours. */
  cdcDeliveryAllocation(): { max: number; used: number; remaining: number };
  /** Changes the event delivery allocation's Max (an add-on licence bought, or a test). */
  setCdcDeliveryAllocation(max: number): void;
  /**
   * Counts `count` deliveries made now to the org's other subscribers (other integrations, CometD
   * or empApi clients, event relays), which share the allocation.
   */
  recordCdcDeliveries(count: number): void;
  /** Skip (true) or show (false) the login and consent pages from now on. */
  setAutoApprove(enabled: boolean): void;
  /** Publishes a GAP_* change event for `recordIds` (none for GAP_OVERFLOW), as Salesforce does when it cannot say more. */
  emitGap(
    changeType: 'GAP_CREATE' | 'GAP_UPDATE' | 'GAP_DELETE' | 'GAP_UNDELETE' | 'GAP_OVERFLOW',
    recordIds: string[],
  ): void;
  /** Ends every open Pub/Sub subscription, as an outage would. */
  breakStreams(): void;
  /**
   * Ends every open Pub/Sub subscription and refuses new ones for `ms`, as a longer outage would
   * (UNAVAILABLE), or with the status, `error-code` and details of `refusal`.
   */
  pubSubOutage(ms: number, refusal?: Refusal): void;
  /** Drops every change event issued so far from retention, as 72 hours passing would. */
  expireChangeEvents(): void;
  /** Revokes every grant of a connected app (an org admin's Revoke in Setup); how many. */
  revokeAppGrants(clientId: string): number;
  /** Installs our Salesforce package (its settings start empty) or uninstalls it (their records go). */
  setPackageInstalled(installed: boolean): void;
  packageState(): PackageState;
  /**
   * Writes a package setting's record as an admin does in Setup: the record of `SetupOwnerId`
   * (the org when left out) is made or changed, with the checks the REST API makes.
   */
  writePackageSetting(objectName: string, fields: Record<string, unknown>): Record<string, unknown>;
  /** Adds a Remote Site Setting as an admin does in Setup (the REST rules, no permission needed). */
  addRemoteSite(site: {
    fullName: string;
    url: string;
    isActive?: boolean;
    disableProtocolSecurity?: boolean;
    description?: string;
  }): RemoteSite;
  close(): Promise<void>;
}

export async function startSalesforceSandbox(
  options: SalesforceSandboxOptions = {},
): Promise<SalesforceSandbox> {
  const clock = new SandboxClock(options.startTime);
  const data = new OrgData(clock, {
    ...(options.orgId === undefined ? {} : { orgId: options.orgId }),
    ...(options.idPod === undefined ? {} : { idPod: options.idPod }),
    ...(options.multidayEvents === undefined ? {} : { multidayEvents: options.multidayEvents }),
    ...(options.seriesDeletionDelayMs === undefined
      ? {}
      : { seriesDeletionDelayMs: options.seriesDeletionDelayMs }),
  });
  data.package.setInstalled(options.packageInstalled === true);
  /** A package setting's record with its values in Salesforce's wire format. */
  const packageWire = (objectName: string, record: SObjectRecord): Record<string, unknown> => {
    const fields = data.package.schema(objectName)?.fields ?? {};
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, toWire(fields[k] ?? 'string', v)]));
  };
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
  let autoApprove = options.autoApprove ?? false;
  const actor = () => data.users.keys().next().value ?? '005000000000000AAA';

  const log = new ChangeEventLog(clock);
  const deliveries = new DeliveryAllocation(clock, options.cdcDeliveryAllocation ?? 25_000);
  const cdcEntityLimit = options.cdcEntityLimit ?? 5;
  if (!Number.isInteger(cdcEntityLimit) || cdcEntityLimit < 1)
    throw new Error(`cdcEntityLimit must be a whole number from 1 up, not ${cdcEntityLimit}`);
  /** The entities selected for change data capture (API names; Event's change events are ours). */
  let cdcEntities = ['Event'];
  const isEvent = (entity: string) => entity.toLowerCase() === 'event';
  const cdcEnabled = () => cdcEntities.some(isEvent);
  const selectCdcEntities = (entities: string[]) => {
    // API names are case-insensitive: the same entity named twice is selected once (as first named).
    const distinct = entities.filter(
      (entity, at) => entities.findIndex((e) => e.toLowerCase() === entity.toLowerCase()) === at,
    );
    if (distinct.length > cdcEntityLimit) {
      throw new SalesforceApiError(
        400,
        'CDC_ENTITY_LIMIT_EXCEEDED',
        `You can select up to ${cdcEntityLimit} entities for change data capture; ${distinct.length} were given.`,
      );
    }
    cdcEntities = distinct;
  };
  let commitNumber = 1_000_000;
  /**
   * Publishes one transaction's change events: they share its transactionKey and commitNumber and
   * are numbered 1..n by sequenceNumber in the order they happened (Change Data Capture
   * Developer Guide, ChangeEventHeader Fields).
   */
  const publish = (
    changes: {
      changeType: CdcChangeType;
      recordIds: string[];
      fields: ChangeEvent['fields'];
      changedFields: string[];
    }[],
    transaction: { commitUser: string; commitTimestamp: number; changeOrigin: string },
  ) => {
    const transactionKey = randomUUID();
    const number = commitNumber++;
    changes.forEach((change, index) =>
      log.append({
        ...change,
        ...transaction,
        transactionKey,
        sequenceNumber: index + 1,
        commitNumber: number,
      }),
    );
  };
  data.onEventWrite((transaction) => {
    publish(
      transaction.changes.flatMap((change) => {
        const first = change.records[0];
        if (first === undefined) return [];
        return [
          {
            changeType: change.changeType,
            recordIds: change.records.map((r) => r.Id),
            fields: changeEventFields(first, change.bodyFields),
            changedFields: change.changedFields,
          },
        ];
      }),
      transaction,
    );
  });
  let pubSub: PubSubOrg | undefined;

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
    deleteFromThisEventOnwards: (id) =>
      data.deleteFromThisEventOnwards(String(data.events.get(id)?.['OwnerId'] ?? actor()), id),
    getSeries: (id) => data.seriesOf(id),
    getEvent: (id) => data.events.get(id),
    listEvents: () => [...data.events.values()],
    isTokenActive: (token) => grants.isActive(token),
    stats: () => ({
      ...grants.stats,
      tokenRequests: { ...grants.stats.tokenRequests },
      apiCalls,
      apiLimit: dailyApiLimit,
      cdcSubscribers: pubSub?.stats().subscribers ?? 0,
      cdcDelivered: pubSub?.stats().delivered ?? 0,
      cdcDeliveriesUsed: deliveries.used(),
      cdcFetchRequests: pubSub?.stats().fetchRequests ?? 0,
    }),
    injectFaults: (faults) => {
      if (faults.latencyMs !== undefined) latencyMs = faults.latencyMs;
      if (faults.failNext !== undefined) failNext = { ...faults.failNext, remaining: faults.failNext.count };
    },
    pubSubEndpoint: undefined,
    setAutoApprove: (enabled) => void (autoApprove = enabled),
    setCdcEnabled: (enabled) => {
      if (enabled === cdcEnabled()) return;
      selectCdcEntities(enabled ? [...cdcEntities, 'Event'] : cdcEntities.filter((e) => !isEvent(e)));
    },
    cdcEntities: () => ({ entities: [...cdcEntities], limit: cdcEntityLimit }),
    setCdcEntities: (entities) => selectCdcEntities(entities),
    cdcDeliveryAllocation: () => {
      const used = deliveries.used();
      return { max: deliveries.max, used, remaining: Math.max(0, deliveries.max - used) };
    },
    setCdcDeliveryAllocation: (max) => {
      deliveries.max = max;
    },
    recordCdcDeliveries: (count) => {
      if (!Number.isInteger(count) || count < 1)
        throw new Error('a delivery count is a whole number from 1 up');
      deliveries.spend(count);
    },
    emitGap: (changeType, recordIds) =>
      publish([{ changeType, recordIds, fields: {}, changedFields: [] }], {
        commitUser: actor(),
        commitTimestamp: clock.now(),
        changeOrigin: '',
      }),
    breakStreams: () => pubSub?.breakStreams(),
    pubSubOutage: (ms, refusal) => pubSub?.outage(ms, refusal),
    expireChangeEvents: () => log.expireAll(),
    revokeAppGrants: (clientId) => grants.revokeApp(clientId),
    setPackageInstalled: (installed) => data.package.setInstalled(installed),
    packageState: () => {
      const installed = data.package.installed;
      const names = installed ? Object.keys(packageSchemas) : [];
      return {
        installed,
        settings: Object.fromEntries(
          names.map((name) => {
            const record = data.package.orgDefault(name);
            return [name, record === undefined ? null : packageWire(name, record)];
          }),
        ),
        records: Object.fromEntries(
          names.map((name) => [name, data.package.records(name).map((r) => packageWire(name, r))]),
        ),
        remoteSites: data.package.remoteSites(),
      };
    },
    writePackageSetting: (objectName, fields) => {
      const record = data.package.writeSetting(actor(), objectName, fields);
      return packageWire(objectName, record);
    },
    addRemoteSite: (site) => {
      const record = data.package.createRemoteSite(
        actor(),
        {
          FullName: site.fullName,
          Metadata: {
            url: site.url,
            isActive: site.isActive ?? true,
            disableProtocolSecurity: site.disableProtocolSecurity ?? false,
            description: site.description ?? null,
          },
        },
        { inSetup: true },
      );
      const added = data.package.remoteSites().find((s) => s.id === record.Id);
      if (added === undefined) throw new Error('the remote site was not kept');
      return added;
    },
    close: () => Promise.resolve(),
  };

  const app = new Hono({ strict: false });
  app.route('/', oauthRoutes({ grants, data, baseUrl: () => url, autoApprove: () => autoApprove, delay }));
  app.route(
    '/',
    restRoutes({
      grants,
      data,
      clock,
      dailyApiLimit,
      deliveries,
      apiLimitTolerance: options.apiLimitTolerance ?? 0.5,
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
  // The REST API answers a resource it does not have in JSON, as every other REST error
  // (REST API Developer Guide, Status Codes and Error Responses); a session is checked first.
  app.notFound((c) =>
    c.req.path.startsWith('/services/data') ? c.json(notFound().toBody(), 404) : c.text('404 Not Found', 404),
  );

  const servesPubSub = options.pubSub === true || options.pubSubServer !== undefined;
  const tls = options.tls === true || servesPubSub ? localTls() : undefined;
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
  /** The Pub/Sub server the org started for itself (and closes with itself), if any. */
  let ownPubSubServer: PubSubServer | undefined;
  if (servesPubSub && tls !== undefined) {
    try {
      const pubSubServer =
        options.pubSubServer ??
        (await startPubSubServer({ tls, keepaliveMs: options.pubSubKeepaliveMs ?? 270_000 }));
      if (pubSubServer !== options.pubSubServer) ownPubSubServer = pubSubServer;
      pubSub = pubSubServer.addOrg({
        log,
        orgId: data.orgId,
        instanceUrl: () => url,
        authenticate: (token) => grants.authenticate(token) !== undefined,
        cdcEnabled,
        deliveries,
        deliveryDelayMs: () => options.cdcDelayMs ?? 0,
      });
      sandbox.pubSubEndpoint = pubSubServer.endpoint;
    } catch (error) {
      await ownPubSubServer?.close();
      server.close();
      throw error;
    }
  }
  sandbox.close = async () => {
    pubSub?.detach();
    await ownPubSubServer?.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  return sandbox;
}

// Each org after the first takes the next pod after 5g in two characters of the id alphabet
// (5h, 5i, …), so there can be as many orgs as there are pods from 5g on.
const idAlphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const firstPod = 5 * idAlphabet.length + idAlphabet.indexOf('g');
const maxOrgs = idAlphabet.length * idAlphabet.length - firstPod;

/** The pod of the org at `index` (0-based): 5g0 (the default), 5h0, 5i0, … */
function podOf(index: number): string {
  const n = firstPod + index;
  return `${idAlphabet[Math.floor(n / idAlphabet.length)] ?? ''}${idAlphabet[n % idAlphabet.length] ?? ''}0`;
}

/**
 * Starts `count` orgs side by side, as a service with several tenants meets them: each has its own
 * server (its own URL, which is its login URL and instance URL), id, users, apps, Events, clock,
 * control API and API counter; with `pubSub`, all of them are served by one Pub/Sub API endpoint,
 * which tells them apart by the tenantid of each call, as Salesforce's does. `options` apply to
 * every org, except `port`, which is the first org's (the others take free ports). The first org
 * is the one `startSalesforceSandbox(options)` would start; each other org's ids are on a pod of
 * its own. The Pub/Sub server closes once every org is closed.
 */
export async function startSalesforceOrgs(
  count: number,
  options: Omit<SalesforceSandboxOptions, 'orgId' | 'idPod' | 'pubSubServer'> = {},
): Promise<SalesforceSandbox[]> {
  if (!Number.isInteger(count) || count < 1 || count > maxOrgs)
    throw new Error(`the number of orgs must be a whole number from 1 to ${maxOrgs}`);
  const shared =
    options.pubSub === true
      ? await startPubSubServer({ tls: localTls(), keepaliveMs: options.pubSubKeepaliveMs ?? 270_000 })
      : undefined;
  let open = 0;
  const orgs: SalesforceSandbox[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const org = await startSalesforceSandbox({
        ...options,
        ...(index === 0 ? {} : { port: 0, idPod: podOf(index) }),
        ...(shared === undefined ? {} : { pubSubServer: shared }),
      });
      open++;
      const closeOrg = org.close.bind(org);
      let closing: Promise<void> | undefined;
      // Closing an org twice must not count twice towards closing the shared server.
      org.close = () =>
        (closing ??= closeOrg().then(async () => {
          if (--open === 0) await shared?.close();
        }));
      orgs.push(org);
    }
  } catch (error) {
    await Promise.all(orgs.map((org) => org.close()));
    if (orgs.length === 0) await shared?.close();
    throw error;
  }
  return orgs;
}
