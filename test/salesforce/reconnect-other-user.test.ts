// The public tenant page cannot be used to swap whose visibility the sync reads with: a visitor
// who signs in to the org as another Salesforce user gets a page that says so, the tenant stays
// connected as before, and the stranger's new grant is revoked at once. The connected user may
// Reconnect; an Instant Sync admin (signed in on the same browser) may connect as anyone.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../sandbox/salesforce/index.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { tenantCreationDeps } from '../../src/main.ts';
import { findConnection } from '../../src/store/salesforce-connections-repository.ts';
import { createTenant } from '../../src/tenants/create-tenant.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startServiceUnderTest, type ServiceUnderTest } from '../support/service-under-test.ts';
import { TestBrowser, type Page } from '../support/test-browser.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { sealContext } from '../../src/store/seal-contexts.ts';

const adminToken = 'reconnect-admin-token-0123456789';

describeEachBackend('Reconnect as another Salesforce user', (database) => {
  let sandbox: SalesforceSandbox;
  let service: ServiceUnderTest;
  let tenantId: string;

  beforeAll(async () => {
    const start = Date.UTC(2026, 10, 24, 9);
    sandbox = await startSalesforceSandbox({ startTime: start });
    service = await startServiceUnderTest({
      databaseUrl: database.url,
      clock: new ManualClock(start),
      secretKey: generateSecretKey().toString('base64'),
      env: {
        INSTANT_SYNC_SALESFORCE_LOGIN_URL: sandbox.url,
        INSTANT_SYNC_SALESFORCE_CLIENT_ID: 'instant-sync-app',
        INSTANT_SYNC_SALESFORCE_CLIENT_SECRET: 'app-secret',
        INSTANT_SYNC_ADMIN_TOKEN: adminToken,
      },
    });
    sandbox.addConnectedApp({
      clientId: 'instant-sync-app',
      clientSecret: 'app-secret',
      callbackUrls: [`${service.url}/t/acme/oauth/callback`],
    });
    for (const name of ['admin', 'intruder', 'deputy'])
      sandbox.addUser({
        username: `${name}@acme.example`,
        email: `${name}@acme.example`,
        password: `${name}-pw`,
      });
    tenantId = (await createTenant(tenantCreationDeps(service.runtime), { slug: 'acme' })).id;
  });

  afterAll(async () => {
    await service.close();
    await sandbox.close();
  });

  /** Clicks Connect or Reconnect and signs in to the org as `user`. */
  async function connectAs(browser: TestBrowser, user: string): Promise<Page> {
    let step = await browser.submit(await browser.get(`${service.url}/t/acme/`), {
      button: /^(Connect|Reconnect)/,
    });
    if (/<input[^>]+name="?password/i.test(step.html))
      step = await browser.submit(step, {
        fields: { username: `${user}@acme.example`, password: `${user}-pw` },
      });
    if (/allow/i.test(step.html) && step.url.startsWith(sandbox.url))
      step = await browser.submit(step, { button: /allow/i });
    return step;
  }

  const connectedUser = async () =>
    (await service.runtime.salesforce.connections.get('acme')).connection.username;
  const refreshToken = async () => {
    const row = await findConnection(service.runtime.store.db, tenantId);
    return service.runtime.secretBox.open(row!.refresh_token_sealed!, sealContext.refreshToken(tenantId));
  };

  it('refuses a stranger, lets the connected user and an admin reconnect', async () => {
    const connected = await connectAs(new TestBrowser(), 'admin');
    expect(connected.url).toBe(`${service.url}/t/acme/?result=connected`);
    expect(connected.html).toMatch(/Connected as<\/dt>\s*<dd>admin@acme\.example<\/dd>/);
    const adminGrant = await refreshToken();

    // Another user of the org, on the public page.
    const revocationsBefore = sandbox.stats().revocations;
    const refused = await connectAs(new TestBrowser(), 'intruder');
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('This tenant is connected as admin@acme.example');
    expect(refused.html).toContain('Nothing was changed');
    expect(await connectedUser()).toBe('admin@acme.example');
    expect(await refreshToken()).toBe(adminGrant);
    expect(sandbox.isTokenActive(adminGrant)).toBe(true);
    // The stranger's fresh grant did not survive either.
    expect(sandbox.stats().revocations).toBe(revocationsBefore + 1);

    // The connected user reconnects from any browser.
    const again = await connectAs(new TestBrowser(), 'admin');
    expect(again.url).toBe(`${service.url}/t/acme/?result=connected`);
    expect(await connectedUser()).toBe('admin@acme.example');

    // An Instant Sync admin, signed in on this browser, may connect the tenant as someone else.
    const browser = new TestBrowser();
    const signedIn = await browser.submit(await browser.get(`${service.url}/admin/login`), {
      button: /Sign in/,
      fields: { secret: adminToken },
    });
    expect(signedIn.url).toBe(`${service.url}/admin/`);
    const replaced = await connectAs(browser, 'deputy');
    expect(replaced.url).toBe(`${service.url}/t/acme/?result=connected`);
    expect(await connectedUser()).toBe('deputy@acme.example');
  });
});
