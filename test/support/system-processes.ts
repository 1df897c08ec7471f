// The whole system as separate processes, as an admin would run it: the sandbox org (OAuth, REST,
// Pub/Sub CDC over TLS) and a calendar sandbox (Graph's, Google's or Exchange's, calendar-sandboxes.ts) from
// their launchers, and the service from its executable. A tenant is created and set up with the CLI and connected through the real OAuth
// pages. End-to-end tests and the bench drive it through the sandboxes' control APIs.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { startCalendarSandbox, type CalendarKind, type CalendarSandbox } from './calendar-sandboxes.ts';
import { runCliProcess, startCliProcess, type CliResult } from './cli-process.ts';
import { freePort } from './service-under-test.ts';
import { TestBrowser } from './test-browser.ts';

const salesforceLauncher = fileURLToPath(new URL('../../sandbox/salesforce/main.ts', import.meta.url));

export interface SystemOptions {
  databaseUrl: string;
  owners: number;
  salesforceLatencyMs?: number;
  cdcDelayMs?: number;
  /** The mailbox provider whose sandbox stands in for the calendars (default graph). */
  provider?: CalendarKind;
  calendarLatencyMs?: number;
  /** More service settings (INSTANT_SYNC_*). */
  env?: Record<string, string>;
  /** Node.js flags for the service's processes (serve and workers), e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
}

export interface Owner {
  id: string;
  email: string;
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

export interface RunningSystem {
  owners: Owner[];
  endpoints: SystemEndpoints;
  /** Where the service listens (health checks, tenant pages, the webhook). */
  serviceUrl: string;
  tenantId: string;
  /** Salesforce's side, through the sandbox org's control API. */
  salesforce: {
    createEvent(ownerId: string, fields: Record<string, unknown>): Promise<Record<string, unknown>>;
    updateEvent(id: string, fields: Record<string, unknown>): Promise<Record<string, unknown>>;
    deleteEvent(id: string): Promise<void>;
    /** Deletes an occurrence of a Lightning series and the ones after it (the first: the whole series). */
    deleteFromThisEventOnwards(id: string): Promise<void>;
    /** Live (not deleted) Events. */
    events(): Promise<Record<string, unknown>[]>;
    stats(): Promise<{ apiCalls: number }>;
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
  };
  /** The calendars' side, through the provider sandbox's control API and the provider's own API. */
  calendars: CalendarSandbox;
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
  /** Creates the tenant, sets its mailbox provider, connects it through OAuth (the service must run). */
  setUpTenant(): Promise<void>;
  /** Reconnects the tenant through the tenant page (after its grant was revoked). */
  reconnect(): Promise<void>;
  serviceOutput(): string;
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
  const running: { child: ChildProcess; exited: Promise<unknown>; role?: string }[] = [];
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
      ],
      { cwd, script: salesforceLauncher, ready: /Pub\/Sub API: (\S+)/, timeoutMs: 30_000 },
    );
    running.push({ child: sf.child, exited: sf.exited, role: 'salesforce sandbox' });
    const sfUrl = /listening on (\S+)/.exec(sf.output().stdout)?.[1] ?? '';
    const caFile = /TLS CA certificate: (\S+)/.exec(sf.output().stdout)?.[1] ?? '';
    const pubSubEndpoint = sf.match[1] ?? '';
    const fetchImpl = createOutboundFetch({ extraCaPem: readFileSync(caFile, 'utf8') });
    const call = async <T>(base: string, method: string, path: string, body?: unknown): Promise<T> => {
      const response = await fetchImpl(`${base}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (response.status === 204 ? undefined : await response.json()) as T;
    };

    const calendars = await startCalendarSandbox(options.provider ?? 'graph', {
      cwd,
      latencyMs: options.calendarLatencyMs ?? 0,
      call,
      fetchImpl,
    });
    running.push({
      child: calendars.child,
      exited: calendars.exited,
      role: { graph: 'Graph sandbox', google: 'Google sandbox', ews: 'EWS sandbox' }[calendars.sandbox.kind],
    });
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
      ...options.env,
    };
    await call(sfUrl, 'POST', '/__sandbox/apps', {
      clientId: 'instant-sync',
      clientSecret: 'sandbox-secret',
      callbackUrls: [`${serviceUrl}/t/acme/oauth/callback`],
    });
    const addUser: RunningSystem['salesforce']['addUser'] = async (user) =>
      String((await call<{ Id: string }>(sfUrl, 'POST', '/__sandbox/users', user)).Id);
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'Europe/London',
    ];
    const owners: Owner[] = [];
    for (let i = 0; i < options.owners; i++) {
      const email = `rep${String(i).padStart(4, '0')}@acme.example`;
      owners.push({
        email,
        id: await addUser({ username: email, email, timeZoneSidKey: zones[i % zones.length] ?? 'UTC' }),
      });
      await calendars.sandbox.addMailbox(email);
    }

    let service: { child: ChildProcess; exited: Promise<unknown>; output: () => CliResult } | undefined;
    let tenantId = '';
    const serviceOutput = () => {
      const output = service?.output();
      return output === undefined ? '' : `${output.stdout}\n${output.stderr}`;
    };
    const cli = (args: string[]) => runCliProcess(args, { cwd, env });
    const must = async (args: string[]) => {
      const result = await cli(args);
      if (result.code !== 0)
        throw new Error(`instant-sync ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
      return result;
    };

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
        ...(calendars.sandbox.kind === 'graph'
          ? {
              graph: {
                url: calendars.sandbox.url,
                tenantId: 'contoso',
                clientId: 'sync-app',
                clientSecret: 'graph-secret',
              },
            }
          : {}),
      },
      get tenantId() {
        return tenantId;
      },
      salesforce: {
        createEvent: (ownerId, fields) => call(sfUrl, 'POST', '/__sandbox/events', { ownerId, ...fields }),
        updateEvent: (id, fields) => call(sfUrl, 'PATCH', `/__sandbox/events/${id}`, fields),
        deleteEvent: (id) => call(sfUrl, 'DELETE', `/__sandbox/events/${id}`),
        deleteFromThisEventOnwards: async (id) => {
          await call(sfUrl, 'DELETE', `/__sandbox/events/${id}/fromThisEventOnwards`);
        },
        events: async () =>
          (await call<Record<string, unknown>[]>(sfUrl, 'GET', '/__sandbox/events')).filter(
            (e) => e['IsDeleted'] !== true,
          ),
        stats: () => call(sfUrl, 'GET', '/__sandbox/stats'),
        addUser,
        revokeGrants: async () =>
          (await call<{ revoked: number }>(sfUrl, 'POST', '/__sandbox/apps/instant-sync/revoke')).revoked,
        pubSubOutage: (ms) => call(sfUrl, 'POST', '/__sandbox/cdc/outage', { ms }),
        expireChangeEvents: () => call(sfUrl, 'POST', '/__sandbox/cdc/expire'),
      },
      calendars: calendars.sandbox,
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
        running.push({ child: started.child, exited: started.exited, role: 'other service' });
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
          running.push({ child: worker.child, exited: worker.exited, role: 'workers' });
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
        running.splice(running.indexOf(service), 1);
      },
      async killService() {
        if (service === undefined) return;
        service.child.kill('SIGKILL');
        await service.exited.catch(() => undefined);
        running.splice(running.indexOf(service), 1);
      },
      useDatabase(url) {
        env['INSTANT_SYNC_DATABASE_URL'] = url;
      },
      async setUpTenant() {
        const added = await must(['tenants', 'add', 'acme', '--json']);
        tenantId = String((JSON.parse(added.stdout) as { id: string }).id);
        await must(['provider', 'set', 'acme', calendars.sandbox.kind, ...calendars.sandbox.providerSetArgs]);
        await connect();
      },
      reconnect: () => connect(false),
      serviceOutput,
      servicePid: () => service?.child.pid,
      close,
    };

    /** Connects through the tenant page; by default waits for the new CDC subscription of `serve`. */
    async function connect(waitForSubscription = true): Promise<void> {
      const browser = new TestBrowser(fetchImpl);
      const done = await browser.submit(await browser.get(`${serviceUrl}/t/acme/`), {
        button: /^(Connect|Reconnect)/,
      });
      if (!done.url.endsWith('?result=connected')) throw new Error(`could not connect:\n${done.html}`);
      if (!waitForSubscription) return;
      // Changes made before the CDC subscription opens arrive by polling, a minute later: wait for it.
      const subscribed = () =>
        (serviceOutput().match(/subscribed to Event change data capture/g) ?? []).length;
      const subscriptions = subscribed();
      const deadline = Date.now() + 30_000;
      while (subscribed() <= subscriptions) {
        if (Date.now() > deadline) throw new Error(`the CDC subscription did not open:\n${serviceOutput()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
}
