// Composition root: turns a validated Config into the running parts (store, secrets, queue,
// HTTP app). Only this file and src/cli/ build concrete classes; everything else receives
// what it needs.
import { intakeStatus } from './intake/intake-status.ts';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import packageJson from '../package.json' with { type: 'json' };
import type { Config } from './config/options.ts';
import { defaultRetryPolicy } from './engine/retry-policy.ts';
import { JobQueue } from './engine/job-queue.ts';
import { ProviderSource } from './engine/provider-source.ts';
import { NodePresence } from './engine/node-presence.ts';
import { SyncWorker, type SyncWorkerDeps } from './engine/sync-worker.ts';
import { AdminAuth } from './admin/admin-auth.ts';
import { adminRoutes, adminSignedIn } from './admin/admin-routes.ts';
import { clientAddressOf } from './http/client-address.ts';
import { createHttpApp } from './http/create-http-app.ts';
import { packageRoutes } from './http/package-routes.ts';
import { tenantPages } from './http/tenant-pages.ts';
import { webhookRoutes } from './intake/webhook/webhook-route.ts';
import type { DoctorDeps } from './reports/doctor.ts';
import { CdcScheduler } from './intake/cdc/cdc-scheduler.ts';
import { reconcileFrom } from './intake/polling/reconcile.ts';
import { PollingScheduler } from './intake/polling/polling-scheduler.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { ConfigError, describeError } from './lib/errors.ts';
import type { Logger } from './lib/logger.ts';
import { SecretBox } from './lib/secret-box.ts';
import { createMetrics, type Metrics } from './reports/metrics.ts';
import { loadSecretKey } from './lib/secret-key-source.ts';
import { migrateToLatest, migrationStatus } from './store/migrate.ts';
import { openStore, type Store } from './store/open-store.ts';
import { createNotifier } from './lib/notifier.ts';
import { createOutboundHttp, requestThroughFetch, type OutboundHttp } from './lib/outbound-fetch.ts';
import { ConnectionManager } from './salesforce/connection-manager.ts';
import { ExpiryMonitor } from './salesforce/expiry-monitor.ts';
import { SalesforceRestClient, type ApiUsage } from './salesforce/rest-client.ts';
import type { SalesforceDeps } from './salesforce/salesforce-deps.ts';
import { SalesforceSessions } from './salesforce/salesforce-sessions.ts';
import type { CreateTenantDeps } from './tenants/create-tenant.ts';
import { WakeSignal } from './lib/wake-signal.ts';
import type { Repositories } from './store/repositories.ts';

export const version: string = packageJson.version;

export interface Runtime {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: Store;
  queue: JobQueue;
  /** Rung when this process records changes whose jobs are due: its worker claims at once. */
  jobsDue: WakeSignal;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface RuntimeWithSecrets extends Runtime {
  secretBox: SecretBox;
  /** The HTTP client of every outbound call (lib/outbound-fetch.ts). */
  http: OutboundHttp;
  salesforce: SalesforceServices;
}

export interface SalesforceServices {
  deps: SalesforceDeps;
  sessions: SalesforceSessions;
  connections: ConnectionManager;
  expiryMonitor: ExpiryMonitor;
  /** A REST client for one tenant, reporting its API usage to `onApiUsage` (default: the debug log). */
  restClient: (tenantId: string, onApiUsage?: (usage: ApiUsage) => void) => SalesforceRestClient;
}

export interface OpenRuntimeOptions {
  /** `auto`: follow INSTANT_SYNC_MIGRATE_ON_START. `skip`: the caller migrates (the migrate command). */
  migrations: 'auto' | 'skip';
  clock?: Clock;
  /** The HTTP client for Salesforce (tests may wrap it); defaults to the global fetch. */
  fetch?: typeof fetch;
}

export async function openRuntime(
  config: Config,
  logger: Logger,
  options: OpenRuntimeOptions,
): Promise<Runtime> {
  const store = openStore(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    onConnectionError: (error) =>
      logger.warn(
        { error: describeError(error) },
        'a database connection failed (the server restarted or the network was cut); it will be replaced',
      ),
    onWarning: (message, details) => logger.warn(details, message),
  });
  try {
    if (options.migrations === 'auto') await applyOrCheckMigrations(config, store, logger);
    const clock = options.clock ?? systemClock;
    const queue = new JobQueue({ store, clock, retryPolicy: defaultRetryPolicy, random: Math.random });
    const metrics = createMetrics(store.repos, store.statements, () => clock.now());
    const jobsDue = new WakeSignal();
    return { config, logger, clock, store, queue, jobsDue, metrics, close: () => store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** A runtime that can also read and write secrets; the secret key is loaded (or created) and checked. */
export async function openRuntimeWithSecrets(
  config: Config,
  logger: Logger,
  options: OpenRuntimeOptions,
): Promise<RuntimeWithSecrets> {
  const runtime = await openRuntime(config, logger, options);
  try {
    const secretBox = await openSecretBox(config, runtime.store, logger);
    // When this database began: an Event created after it cannot have an item from an earlier
    // database, so its first create needs no look-up. Set by whichever command opens the
    // database first (tenants add, serve, …), not only by the first sync, which may come later.
    await runtime.store.repos.meta.claimMeta('installed_at', String(runtime.clock.now()));
    const http =
      options.fetch === undefined
        ? createOutboundHttp({ extraCaPem: readExtraCa(config) })
        : { fetch: options.fetch, request: requestThroughFetch(options.fetch) };
    return {
      ...runtime,
      secretBox,
      http,
      salesforce: createSalesforceServices(config, runtime, secretBox, http.fetch),
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}

function readExtraCa(config: Config): string | undefined {
  if (config.extraCaFile === undefined) return undefined;
  try {
    return readFileSync(config.extraCaFile, 'utf8');
  } catch (error) {
    throw new ConfigError([
      `INSTANT_SYNC_EXTRA_CA_FILE: cannot read ${config.extraCaFile}: ${(error as Error).message}`,
    ]);
  }
}

function createSalesforceServices(
  config: Config,
  runtime: Runtime,
  secretBox: SecretBox,
  fetchImpl: typeof fetch,
): SalesforceServices {
  const deps: SalesforceDeps = {
    repos: runtime.store.repos,
    secretBox,
    clock: runtime.clock,
    logger: runtime.logger,
    notifier: createNotifier({ logger: runtime.logger, url: config.notifyUrl, fetch: fetchImpl }),
    fetch: fetchImpl,
    settings: {
      publicUrl: config.publicUrl,
      apiVersion: config.salesforceApiVersion,
      loginUrl: config.salesforceLoginUrl,
      refreshTokenPolicy: config.refreshTokenPolicy,
      clientId: config.salesforceClientId,
      clientSecret: config.salesforceClientSecret,
    },
  };
  const sessions = new SalesforceSessions(deps);
  return {
    deps,
    sessions,
    connections: new ConnectionManager(deps, sessions),
    expiryMonitor: new ExpiryMonitor(deps, sessions),
    restClient: (tenantId, onApiUsage) =>
      new SalesforceRestClient({
        sessions: sessions.forTenant(tenantId),
        apiVersion: config.salesforceApiVersion,
        fetch: fetchImpl,
        onApiUsage:
          onApiUsage ?? ((usage) => runtime.logger.debug({ tenantId, ...usage }, 'Salesforce API usage')),
      }),
  };
}

/** This process's name as a lease holder and job worker: host, pid and a random suffix. */
export const nodeId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export interface Intake {
  polling: PollingScheduler;
  /** Absent when INSTANT_SYNC_CDC is false. */
  cdc: CdcScheduler | undefined;
  start(): void;
  stop(): Promise<void>;
}

/** The change sources `serve` runs: CDC subscriptions and polling reconciliation. */
export function createIntake(runtime: RuntimeWithSecrets): Intake {
  const { clock, logger, config, salesforce } = runtime;
  const repos = intakeRepositories(runtime);
  const pollerDeps = { repos, clock, logger, restClient: salesforce.restClient };
  const polling = new PollingScheduler({
    ...pollerDeps,
    nodeId,
    intervalMs: config.pollInterval,
    // Without CDC there is nothing to fall back from (a state saved while it ran no longer counts).
    fallbackIntervalMs: config.cdc ? config.cdcFallbackPollInterval : config.pollInterval,
    apiBudgetPercent: config.apiBudget,
  });
  const cdc = config.cdc
    ? new CdcScheduler({
        repos,
        clock,
        logger,
        nodeId,
        sessionsFor: (tenantId) => salesforce.sessions.forTenant(tenantId),
        pubSubEndpoint: config.pubSubEndpoint,
        extraCaPem: readExtraCa(config),
        reconcile: (tenant, since) => reconcileFrom(pollerDeps, tenant, since),
        connections: salesforce.connections,
        readLimits: (tenantId) => salesforce.restClient(tenantId).limits(),
      })
    : undefined;
  return {
    polling,
    cdc,
    start() {
      polling.start();
      cdc?.start();
    },
    async stop() {
      await cdc?.stop();
      await polling.stop();
    },
  };
}

/**
 * The repositories changes are recorded through in this process (intake, the webhook, an admin's
 * Retry): a recording that queued jobs rings runtime.jobsDue, so this process's worker syncs them
 * without waiting for its next claim.
 */
function intakeRepositories(runtime: Runtime): Repositories {
  const { repos } = runtime.store;
  return {
    ...repos,
    changes: {
      ...repos.changes,
      recordChanges: async (input) => {
        const result = await repos.changes.recordChanges(input);
        if (result.eventIds.length > 0) runtime.jobsDue.ring();
        return result;
      },
    },
  };
}

/** The sync engine `serve` and `worker` run. */
export function createSyncWorker(
  runtime: RuntimeWithSecrets,
  options: Pick<SyncWorkerDeps, 'onSynced' | 'onSkipped' | 'presence' | 'stopGraceMs'> = {},
): SyncWorker {
  const { store, clock, logger, config, salesforce } = runtime;
  return new SyncWorker({
    repos: store.repos,
    queue: runtime.queue,
    wake: runtime.jobsDue,
    clock,
    logger,
    workerId: nodeId,
    restClient: salesforce.restClient,
    providers: new ProviderSource({
      repos: store.repos,
      secretBox: runtime.secretBox,
      fetch: runtime.http.fetch,
      request: runtime.http.request,
      extraCaPem: readExtraCa(config),
    }),
    batchSize: config.workerBatchSize,
    apiBudgetPercent: config.apiBudget,
    metrics: runtime.metrics.engine,
    ...(options.onSynced === undefined ? {} : { onSynced: options.onSynced }),
    ...(options.onSkipped === undefined ? {} : { onSkipped: options.onSkipped }),
    presence: options.presence,
    ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
  });
}

/** This process as a node of the service (`serve` or `worker`); start() it before its work. */
export function createNodePresence(runtime: Runtime, role: 'serve' | 'worker'): NodePresence {
  return new NodePresence({
    repos: runtime.store.repos,
    clock: runtime.clock,
    logger: runtime.logger,
    nodeId,
    role,
    version,
    maxAttempts: defaultRetryPolicy.maxAttempts,
    onLiveNodes: (count) => runtime.queue.shareSweeps(count),
  });
}

/** What `instant-sync doctor` checks with. */
export function doctorDeps(runtime: RuntimeWithSecrets): DoctorDeps {
  const { store, config, salesforce, queue, clock } = runtime;
  return {
    repos: store.repos,
    config,
    connections: salesforce.connections,
    rest: (tenantId) => salesforce.restClient(tenantId),
    sessions: (tenantId) => salesforce.sessions.forTenant(tenantId),
    providers: new ProviderSource({
      repos: store.repos,
      secretBox: runtime.secretBox,
      fetch: runtime.http.fetch,
      request: runtime.http.request,
      extraCaPem: readExtraCa(config),
    }),
    jobCounts: (tenantId) => queue.counts(tenantId),
    extraCaPem: readExtraCa(config),
    now: () => clock.now(),
  };
}

/** What creating a tenant needs from the runtime. */
export function tenantCreationDeps(runtime: RuntimeWithSecrets): CreateTenantDeps {
  return {
    repos: runtime.store.repos,
    secretBox: runtime.secretBox,
    clock: runtime.clock,
    publicUrl: runtime.config.publicUrl,
    salesforce: {
      loginUrl: runtime.config.salesforceLoginUrl,
      refreshTokenPolicy: runtime.config.refreshTokenPolicy,
    },
  };
}

/** Connects one address may start per 10 minutes (each sends a browser to Salesforce and keeps a state row). */
const connectLimit = { limit: 20, windowMs: 10 * 60_000 } as const;

export function createHttpAppFor(runtime: RuntimeWithSecrets) {
  // Changes recorded through the HTTP routes (webhook deliveries, an admin's Retry) wake the worker too.
  const repos = intakeRepositories(runtime);
  const auth = new AdminAuth({ repos, secretBox: runtime.secretBox, token: runtime.config.adminToken });
  const clientAddress = clientAddressOf({ trustProxy: runtime.config.trustProxy });
  return createHttpApp({
    logger: runtime.logger,
    version,
    pingDatabase: () => runtime.store.ping(),
    https: runtime.config.publicUrl.startsWith('https:'),
    metrics: { source: runtime.metrics, auth, clientAddress, now: () => runtime.clock.now() },
    routes: [
      adminRoutes({
        repos,
        auth,
        secretBox: runtime.secretBox,
        publicUrl: runtime.config.publicUrl,
        displayTimeZone: runtime.config.displayTimeZone,
        clock: runtime.clock,
        clientAddress,
        overview: {
          repos,
          connections: runtime.salesforce.connections,
          jobCounts: (tenantId) => runtime.queue.counts(tenantId),
          now: () => runtime.clock.now(),
          intake: runtime.config,
        },
      }),
      webhookRoutes({
        repos,
        secretBox: runtime.secretBox,
        clock: runtime.clock,
        logger: runtime.logger,
        rateLimitPerMinute: runtime.config.webhookRateLimit,
      }),
      packageRoutes({
        repos,
        secretBox: runtime.secretBox,
        clock: runtime.clock,
        logger: runtime.logger,
        connections: runtime.salesforce.connections,
      }),
      tenantPages(
        {
          connections: runtime.salesforce.connections,
          secretBox: runtime.secretBox,
          publicUrl: runtime.config.publicUrl,
          displayTimeZone: runtime.config.displayTimeZone,
          clock: runtime.clock,
          clientAddress,
          reserveConnect: (client, now) =>
            repos.rateLimits.reserveRateLimit(`connect:${client}`, { ...connectLimit, now }),
          isAdmin: adminSignedIn(auth, runtime.clock),
          intakeStatus: (tenant) => intakeStatus(repos, runtime.config, tenant),
        },
        runtime.logger,
      ),
    ],
  });
}

async function applyOrCheckMigrations(config: Config, store: Store, logger: Logger): Promise<void> {
  if (config.migrateOnStart) {
    await migrateToLatest(store, (name) => logger.info({ migration: name }, 'applied database migration'));
    return;
  }
  const pending = (await migrationStatus(store)).filter((m) => m.executedAt === undefined).map((m) => m.name);
  if (pending.length > 0) {
    throw new ConfigError(
      [
        `${pending.length} pending (${pending.join(', ')}) and INSTANT_SYNC_MIGRATE_ON_START is false: run \`instant-sync migrate\``,
      ],
      `The database schema at ${store.location} is out of date`,
    );
  }
}

async function openSecretBox(config: Config, store: Store, logger: Logger): Promise<SecretBox> {
  const source = await loadSecretKey({
    secretKey: config.secretKey,
    secretKeyFile: config.secretKeyFile,
    mayGenerate: store.backend.name === 'sqlite',
  });
  if (source.origin === 'generated') {
    logger.warn(
      { file: config.secretKeyFile },
      'created a new secret key file; back it up with the database',
    );
  }
  if (source.looseFileMode !== undefined) {
    logger.warn(
      { file: config.secretKeyFile, mode: source.looseFileMode.toString(8) },
      'the secret key file is readable by other users; run chmod 600 on it',
    );
  }
  const box = new SecretBox(source.key);
  const expected = await store.repos.meta.claimMeta('secret_key_id', box.keyId);
  if (expected !== box.keyId) {
    throw new ConfigError([
      `the database's secrets were sealed with key ${expected}, but the configured key is ${box.keyId}: ` +
        'restore the original key (INSTANT_SYNC_SECRET_KEY or the key file); a new key cannot read them',
    ]);
  }
  return box;
}
