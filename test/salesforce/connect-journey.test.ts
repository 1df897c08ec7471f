// The admin guide's journey against the sandbox org, over real HTTP with a cookie jar: Connect →
// Connected → the 30-day refresh-token policy runs out → Reconnect required with the tenant's
// jobs paused, none failed → Reconnect → Connected, jobs resume → Disconnect → revoked at
// Salesforce, Disconnected. On both database backends.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../sandbox/salesforce/index.ts';
import { ReconnectRequiredError } from '../../src/lib/errors.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { findConnection } from '../../src/store/salesforce-connections-repository.ts';
import { createTenant } from '../../src/tenants/create-tenant.ts';
import { tenantCreationDeps } from '../../src/main.ts';
import { startCaptureServer, type CaptureServer } from '../support/capture-server.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startServiceUnderTest, type ServiceUnderTest } from '../support/service-under-test.ts';
import { TestBrowser, type Page } from '../support/test-browser.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { sealContext } from '../../src/store/seal-contexts.ts';

const day = 86_400_000;

describeEachBackend('Salesforce connection journey', (database) => {
  let sandbox: SalesforceSandbox;
  let service: ServiceUnderTest;
  let notifications: CaptureServer;
  let clock: ManualClock;
  let tenantId: string;

  const advance = (ms: number) => {
    clock.advance(ms);
    sandbox.clock.advance(ms);
  };
  const statusOf = (page: Page) => /Status: <strong>([^<]+)<\/strong>/.exec(page.html)?.[1];

  beforeAll(async () => {
    const start = Date.UTC(2026, 10, 24, 9);
    clock = new ManualClock(start);
    sandbox = await startSalesforceSandbox({ startTime: start });
    notifications = await startCaptureServer();
    service = await startServiceUnderTest({
      databaseUrl: database.url,
      clock,
      secretKey: generateSecretKey().toString('base64'),
      env: {
        INSTANT_SYNC_SALESFORCE_LOGIN_URL: sandbox.url,
        INSTANT_SYNC_SALESFORCE_CLIENT_ID: 'instant-sync-app',
        INSTANT_SYNC_SALESFORCE_CLIENT_SECRET: 'app-secret',
        INSTANT_SYNC_NOTIFY_URL: notifications.url,
      },
    });
    sandbox.addConnectedApp({
      clientId: 'instant-sync-app',
      clientSecret: 'app-secret',
      callbackUrls: [`${service.url}/t/acme/oauth/callback`, `${service.url}/t/globex/oauth/callback`],
      refreshTokenPolicy: { kind: 'expire_after', days: 30 },
    });
    sandbox.addUser({ username: 'admin@acme.example', email: 'admin@acme.example', password: 'let-me-in' });
    const owner = sandbox.addUser({ username: 'rep@acme.example', email: 'rep@acme.example' });
    sandbox.createEvent(owner.Id, {
      Subject: 'Quarterly review',
      StartDateTime: '2026-11-25T09:00:00.000Z',
      EndDateTime: '2026-11-25T10:00:00.000Z',
    });
    tenantId = (await createTenant(tenantCreationDeps(service.runtime), { slug: 'acme', name: 'Acme Corp' }))
      .id;
    await createTenant(tenantCreationDeps(service.runtime), { slug: 'globex' });
  });

  afterAll(async () => {
    await service.close();
    await sandbox.close();
    await notifications.close();
  });

  /** Clicks Connect (or Reconnect) on the tenant page and signs in at the sandbox org's pages. */
  async function connectThroughPages(browser: TestBrowser, label: RegExp): Promise<Page> {
    const page = await browser.get(`${service.url}/t/acme/`);
    let step = await browser.submit(page, { button: label });
    if (/<input[^>]+name="?password/i.test(step.html)) {
      step = await browser.submit(step, {
        fields: { username: 'admin@acme.example', password: 'let-me-in' },
      });
    }
    if (/allow/i.test(step.html) && step.url.startsWith(sandbox.url)) {
      step = await browser.submit(step, { button: /allow/i });
    }
    return step;
  }

  it('walks Connect → expiry → Reconnect → Disconnect without losing a job', async () => {
    const browser = new TestBrowser();
    const first = await browser.get(`${service.url}/t/acme/`);
    expect(statusOf(first)).toBe('Disconnected');
    expect(first.html).toContain('Client ID');

    // Connect: the sandbox's login and consent pages, back to the tenant page.
    const connected = await connectThroughPages(browser, /^Connect/);
    expect(connected.url).toBe(`${service.url}/t/acme/?result=connected`);
    expect(connected.html).toMatch(/role="status"\s*>\s*Connected\s*</);
    expect(statusOf(connected)).toBe('Connected (expires in 30 days)');
    expect(connected.html).toContain(sandbox.orgId);
    const row = await findConnection(service.runtime.store.db, tenantId);
    expect(row).toMatchObject({ state: 'connected', org_id: sandbox.orgId, username: 'admin@acme.example' });

    // The REST API works through the connection; jobs of a connected tenant are claimable.
    const rest = service.runtime.salesforce.restClient(tenantId);
    expect(await rest.query('SELECT Id, Subject FROM Event')).toEqual([
      expect.objectContaining({ Subject: 'Quarterly review' }),
    ]);
    const queue = service.runtime.queue;
    for (const eventId of ['00U000000000001', '00U000000000002', '00U000000000003']) {
      await queue.enqueue({ tenantId, eventId }, { delayMs: 0 });
    }

    // Day 23: a week left. The admin is warned once, the page counts down.
    advance(23 * day + 3_600_000);
    await service.runtime.salesforce.expiryMonitor.check();
    await service.runtime.salesforce.expiryMonitor.check();
    expect(notifications.received).toEqual([
      expect.objectContaining({ type: 'salesforce.connection.expiring', tenant: 'acme', daysBefore: 7 }),
    ]);
    expect(statusOf(await browser.get(`${service.url}/t/acme/`))).toBe('Connected (expires in 6 days)');

    // Day 30: the refresh token dies. The next API call finds out: Reconnect required, jobs paused.
    advance(7 * day);
    await expect(rest.query('SELECT Id FROM Event')).rejects.toBeInstanceOf(ReconnectRequiredError);
    expect(statusOf(await browser.get(`${service.url}/t/acme/`))).toBe('Reconnect required');
    expect(notifications.received.at(-1)).toMatchObject({
      type: 'salesforce.connection.reconnect_required',
      tenant: 'acme',
    });
    expect((await queue.claim('worker', 10, 60_000)).jobs).toEqual([]);
    expect(await queue.counts(tenantId)).toEqual({ ready: 0, scheduled: 0, paused: 3, running: 0, dead: 0 });

    // Reconnect: Connected again, a fresh 30 days, and the jobs run.
    const reconnected = await connectThroughPages(browser, /Reconnect/);
    expect(statusOf(reconnected)).toBe('Connected (expires in 30 days)');
    const resumed = await queue.claim('worker', 10, 60_000);
    expect(resumed.jobs.map((j) => [j.eventId, j.attempts])).toEqual([
      ['00U000000000001', 1],
      ['00U000000000002', 1],
      ['00U000000000003', 1],
    ]);
    expect(await rest.query('SELECT Id FROM Event')).toHaveLength(1);

    // Disconnect: the grant is revoked at Salesforce.
    const before = await findConnection(service.runtime.store.db, tenantId);
    const refreshToken = service.runtime.secretBox.open(
      before!.refresh_token_sealed!,
      sealContext.refreshToken(tenantId),
    );
    expect(sandbox.isTokenActive(refreshToken)).toBe(true);
    const disconnected = await browser.submit(await browser.get(`${service.url}/t/acme/`), {
      button: /Disconnect/,
    });
    expect(disconnected.url).toBe(`${service.url}/t/acme/?result=disconnected`);
    expect(disconnected.html).toMatch(/role="status"\s*>\s*Disconnected\s*</);
    expect(statusOf(disconnected)).toBe('Disconnected');
    expect(sandbox.isTokenActive(refreshToken)).toBe(false);
  });

  it("shows Salesforce's refusal when the admin clicks Deny, and changes nothing", async () => {
    // A user who has not approved the app yet, so Salesforce asks for consent.
    sandbox.addUser({ username: 'deputy@acme.example', email: 'deputy@acme.example', password: 'deputy-pw' });
    const browser = new TestBrowser();
    let step = await browser.submit(await browser.get(`${service.url}/t/globex/`), { button: /^Connect/ });
    step = await browser.submit(step, { fields: { username: 'deputy@acme.example', password: 'deputy-pw' } });
    const denied = await browser.submit(step, { button: /deny/i });
    expect(denied.status).toBe(400);
    expect(denied.html).toContain(
      'Salesforce did not grant access (access_denied: end-user denied authorization). Nothing was changed.',
    );
    const { connection } = await service.runtime.salesforce.connections.get('globex');
    expect(connection).toMatchObject({ state: 'disconnected', orgId: null });
  });

  it('keeps tokens out of every log line and out of the database in plaintext', async () => {
    const browser = new TestBrowser();
    await connectThroughPages(browser, /Connect/);
    const row = await findConnection(service.runtime.store.db, tenantId);
    const secretBox = service.runtime.secretBox;
    const accessToken = secretBox.open(row!.access_token_sealed!, sealContext.accessToken(tenantId));
    const refreshToken = secretBox.open(row!.refresh_token_sealed!, sealContext.refreshToken(tenantId));
    await service.runtime.salesforce.sessions.refreshNow(tenantId);
    const all = service.logs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [accessToken, refreshToken, 'app-secret']) expect(all).not.toContain(secret);
    const rows = await service.runtime.store.db.selectFrom('salesforce_connections').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(refreshToken);
    expect(JSON.stringify(rows)).not.toContain(accessToken);
  });
});
