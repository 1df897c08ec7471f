// Every way a Connect can go wrong ends on a clear page and leaves the tenant as it was:
// denied consent, a PKCE mismatch, a replayed or unknown state, a callback for another tenant,
// a callback in another browser, and a sign-in to a different org than the tenant's.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../sandbox/salesforce/index.ts';
import { IdFactory } from '../../sandbox/salesforce/salesforce-ids.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { tenantCreationDeps } from '../../src/main.ts';
import { findConnection } from '../../src/store/salesforce-connections-repository.ts';
import { createTenant } from '../../src/tenants/create-tenant.ts';
import { updateTenantSettings } from '../../src/tenants/update-tenant-settings.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startServiceUnderTest, type ServiceUnderTest } from '../support/service-under-test.ts';
import { TestBrowser, type Page } from '../support/test-browser.ts';
import { TestDatabase } from '../support/test-databases.ts';

describe('Connect refusals', () => {
  const database = new TestDatabase('sqlite');
  let sandbox: SalesforceSandbox;
  let service: ServiceUnderTest;
  const tenants: Record<string, string> = {};

  beforeAll(async () => {
    await database.create();
    sandbox = await startSalesforceSandbox({ autoApprove: true });
    service = await startServiceUnderTest({
      databaseUrl: database.url,
      clock: new ManualClock(sandbox.clock.now()),
      secretKey: generateSecretKey().toString('base64'),
      env: {
        INSTANT_SYNC_SALESFORCE_LOGIN_URL: sandbox.url,
        INSTANT_SYNC_SALESFORCE_CLIENT_ID: 'instant-sync-app',
        INSTANT_SYNC_SALESFORCE_CLIENT_SECRET: 'app-secret',
      },
    });
    sandbox.addConnectedApp({
      clientId: 'instant-sync-app',
      clientSecret: 'app-secret',
      callbackUrls: ['acme', 'globex'].map((slug) => `${service.url}/t/${slug}/oauth/callback`),
    });
    sandbox.addUser({ username: 'admin@acme.example', email: 'admin@acme.example' });
    for (const slug of ['acme', 'globex']) {
      tenants[slug] = (await createTenant(tenantCreationDeps(service.runtime), { slug })).id;
    }
  });

  afterAll(async () => {
    await service.close();
    await sandbox.close();
    await database.drop();
  });

  beforeEach(async () => {
    for (const slug of ['acme', 'globex']) {
      const row = await findConnection(service.runtime.store.db, tenants[slug]!);
      if (row?.state !== 'disconnected') await service.runtime.salesforce.connections.disconnect(slug);
    }
  });

  /** Clicks Connect and returns the redirect to the sandbox's authorize endpoint, not followed. */
  async function startConnect(browser: TestBrowser, slug: string): Promise<URL> {
    const page = await browser.get(`${service.url}/t/${slug}/`);
    const redirect = await browser.submit(page, { button: /^(Connect|Reconnect)/ }, { follow: false });
    expect(redirect.status).toBe(303);
    return new URL(redirect.location!);
  }

  /** Lets the sandbox (auto-approving) answer an authorize URL, returning the callback URL it redirects to. */
  async function authorize(browser: TestBrowser, authorizeUrl: URL): Promise<string> {
    const answer = await browser.get(authorizeUrl.toString(), { follow: false });
    expect(answer.status).toBe(302);
    return answer.location!;
  }

  async function expectUnchanged(slug: string) {
    const row = await findConnection(service.runtime.store.db, tenants[slug]!);
    expect(row).toMatchObject({
      state: 'disconnected',
      access_token_sealed: null,
      refresh_token_sealed: null,
    });
  }

  const refusal = (page: Page) => /<h1[^>]*>([^<]+)<\/h1>\s*<p>([^<]+)<\/p>/.exec(page.html)?.slice(1);

  it('a sign-in whose code does not match the PKCE challenge is refused', async () => {
    const browser = new TestBrowser();
    const authorizeUrl = await startConnect(browser, 'acme');
    authorizeUrl.searchParams.set('code_challenge', 'A'.repeat(43));
    const page = await browser.get(await authorize(browser, authorizeUrl));
    expect(page.status).toBe(400);
    expect(refusal(page)?.[1]).toMatch(
      /^Salesforce refused the sign-in \(invalid_grant: .*verifier.*\)\. Nothing was changed/,
    );
    await expectUnchanged('acme');
  });

  it('a replayed callback is refused and changes nothing', async () => {
    const browser = new TestBrowser();
    const callback = await authorize(browser, await startConnect(browser, 'acme'));
    const done = await browser.get(callback);
    expect(done.url).toBe(`${service.url}/t/acme/?result=connected`);
    const before = await findConnection(service.runtime.store.db, tenants['acme']!);

    const replay = await browser.get(callback);
    expect(replay.status).toBe(400);
    expect(refusal(replay)?.[1]).toContain('unknown, has expired (after 10 minutes) or was already used');
    expect(await findConnection(service.runtime.store.db, tenants['acme']!)).toEqual(before);
  });

  it('an unknown state and a missing state are refused', async () => {
    const browser = new TestBrowser();
    for (const query of ['?state=made-up&code=x', '?code=x']) {
      const page = await browser.get(`${service.url}/t/acme/oauth/callback${query}`);
      expect(page.status).toBe(400);
      expect(refusal(page)?.[0]).toBe('Could not connect to Salesforce');
    }
    await expectUnchanged('acme');
  });

  it('denied consent is refused with what Salesforce said', async () => {
    const browser = new TestBrowser();
    const authorizeUrl = await startConnect(browser, 'acme');
    const callback = new URL(`${service.url}/t/acme/oauth/callback`);
    callback.searchParams.set('error', 'access_denied');
    callback.searchParams.set('error_description', 'end-user denied authorization');
    callback.searchParams.set('state', authorizeUrl.searchParams.get('state')!);
    const page = await browser.get(callback.toString());
    expect(page.status).toBe(400);
    expect(refusal(page)?.[1]).toBe(
      'Salesforce did not grant access (access_denied: end-user denied authorization). Nothing was changed.',
    );
    await expectUnchanged('acme');
  });

  it('a callback for another tenant is refused and changes neither tenant', async () => {
    const browser = new TestBrowser();
    const callback = new URL(await authorize(browser, await startConnect(browser, 'acme')));
    const misdirected = await browser.get(`${service.url}/t/globex/oauth/callback${callback.search}`);
    expect(misdirected.status).toBe(400);
    expect(refusal(misdirected)?.[1]).toContain('started for another tenant');
    await expectUnchanged('acme');
    await expectUnchanged('globex');
  });

  it('a callback completed in another browser is refused', async () => {
    const callback = await authorize(new TestBrowser(), await startConnect(new TestBrowser(), 'acme'));
    const page = await new TestBrowser().get(callback);
    expect(page.status).toBe(400);
    expect(refusal(page)?.[1]).toContain('started in another browser');
    await expectUnchanged('acme');
  });

  it('a page Disconnect needs a browser that signed in to the org', async () => {
    const owner = new TestBrowser();
    await owner.get(await authorize(owner, await startConnect(owner, 'acme')));
    const stranger = new TestBrowser();
    const page = await stranger.get(`${service.url}/t/acme/`);
    const refused = await stranger.submit(page, { button: /Disconnect/ });
    expect(refused.status).toBe(403);
    expect((await findConnection(service.runtime.store.db, tenants['acme']!))?.state).toBe('connected');
    const forged = await stranger.post(`${service.url}/t/acme/disconnect`, { csrf: 'x'.repeat(43) });
    expect(forged.status).toBe(400);
    expect((await findConnection(service.runtime.store.db, tenants['acme']!))?.state).toBe('connected');
  });

  it("a sign-in to another org than the tenant's is refused, and that grant revoked", async () => {
    const browser = new TestBrowser();
    await browser.get(await authorize(browser, await startConnect(browser, 'acme')));
    const other = await startSalesforceSandbox({
      autoApprove: true,
      orgId: new IdFactory('7x1').next('Organization'),
    });
    other.addConnectedApp({
      clientId: 'instant-sync-app',
      clientSecret: 'app-secret',
      callbackUrls: [`${service.url}/t/acme/oauth/callback`],
    });
    other.addUser({ username: 'intruder@globex.example', email: 'intruder@globex.example' });
    const settingsDeps = {
      repos: service.runtime.store.repos,
      secretBox: service.runtime.secretBox,
      clock: service.runtime.clock,
    };
    try {
      await updateTenantSettings(settingsDeps, 'acme', { loginUrl: other.url });
      const page = await browser.get(await authorize(browser, await startConnect(browser, 'acme')));
      expect(page.status).toBe(400);
      expect(refusal(page)?.[1]).toBe(
        `This tenant is connected to Salesforce org ${sandbox.orgId}, but the sign-in was for org ${other.orgId}. ` +
          'Nothing was changed: Disconnect first to connect the tenant to another org.',
      );
      expect(await findConnection(service.runtime.store.db, tenants['acme']!)).toMatchObject({
        state: 'connected',
        org_id: sandbox.orgId,
      });
      expect(other.stats().revocations).toBe(1);
    } finally {
      await updateTenantSettings(settingsDeps, 'acme', { loginUrl: sandbox.url });
      await other.close();
    }
  });

  it('refreshes a session the API rejected, once, and retries the call', async () => {
    const browser = new TestBrowser();
    await browser.get(await authorize(browser, await startConnect(browser, 'acme')));
    const rest = service.runtime.salesforce.restClient(tenants['acme']!);
    const { accessToken } = await service.runtime.salesforce.sessions.session(tenants['acme']!);
    await fetch(`${sandbox.url}/services/oauth2/revoke?token=${encodeURIComponent(accessToken)}`);
    const before = sandbox.stats().refreshes;
    expect(await rest.query('SELECT Id FROM User')).toHaveLength(1);
    expect(sandbox.stats().refreshes - before).toBe(1);
    expect((await service.runtime.salesforce.connections.get('acme')).connection.state).toBe('connected');
  });

  it('50 concurrent requests for a session cause exactly one refresh at Salesforce', async () => {
    const browser = new TestBrowser();
    await browser.get(await authorize(browser, await startConnect(browser, 'acme')));
    const sessions = service.runtime.salesforce.sessions;
    sessions.forget(tenants['acme']!);
    await service.runtime.store.db
      .updateTable('salesforce_connections')
      .set({ access_token_issued_at: 0 })
      .where('tenant_id', '=', tenants['acme']!)
      .execute();
    const before = sandbox.stats().refreshes;
    const results = await Promise.all(Array.from({ length: 50 }, () => sessions.session(tenants['acme']!)));
    expect(sandbox.stats().refreshes - before).toBe(1);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
  });
});
