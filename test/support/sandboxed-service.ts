// The service (in-process) wired to a Salesforce sandbox org that auto-approves sign-ins, with
// one External Client App for every tenant this helper creates, and a clock moved for both.
import { startSalesforceSandbox, type SalesforceSandbox } from '../../sandbox/salesforce/index.ts';
import { readFileSync } from 'node:fs';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { tenantCreationDeps } from '../../src/main.ts';
import { createTenant, type CreatedTenant } from '../../src/tenants/create-tenant.ts';
import { ManualClock } from './manual-clock.ts';
import { startServiceUnderTest, type ServiceUnderTest } from './service-under-test.ts';
import { TestBrowser, type Page } from './test-browser.ts';

export interface SandboxedService {
  sandbox: SalesforceSandbox;
  service: ServiceUnderTest;
  clock: ManualClock;
  /** An active sandbox user who owns Events. */
  ownerId: string;
  /** Moves the service's clock and the sandbox's together. */
  advance(ms: number): void;
  /** Creates a tenant and connects it through the sandbox's OAuth (auto-approved). */
  connectedTenant(slug: string): Promise<CreatedTenant>;
  /** Connects an existing tenant again through its page (after its grant was revoked, say). */
  /** Connects (or reconnects) the tenant through its page as an admin would; the page it ends on. */
  reconnect(slug: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startSandboxedService(options: {
  databaseUrl: string;
  env?: Record<string, string>;
  /** Serve the org over HTTPS, trusted by the service through INSTANT_SYNC_EXTRA_CA_FILE. */
  tls?: boolean;
  /** Run the org's Pub/Sub API too (implies TLS); the service is pointed at it. */
  pubSub?: boolean;
  /** The org's daily API request limit (default 100,000). */
  dailyApiLimit?: number;
}): Promise<SandboxedService> {
  const sandbox = await startSalesforceSandbox({
    autoApprove: true,
    tls: options.tls ?? false,
    pubSub: options.pubSub ?? false,
    pubSubKeepaliveMs: 5000,
    ...(options.dailyApiLimit === undefined ? {} : { dailyApiLimit: options.dailyApiLimit }),
  });
  const clock = new ManualClock(sandbox.clock.now());
  const service = await startServiceUnderTest({
    databaseUrl: options.databaseUrl,
    clock,
    secretKey: generateSecretKey().toString('base64'),
    env: {
      INSTANT_SYNC_SALESFORCE_LOGIN_URL: sandbox.url,
      INSTANT_SYNC_SALESFORCE_CLIENT_ID: 'instant-sync',
      INSTANT_SYNC_SALESFORCE_CLIENT_SECRET: 'sandbox-secret',
      ...(sandbox.caFile === undefined ? {} : { INSTANT_SYNC_EXTRA_CA_FILE: sandbox.caFile }),
      ...(sandbox.pubSubEndpoint === undefined
        ? {}
        : { INSTANT_SYNC_PUBSUB_ENDPOINT: sandbox.pubSubEndpoint }),
      ...options.env,
    },
  });
  const callbackUrls: string[] = [];
  sandbox.addConnectedApp({ clientId: 'instant-sync', clientSecret: 'sandbox-secret', callbackUrls });
  const ownerId = sandbox.addUser({
    username: 'rep@acme.example',
    email: 'rep@acme.example',
    timeZoneSidKey: 'Europe/Berlin',
  }).Id;
  const env: SandboxedService = {
    sandbox,
    service,
    clock,
    ownerId,
    advance(ms) {
      clock.advance(ms);
      sandbox.clock.advance(ms);
    },
    async connectedTenant(slug) {
      callbackUrls.push(service.runtime.salesforce.connections.callbackUrl(slug));
      const tenant = await createTenant(tenantCreationDeps(service.runtime), { slug });
      await env.reconnect(slug);
      return tenant;
    },
    async reconnect(slug) {
      const caPem = sandbox.caFile === undefined ? undefined : readFileSync(sandbox.caFile, 'utf8');
      const browser = new TestBrowser(createOutboundFetch({ extraCaPem: caPem }));
      const done = await browser.submit(await browser.get(`${service.url}/t/${slug}/`), {
        button: /^(Connect|Reconnect)/,
      });
      if (!/\?result=connected(&|$)/.test(done.url))
        throw new Error(`could not connect ${slug}:\n${done.html}`);
      return done;
    },
    async close() {
      await service.close();
      await sandbox.close();
    },
  };
  return env;
}
