// The demo behind `npm start` on a machine with no Salesforce or Microsoft 365 configured: the
// sandbox org and the mailbox provider's sandbox (Graph unless another provider is asked for; the
// provider's description names its sandbox) are started, a `demo` tenant is created (or reused),
// set up for that provider and connected through the real OAuth flow (authorization code with PKCE, against the
// sandbox), and a stream of Event changes — creates, edits, deletions, an all-day Event, a
// recurring one, a private one — is written to the org while the real service syncs them. One
// line is printed per sync, ending with the Event's id for `instant-sync trace`. The database
// (./data by default) is kept between runs; the sandboxes start fresh each time.
//
// What the demo prints is for the terminal: the admin pages' sign-in token (made for this run,
// unless INSTANT_SYNC_ADMIN_TOKEN is set) never goes to the log. While it runs, the demo leaves
// its sandboxes' settings in ./data/demo-settings.json, where other commands run in the same
// folder find them (config/load-config.ts), so `instant-sync doctor demo` reaches its sandboxes.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { demoSettingsFileBeside } from '../config/load-config.ts';
import type { Config } from '../config/options.ts';
import { startHttpServer, type RunningHttpServer } from '../http/start-http-server.ts';
import { ConfigError, describeError } from '../lib/errors.ts';
import { loadSecretKey } from '../lib/secret-key-source.ts';
import { followLoad } from '../lib/heap-mode.ts';
import type { Logger } from '../lib/logger.ts';
import {
  createHttpAppFor,
  createIntake,
  createSyncWorker,
  openRuntimeWithSecrets,
  tenantCreationDeps,
  type RuntimeWithSecrets,
} from '../main.ts';
import type { SyncedEvent } from '../engine/tenant-sync.ts';
import { createTenant } from '../tenants/create-tenant.ts';
import type { ProviderPlugin } from '../providers/provider-plugin.ts';
import { providerPlugins } from '../providers/registry.ts';
import { setMailboxProvider } from '../tenants/set-mailbox-provider.ts';
import { updateTenantSettings } from '../tenants/update-tenant-settings.ts';
import { startDemoSandboxes, type DemoSandboxes } from './demo-sandboxes.ts';
import { demoReps, DemoStream } from './demo-stream.ts';

export const demoSlug = 'demo';

export interface DemoOptions {
  /** Where to print what happens (the terminal). */
  print: (line: string) => void;
  /** Stops the demo (Ctrl-C). */
  stopSignal: Promise<void>;
  /** Milliseconds between two changes to the org's Events. */
  paceMs?: number;
  /** The mailbox provider the demo syncs to (its sandbox); the first one (Graph) if not given. */
  provider?: ProviderPlugin;
}

export async function runDemo(baseConfig: Config, logger: Logger, options: DemoOptions): Promise<void> {
  const { print } = options;
  const plugin = options.provider ?? providerPlugins[0];
  if (plugin === undefined) throw new Error('this version has no mailbox provider');
  print(`No Salesforce org is configured: starting the demo with a sandbox org and ${plugin.sandbox.label}.`);
  if (await madeSecretKey(baseConfig))
    print(
      `  (A new secret key is in ${baseConfig.secretKeyFile}: it encrypts the demo's tokens in the database; keep it with the database.)`,
    );
  const sandboxes = await startDemoSandboxes(plugin.sandbox).catch((error: unknown) => {
    throw new Error(describeDemoFailure(error), { cause: error });
  });
  let runtime: RuntimeWithSecrets | undefined;
  let server: RunningHttpServer | undefined;
  let started = false;
  const settingsFile = demoSettingsFileBeside(baseConfig.secretKeyFile);
  let wroteSettings = false;
  const stops: (() => Promise<void>)[] = [];
  try {
    const config: Config = {
      ...baseConfig,
      salesforceLoginUrl: sandboxes.salesforceUrl,
      salesforceClientId: 'instant-sync-demo',
      salesforceClientSecret: randomBytes(18).toString('base64url'),
      extraCaFile: sandboxes.caFile,
      pubSubEndpoint: sandboxes.pubSubEndpoint,
      // A way into the admin pages for this run, unless one is configured.
      adminToken: baseConfig.adminToken ?? randomBytes(18).toString('base64url'),
    };
    runtime = await openRuntimeWithSecrets(config, logger, { migrations: 'auto' });
    server = await startHttpServer(createHttpAppFor(runtime), {
      host: config.host,
      port: config.port,
      requestTimeoutMs: config.requestTimeout,
      maxConnections: config.maxConnections,
    }).catch((error: unknown) => {
      throw error instanceof ConfigError && error.problems.length === 1
        ? new ConfigError(
            [
              `${error.problems[0] ?? ''}, e.g. INSTANT_SYNC_PORT=${config.port === 65535 ? 8081 : config.port + 1} npm start`,
            ],
            'The demo could not start',
          )
        : error;
    });
    const org = new DemoOrg(sandboxes, runtime.salesforce.deps.fetch);
    await org.setUp(config, runtime.salesforce.connections.callbackUrl(demoSlug));
    await setUpTenant(runtime, sandboxes, org, plugin).catch((error: unknown) => {
      throw new Error(describeDemoFailure(error), { cause: error });
    });

    const intake = createIntake(runtime);
    intake.start();
    stops.push(() => intake.stop());
    const stream = new DemoStream(org);
    const engine = createSyncWorker(runtime, {
      onSynced: (_tenant, synced) => print(describeSync(synced, stream)),
      onSkipped: (_tenant, skipped) =>
        print(
          `${new Date().toISOString().slice(11, 19)}  skipped  ${JSON.stringify(stream.subjectOf(skipped.eventId) ?? skipped.eventId)}: ${skipped.reason} (npx instant-sync trace ${skipped.eventId})`,
        ),
    });
    engine.start();
    stops.push(() => engine.stop());
    // As `serve`: the heap and the optimizing compilers follow the load (lib/heap-mode.ts).
    const load = followLoad(logger);
    stops.push(() => Promise.resolve(load?.stop()));
    // What other commands run in this folder need to reach the sandboxes, while the demo runs.
    mkdirSync(dirname(settingsFile), { recursive: true, mode: 0o700 });
    writeFileSync(
      settingsFile,
      `${JSON.stringify({ pid: process.pid, settings: { extraCaFile: sandboxes.caFile, pubSubEndpoint: sandboxes.pubSubEndpoint, publicUrl: config.publicUrl } }, null, 2)}\n`,
      { mode: 0o600 },
    );
    wroteSettings = true;
    started = true;

    print('');
    print(`  Tenant page (Connect / Disconnect):  ${config.publicUrl}/t/${demoSlug}/`);
    print(
      `  Admin pages:  ${config.publicUrl}/admin/  ${baseConfig.adminToken === undefined ? `(sign in with the token ${config.adminToken}, good while this demo runs)` : '(sign in with your INSTANT_SYNC_ADMIN_TOKEN)'}`,
    );
    print(
      `  Sandbox calendars (what the owners would see):  ${sandboxes.providerUrl}${plugin.sandbox.viewPath}`,
    );
    print(
      `    (your browser will warn about this https page: the sandboxes' certificates come from a local certificate authority, ${sandboxes.caFile}; continue past the warning, or trust that file)`,
    );
    print(`  Trace an Event:  npx instant-sync trace <event id>  (each line below ends with its Event's id)`);
    print(`  Other commands reach this demo while it runs, e.g.:  npx instant-sync doctor ${demoSlug}`);
    print('  Ctrl-C stops.');
    print('');
    await sleep(1500); // the CDC subscription opens
    await stream.run(options.stopSignal, options.paceMs ?? 2000, (problem) =>
      print(`  (the sandbox refused a change: ${problem})`),
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await server?.close(1000).catch(() => undefined);
    await runtime?.close().catch(() => undefined);
    await sandboxes.stop();
    if (wroteSettings) rmSync(settingsFile, { force: true });
    if (started) print('Demo stopped. `npm start` again reuses the data in ./data.');
  }
}

/** Makes the secret key file on the first run, so the terminal says so in words (not a log line). */
async function madeSecretKey(config: Config): Promise<boolean> {
  if (config.secretKey !== undefined || !config.databaseUrl.startsWith('sqlite:')) return false;
  const source = await loadSecretKey({
    secretKey: undefined,
    secretKeyFile: config.secretKeyFile,
    mayGenerate: true,
  });
  return source.origin === 'generated';
}

function describeSync(synced: SyncedEvent, stream: DemoStream): string {
  const time = new Date().toISOString().slice(11, 19);
  const verb = { create: 'created', update: 'updated', move: 'moved  ', delete: 'deleted' }[synced.action];
  const subject = stream.subjectOf(synced.eventId) ?? synced.eventId;
  return `${time}  ${verb}  ${JSON.stringify(subject).padEnd(40)} → ${synced.mailbox ?? '?'}  ${(synced.latencyMs / 1000).toFixed(1)} s after the save in Salesforce  ${synced.eventId}`;
}

async function setUpTenant(
  runtime: RuntimeWithSecrets,
  sandboxes: DemoSandboxes,
  org: DemoOrg,
  plugin: ProviderPlugin,
): Promise<void> {
  const { store, secretBox, clock, salesforce } = runtime;
  const existing = await store.repos.tenants.findTenantBySlug(demoSlug);
  if (existing === undefined)
    await createTenant(tenantCreationDeps(runtime), { slug: demoSlug, name: 'Demo (sandbox org)' });
  else {
    // The sandboxes keep nothing between runs (and reuse their ids): the demo tenant's sync state
    // from an earlier run describes an org that is gone, so it starts over.
    await store.repos.tenants.forgetSyncState(existing.id);
  }
  // A new run has new sandboxes (new ports): point the reused tenant at them.
  await updateTenantSettings({ repos: store.repos, secretBox, clock }, demoSlug, {
    loginUrl: sandboxes.salesforceUrl,
  });
  const input = await plugin.sandbox.prepare(
    sandboxes.providerUrl,
    (method, path, body) => org.call(sandboxes.providerUrl, method, path, body),
    demoReps.map((rep) => ({ address: rep.email, displayName: `${rep.firstName} ${rep.lastName}` })),
  );
  await setMailboxProvider({ repos: store.repos, secretBox, clock }, demoSlug, plugin.kind, input);
  // The real OAuth web server flow: the sandbox approves at once, as a signed-in admin would.
  const binding = randomBytes(16).toString('base64url');
  const { authorizeUrl } = await salesforce.connections.startConnect(demoSlug, binding);
  const answer = await salesforce.deps.fetch(authorizeUrl, { redirect: 'manual' });
  const location = answer.headers.get('location');
  if (location === null) throw new Error(`the sandbox org did not approve the Connect (${answer.status})`);
  const callback = new URL(location);
  await salesforce.connections.finishConnect(
    demoSlug,
    {
      state: callback.searchParams.get('state') ?? undefined,
      code: callback.searchParams.get('code') ?? undefined,
      error: callback.searchParams.get('error') ?? undefined,
    },
    binding,
  );
}

/** The sandboxes' control APIs, as far as the demo needs them. */
export class DemoOrg {
  readonly #sandboxes: DemoSandboxes;
  readonly #fetch: typeof fetch;
  /** Salesforce user id → mailbox address. */
  readonly reps = new Map<string, string>();

  constructor(sandboxes: DemoSandboxes, fetchImpl: typeof fetch) {
    this.#sandboxes = sandboxes;
    this.#fetch = fetchImpl;
  }

  async setUp(config: Config, callbackUrl: string): Promise<void> {
    await this.salesforce('POST', '/__sandbox/apps', {
      clientId: config.salesforceClientId,
      clientSecret: config.salesforceClientSecret,
      callbackUrls: [callbackUrl],
    });
    await this.salesforce('POST', '/__sandbox/users', {
      username: 'admin@demo.example',
      email: 'admin@demo.example',
      firstName: 'Ada',
      lastName: 'Admin',
    });
    for (const rep of demoReps) {
      const user = (await this.salesforce('POST', '/__sandbox/users', rep)) as { Id: string };
      this.reps.set(user.Id, rep.email);
    }
  }

  salesforce(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.call(this.#sandboxes.salesforceUrl, method, path, body);
  }

  /** Calls a sandbox's control API (JSON). */
  async call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await this.#fetch(`${base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}

export function describeDemoFailure(error: unknown): string {
  return `The demo could not start: ${describeError(error)}`;
}
