// The whole system as separate processes, as an admin would run it: the sandbox org (OAuth, REST,
// Pub/Sub CDC over TLS) and a calendar sandbox (Graph's, Google's or Exchange's, calendar-sandboxes.ts) from
// their launchers, and the service from its executable. A tenant is created and set up with the CLI and connected through the real OAuth
// pages. End-to-end tests and the bench drive it through the sandboxes' control APIs.
// A hybrid tenant (`providers`) has one sandbox per provider: the first provider is its default,
// and the owners given to another are assigned to it with `mailboxes map … --provider`, as an
// admin would; `calendars` reads each mailbox in the sandbox of its owner's provider.
// Several tenants (`orgs`): the sandbox process runs that many orgs side by side, sharing one
// Pub/Sub endpoint as Salesforce's orgs do; each org is a tenant of its own (the first `acme`,
// then `acme-2`, …, each signing in at its org's URL), with owners of its own whose mailboxes are
// in the same calendar sandbox.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import {
  routedCalendars,
  startCalendarSandbox,
  type CalendarKind,
  type CalendarSandbox,
  type Calendars,
} from './calendar-sandboxes.ts';
import { runCliProcess, startCliProcess, type CliResult } from './cli-process.ts';
import { freePort } from './service-under-test.ts';
import { TestBrowser } from './test-browser.ts';

const salesforceLauncher = fileURLToPath(new URL('../../sandbox/salesforce/main.ts', import.meta.url));

/** How a calendar sandbox of this kind is known among the system's processes (the only one of its kind). */
export function calendarSandboxRole(kind: CalendarKind): string {
  return { graph: 'Graph sandbox', google: 'Google sandbox', ews: 'EWS sandbox' }[kind];
}
export interface SystemOptions {
  databaseUrl: string;
  owners: number;
  salesforceLatencyMs?: number;
  cdcDelayMs?: number;
  /** The org's daily event delivery allocation (the sandbox's default: 25,000, Enterprise Edition's). */
  cdcDeliveryAllocation?: number;
  /** The mailbox provider whose sandbox stands in for the calendars (default graph). */
  provider?: CalendarKind;
  /**
   * A hybrid tenant's providers instead (each with a sandbox of its own): the first is the default,
   * and holds the mailboxes of the owners no other provider takes.
   */
  providers?: readonly ProviderSpec[];
  calendarLatencyMs?: number;
  /** More service settings (INSTANT_SYNC_*). */
  env?: Record<string, string>;
  /** Node.js flags for the service's processes (serve and workers), e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
  /** Salesforce orgs, each a tenant of its own with `owners` users (default 1); see setUpTenants. */
  orgs?: number;
  /**
   * Each org after the first gets a calendar sandbox of its own (of the first provider's kind), as
   * separate customers have separate Microsoft 365 or Google tenants; otherwise one sandbox holds
   * every org's mailboxes.
   */
  calendarsPerOrg?: boolean;
}

/** One of the tenant's mailbox providers, as `provider set` names it. */
export interface ProviderSpec {
  kind: CalendarKind;
  /** Its name in the tenant (`--name`); none: "default". */
  name?: string;
  /**
   * The owners (by their index in `owners`) whose mailboxes an admin assigns to it
   * (`mailboxes map … --provider <name>`). Only for a provider after the first (the default).
   */
  owners?: 'odd' | 'even' | ((index: number) => boolean);
}

export interface Owner {
  id: string;
  email: string;
  /** The name of the provider the owner's mailbox goes through. */
  provider: string;
}

/** One of the tenant's providers as the system runs it. */
export interface SystemProvider {
  name: string;
  kind: CalendarKind;
  isDefault: boolean;
  sandbox: CalendarSandbox;
}

export type { MailboxItem } from './calendar-sandboxes.ts';

/** Where the sandboxes listen and the credentials they accept (for other clients, e.g. the bench's baseline). */
export interface SystemEndpoints {
  caFile: string;
  salesforce: {
    url: string;
    pubSubEndpoint: string;
    clientId: string;
    clientSecret: string;
    redirectUri: string;
  };
  /** The Graph sandbox's, when the calendars are Graph's. */
  graph?: { url: string; tenantId: string; clientId: string; clientSecret: string };
}

/** One sandbox org's side, through its control API. */
export interface SalesforceSide {
  createEvent(ownerId: string, fields: Record<string, unknown>): Promise<Record<string, unknown>>;
  updateEvent(id: string, fields: Record<string, unknown>): Promise<Record<string, unknown>>;
  deleteEvent(id: string): Promise<void>;
  /** Deletes an occurrence of a Lightning series and the ones after it (the first: the whole series). */
  deleteFromThisEventOnwards(id: string): Promise<void>;
  /** Live (not deleted) Events. */
  events(): Promise<Record<string, unknown>[]>;
  /** The org's API calls so far, and its open CDC subscriptions. */
  stats(): Promise<{ apiCalls: number; cdcSubscribers: number }>;
  addUser(user: {
    username: string;
    email: string;
    timeZoneSidKey?: string;
    isActive?: boolean;
  }): Promise<string>;
  /** Revokes the service's grants, as the org's admin can in Setup (the service must Reconnect). */
  revokeGrants(): Promise<number>;
  /** Ends the Pub/Sub streams and refuses new ones for `ms`. */
  pubSubOutage(ms: number): Promise<void>;
  /** Every change event so far leaves CDC retention (as 72 hours would). */
  expireChangeEvents(): Promise<void>;
}

/** One of the orgs the sandbox runs, and the tenant connected to it. */
export interface SystemOrg {
  /** The tenant's slug: `acme` for the first org, then `acme-2`, `acme-3`, … */
  slug: string;
  /** The org's login and instance URL. */
  url: string;
  owners: Owner[];
  salesforce: SalesforceSide;
  /** The tenant's mailbox providers (the system's, or with calendarsPerOrg its own sandbox) and its mailboxes. */
  providers: readonly SystemProvider[];
  calendars: Calendars;
  /** The tenant's id, once set up. */
  readonly tenantId: string;
}

export interface RunningSystem {
  owners: Owner[];
  endpoints: SystemEndpoints;
  /** Where the service listens (health checks, tenant pages, the webhook). */
  serviceUrl: string;
  tenantId: string;
  /** Salesforce's side, through the sandbox org's control API (the first org's). */
  salesforce: SalesforceSide;
  /** Every org and its tenant, the first (`acme`) as above. */
  orgs: readonly SystemOrg[];
  /**
   * The calendars' side, through the provider sandboxes' control APIs and the providers' own APIs:
   * each mailbox read in the sandbox of its owner's provider.
   */
  calendars: Calendars;
  /** The tenant's providers (one unless hybrid), the default first, each with its sandbox. */
  providers: readonly SystemProvider[];
  /** Runs an `instant-sync` command with the service's settings. */
  cli(args: string[]): Promise<CliResult>;
  /** Starts `serve` (engine included unless INSTANT_SYNC_ENGINE=false). */
  startService(): Promise<void>;
  /** Starts one more `serve` on a port of its own (several nodes sharing PostgreSQL); its URL. */
  startOtherService(): Promise<string>;
  /** Starts `count` more `instant-sync worker` processes (engines only), stopped with the system. */
  startWorkers(count: number): Promise<void>;
  /** Starts another script as a process in the system's directory, stopped with the system; its pid. */
  startProcess(role: string, script: string, args: string[], ready: RegExp): Promise<number | undefined>;
  /** The processes running now, by what they are (service, workers, sandboxes, …). */
  processes(): { role: string; pid: number }[];
  stopService(): Promise<void>;
  /** Ends the service with SIGKILL (kill -9): no shutdown of any kind. */
  killService(): Promise<void>;
  /** Points the service at another database (then tenantSetUp() again). */
  useDatabase(url: string): void;
  /**
   * Creates the tenant, sets its mailbox providers (the default first), connects it through OAuth
   * and assigns the owners of a provider other than the default to it (the service must run).
   */
  setUpTenant(): Promise<void>;
  /**
   * Sets up every org's tenant as setUpTenant does the first's (a provider each, as the first's
   * default; connected through its org's OAuth pages), waiting for each one's CDC subscription on
   * whichever `serve` takes it.
   */
  setUpTenants(): Promise<void>;
  /** Reconnects the tenant through the tenant page (after its grant was revoked). */
  reconnect(): Promise<void>;
  serviceOutput(): string;
  /** What each worker process (startWorkers) has written so far, stdout then stderr, in the order started. */
  workerOutputs(): string[];
  /**
   * Statements the service's processes (serve, workers) running now have sent to the database
   * since each started: their instant_sync_database_statements_total, added up.
   */
  databaseStatements(): Promise<number>;
  /** The service process's id (for its memory use), while it runs. */
  servicePid(): number | undefined;
  close(): Promise<void>;
}

async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited.catch(() => undefined);
  clearTimeout(timer);
}

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const cwd = mkdtempSync(join(tmpdir(), 'instant-sync-system-'));
  const running: {
    child: ChildProcess;
    exited: Promise<unknown>;
    role?: string;
    output?: () => CliResult;
  }[] = [];
  const close = async () => {
    await Promise.all(running.splice(0).map(({ child, exited }) => stop(child, exited)));
    rmSync(cwd, { recursive: true, force: true });
  };
  try {
    const sf = await startCliProcess(
      [
        '--pubsub',
        '--auto-approve',
        '--latency-ms',
        String(options.salesforceLatencyMs ?? 0),
        '--cdc-delay-ms',
        String(options.cdcDelayMs ?? 0),
        ...((options.orgs ?? 1) > 1 ? ['--orgs', String(options.orgs)] : []),
        ...(options.cdcDeliveryAllocation === undefined
          ? []
          : ['--cdc-delivery-allocation', String(options.cdcDeliveryAllocation)]),
      ],
      { cwd, script: salesforceLauncher, ready: /Pub\/Sub API: (\S+)/, timeoutMs: 30_000 },
    );
    running.push({ child: sf.child, exited: sf.exited, role: 'salesforce sandbox' });
    const orgUrls = [...sf.output().stdout.matchAll(/listening on (\S+)/g)].map((m) => m[1] ?? '');
    if (orgUrls.length !== (options.orgs ?? 1))
      throw new Error(`the sandbox started ${orgUrls.length} orgs, not ${options.orgs ?? 1}`);
    const sfUrl = orgUrls[0] ?? '';
    const caFile = /TLS CA certificate: (\S+)/.exec(sf.output().stdout)?.[1] ?? '';
    const pubSubEndpoint = sf.match[1] ?? '';
    const fetchImpl = createOutboundFetch({ extraCaPem: readFileSync(caFile, 'utf8') });
    const call = async <T>(base: string, method: string, path: string, body?: unknown): Promise<T> => {
      const send = () =>
        fetchImpl(`${base}${path}`, {
          method,
          ...(body === undefined
            ? {}
            : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        });
      // A sandbox short of CPU (four workers and three servers on two cores) may take longer than
      // undici's 10 s to accept a connection: the call was never sent, so it is sent again.
      let response: Response | undefined;
      for (let attempt = 1; response === undefined; attempt++)
        response = await send().catch((error: unknown) => {
          if (attempt >= 6 || !isConnectTimeout(error)) throw error;
          return undefined;
        });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (response.status === 204 ? undefined : await response.json()) as T;
    };

    const specs = options.providers ?? [{ kind: options.provider ?? 'graph' }];
    const names = specs.map((spec) => spec.name ?? 'default');
    if (specs.length === 0 || new Set(names).size !== names.length)
      throw new Error(`providers need distinct names: ${names.join(', ')}`);
    if (specs[0]?.owners !== undefined || specs.slice(1).some((spec) => spec.owners === undefined))
      throw new Error(
        'the first provider (the default) holds the owners no other takes: give owners to the others only',
      );
    /** Starts a calendar sandbox in `dir`, known by `role` among the system's processes. */
    const startCalendars = async (kind: CalendarKind, dir: string, role: (label: string) => string) => {
      mkdirSync(dir, { recursive: true });
      const started = await startCalendarSandbox(kind, {
        cwd: dir,
        latencyMs: options.calendarLatencyMs ?? 0,
        call,
        fetchImpl,
      });
      running.push({ child: started.child, exited: started.exited, role: role(calendarSandboxRole(kind)) });
      return started.sandbox;
    };
    const providers: SystemProvider[] = [];
    for (const [i, spec] of specs.entries()) {
      // Sandboxes of one kind would share their files (secrets, keys): each gets a directory of its own.
      const sandbox = await startCalendars(
        spec.kind,
        specs.length === 1 ? cwd : join(cwd, `calendars-${names[i]}`),
        (label) => (specs.filter((s) => s.kind === spec.kind).length > 1 ? `${label} (${names[i]})` : label),
      );
      providers.push({ name: names[i] ?? 'default', kind: spec.kind, isDefault: i === 0, sandbox });
    }
    const [defaultProvider] = providers;
    if (defaultProvider === undefined) throw new Error('no provider');
    if (providers.length > 1 && (options.orgs ?? 1) > 1)
      throw new Error('a hybrid tenant runs alone: give several providers or several orgs, not both');
    /** The provider an owner's mailbox goes through, by the owner's index. */
    const providerOfOwner = (index: number): SystemProvider =>
      providers.find((_, i) => {
        const owners = specs[i]?.owners;
        return owners === 'odd'
          ? index % 2 === 1
          : owners === 'even'
            ? index % 2 === 0
            : owners !== undefined && owners(index);
      }) ?? defaultProvider;
    const port = await freePort();
    const serviceUrl = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      INSTANT_SYNC_DATABASE_URL: options.databaseUrl,
      INSTANT_SYNC_SECRET_KEY: generateSecretKey().toString('base64'),
      INSTANT_SYNC_PORT: String(port),
      INSTANT_SYNC_PUBLIC_URL: serviceUrl,
      INSTANT_SYNC_SALESFORCE_LOGIN_URL: sfUrl,
      INSTANT_SYNC_SALESFORCE_CLIENT_ID: 'instant-sync',
      INSTANT_SYNC_SALESFORCE_CLIENT_SECRET: 'sandbox-secret',
      INSTANT_SYNC_EXTRA_CA_FILE: caFile,
      INSTANT_SYNC_PUBSUB_ENDPOINT: pubSubEndpoint,
      INSTANT_SYNC_LOG_LEVEL: 'info',
      // Each process also serves /metrics on a port of its own (printed at its start).
      INSTANT_SYNC_METRICS_PORT: '0',
      ...options.env,
    };
    const slugs = orgUrls.map((_, index) => (index === 0 ? 'acme' : `acme-${index + 1}`));
    for (const [index, url] of orgUrls.entries())
      await call(url, 'POST', '/__sandbox/apps', {
        clientId: 'instant-sync',
        clientSecret: 'sandbox-secret',
        callbackUrls: [`${serviceUrl}/t/${slugs[index]}/oauth/callback`],
      });
    const salesforceSide = (url: string): SalesforceSide => ({
      createEvent: (ownerId, fields) => call(url, 'POST', '/__sandbox/events', { ownerId, ...fields }),
      updateEvent: (id, fields) => call(url, 'PATCH', `/__sandbox/events/${id}`, fields),
      deleteEvent: (id) => call(url, 'DELETE', `/__sandbox/events/${id}`),
      deleteFromThisEventOnwards: async (id) => {
        await call(url, 'DELETE', `/__sandbox/events/${id}/fromThisEventOnwards`);
      },
      events: async () =>
        (await call<Record<string, unknown>[]>(url, 'GET', '/__sandbox/events')).filter(
          (e) => e['IsDeleted'] !== true,
        ),
      stats: () => call(url, 'GET', '/__sandbox/stats'),
      addUser: async (user) => String((await call<{ Id: string }>(url, 'POST', '/__sandbox/users', user)).Id),
      revokeGrants: async () =>
        (await call<{ revoked: number }>(url, 'POST', '/__sandbox/apps/instant-sync/revoke')).revoked,
      pubSubOutage: (ms) => call(url, 'POST', '/__sandbox/cdc/outage', { ms }),
      expireChangeEvents: () => call(url, 'POST', '/__sandbox/cdc/expire'),
    });
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'Europe/London',
    ];
    const tenantIds = new Map<string, string>();
    const orgs: SystemOrg[] = [];
    for (const [index, url] of orgUrls.entries()) {
      const salesforce = salesforceSide(url);
      const slug = slugs[index] ?? '';
      const orgProviders: SystemProvider[] =
        options.calendarsPerOrg === true && index > 0
          ? [
              {
                name: 'default',
                kind: defaultProvider.kind,
                isDefault: true,
                sandbox: await startCalendars(
                  defaultProvider.kind,
                  join(cwd, `calendars-${slug}`),
                  (label) => `${label} (${slug})`,
                ),
              },
            ]
          : providers;
      const domain = index === 0 ? 'acme.example' : `org${index + 1}.acme.example`;
      const orgOwners: Owner[] = [];
      for (let i = 0; i < options.owners; i++) {
        const email = `rep${String(i).padStart(4, '0')}@${domain}`;
        orgOwners.push({
          email,
          id: await salesforce.addUser({
            username: email,
            email,
            timeZoneSidKey: zones[i % zones.length] ?? 'UTC',
          }),
          provider: providerOfOwner(i).name,
        });
        // A hybrid tenant's mailboxes exist at every provider (as during a migration), so an item
        // written through the wrong provider lands there and the audits see it, instead of the
        // Event only waiting for a mailbox that provider does not have.
        for (const provider of orgProviders) await provider.sandbox.addMailbox(email);
      }
      orgs.push({
        slug,
        url,
        owners: orgOwners,
        salesforce,
        providers: orgProviders,
        calendars: routedCalendars(
          orgProviders,
          new Map(
            orgOwners.filter((o) => o.provider !== defaultProvider.name).map((o) => [o.email, o.provider]),
          ),
        ),
        get tenantId() {
          return tenantIds.get(slug) ?? '';
        },
      });
    }
    const [firstOrg] = orgs;
    if (firstOrg === undefined) throw new Error('no org');
    const owners = firstOrg.owners;
    const calendars = firstOrg.calendars;

    let service: { child: ChildProcess; exited: Promise<unknown>; output: () => CliResult } | undefined;
    const serviceOutput = () => {
      const output = service?.output();
      return output === undefined ? '' : `${output.stdout}\n${output.stderr}`;
    };
    const cli = (args: string[]) => runCliProcess(args, { cwd, env });
    const forget = (child: ChildProcess) => {
      const index = running.findIndex((r) => r.child === child);
      if (index >= 0) running.splice(index, 1);
    };
    const must = async (args: string[]) => {
      const result = await cli(args);
      if (result.code !== 0)
        throw new Error(`instant-sync ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
      return result;
    };

    const graphSandbox = providers.find((p) => p.kind === 'graph')?.sandbox;

    return {
      owners,
      serviceUrl,
      endpoints: {
        caFile,
        salesforce: {
          url: sfUrl,
          pubSubEndpoint,
          clientId: 'instant-sync',
          clientSecret: 'sandbox-secret',
          redirectUri: `${serviceUrl}/t/acme/oauth/callback`,
        },
        ...(graphSandbox !== undefined
          ? {
              graph: {
                url: graphSandbox.url,
                tenantId: 'contoso',
                clientId: 'sync-app',
                clientSecret: 'graph-secret',
              },
            }
          : {}),
      },
      get tenantId() {
        return firstOrg.tenantId;
      },
      orgs,
      salesforce: firstOrg.salesforce,
      calendars,
      providers,
      cli,
      async startService() {
        const started = await startCliProcess(['serve'], {
          cwd,
          env,
          ready: /engine:/,
          timeoutMs: 30_000,
          nodeArgs: options.nodeArgs ?? [],
        });
        service = { child: started.child, exited: started.exited, output: started.output };
        running.push({ ...service, role: 'service' });
      },
      async startOtherService() {
        const otherPort = await freePort();
        const started = await startCliProcess(['serve'], {
          cwd,
          env: { ...env, INSTANT_SYNC_PORT: String(otherPort) },
          ready: /engine:/,
          timeoutMs: 30_000,
          nodeArgs: options.nodeArgs ?? [],
        });
        running.push({
          child: started.child,
          exited: started.exited,
          role: 'other service',
          output: started.output,
        });
        return `http://127.0.0.1:${otherPort}`;
      },
      async startWorkers(count) {
        // All at once, so none of them gets a head start on the queue.
        const workers = await Promise.all(
          Array.from({ length: count }, () =>
            startCliProcess(['worker'], {
              cwd,
              env,
              ready: /worker started/,
              timeoutMs: 30_000,
              nodeArgs: options.nodeArgs ?? [],
            }),
          ),
        );
        for (const worker of workers)
          running.push({
            child: worker.child,
            exited: worker.exited,
            role: 'workers',
            output: worker.output,
          });
      },
      async startProcess(role, script, args, ready) {
        const started = await startCliProcess(args, { cwd, env, script, ready, timeoutMs: 30_000 });
        running.push({ child: started.child, exited: started.exited, role });
        return started.child.pid;
      },
      processes: () =>
        running.flatMap(({ child, role }) =>
          child.pid === undefined || child.exitCode !== null
            ? []
            : [{ role: role ?? 'other', pid: child.pid }],
        ),
      async stopService() {
        if (service === undefined) return;
        await stop(service.child, service.exited);
        forget(service.child);
      },
      async killService() {
        if (service === undefined) return;
        service.child.kill('SIGKILL');
        await service.exited.catch(() => undefined);
        forget(service.child);
      },
      async databaseStatements() {
        const counts = await Promise.all(
          running.map(async ({ child, output }) => {
            const url = /metrics:\s+(\S+)/.exec(output?.().stdout ?? '')?.[1];
            if (url === undefined || child.exitCode !== null) return 0;
            const text = await (await fetch(url)).text();
            return Number(/^instant_sync_database_statements_total (\S+)$/m.exec(text)?.[1] ?? 0);
          }),
        );
        return counts.reduce((a, b) => a + b, 0);
      },
      useDatabase(url) {
        env['INSTANT_SYNC_DATABASE_URL'] = url;
      },
      async setUpTenant() {
        await setUp(firstOrg);
        if (providers.length > 1) await assignOwners();
      },
      async setUpTenants() {
        for (const org of orgs) await setUp(org);
      },
      reconnect: () => connect('acme', false),
      serviceOutput,
      workerOutputs: () =>
        running
          .filter((r) => r.role === 'workers')
          .map(({ output }) => {
            const out = output?.();
            return out === undefined ? '' : `${out.stdout}\n${out.stderr}`;
          }),
      servicePid: () => service?.child.pid,
      close,
    };

    /** Creates the org's tenant, sets its providers (the first one set is the default) and connects it. */
    async function setUp(org: SystemOrg): Promise<void> {
      const added = await must(['tenants', 'add', org.slug, '--json']);
      // Every org but the first signs in at its own URL (as a My Domain would).
      if (org !== firstOrg) await must(['tenants', 'set', org.slug, '--login-url', org.url]);
      tenantIds.set(org.slug, String((JSON.parse(added.stdout) as { id: string }).id));
      for (const provider of org.providers)
        await must([
          'provider',
          'set',
          org.slug,
          provider.kind,
          ...(provider.name === 'default' ? [] : ['--name', provider.name]),
          ...provider.sandbox.providerSetArgs,
        ]);
      await connect(org.slug);
    }

    /**
     * Assigns each owner whose mailbox goes through a provider other than the default to it, by
     * the email Salesforce has for the user, as an admin would; then checks that `provider list`
     * names the default and counts them.
     */
    async function assignOwners(): Promise<void> {
      const assigned = owners.filter((o) => o.provider !== defaultProvider?.name);
      // A few CLI processes at a time: each is a process start, most of the time spent.
      for (let i = 0; i < assigned.length; i += 4)
        await Promise.all(
          assigned
            .slice(i, i + 4)
            .map((o) =>
              must(['mailboxes', 'map', o.email, o.email, '--provider', o.provider, '--tenant', 'acme']),
            ),
        );
      const listed = JSON.parse((await must(['provider', 'list', 'acme', '--json'])).stdout) as {
        name: string;
        isDefault: boolean;
        mailboxes: number;
      }[];
      if (listed.find((p) => p.isDefault)?.name !== defaultProvider?.name)
        throw new Error(
          `provider list names another default than ${defaultProvider?.name}:\n${JSON.stringify(listed)}`,
        );
      for (const provider of providers.slice(1)) {
        const want = assigned.filter((o) => o.provider === provider.name).length;
        const have = listed.find((p) => p.name === provider.name)?.mailboxes;
        if (have !== want)
          throw new Error(
            `provider list says ${provider.name} has ${have} mailboxes, not ${want}:\n${JSON.stringify(listed)}`,
          );
      }
    }

    /**
     * Connects the tenant through its page; by default waits for its new CDC subscription, on
     * whichever `serve` (this one or another) takes it.
     */
    async function connect(slug: string, waitForSubscription = true): Promise<void> {
      const subscribed = () =>
        running
          .filter((r) => r.role === 'service' || r.role === 'other service')
          .map((r) => {
            const out = r.output?.();
            return out === undefined ? '' : `${out.stdout}\n${out.stderr}`;
          })
          .join('\n')
          .split('\n')
          .filter(
            (line) =>
              line.includes('subscribed to Event change data capture') && line.includes(`"tenant":"${slug}"`),
          ).length;
      // Counted before connecting: the service may subscribe before the connect page answers.
      const subscriptions = subscribed();
      const browser = new TestBrowser(fetchImpl);
      const done = await browser.submit(await browser.get(`${serviceUrl}/t/${slug}/`), {
        button: /^(Connect|Reconnect)/,
      });
      if (!done.url.endsWith('?result=connected'))
        throw new Error(`could not connect ${slug}:\n${done.html}`);
      if (!waitForSubscription) return;
      // Changes made before the CDC subscription opens arrive by polling, a minute later: wait for it.
      const deadline = Date.now() + 60_000;
      while (subscribed() <= subscriptions) {
        if (Date.now() > deadline)
          throw new Error(`the CDC subscription of ${slug} did not open:\n${serviceOutput()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
}

/** A fetch that failed because no connection was made in time (the request never left). */
function isConnectTimeout(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return cause?.code === 'UND_ERR_CONNECT_TIMEOUT';
}
