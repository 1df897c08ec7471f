// A tenant connected with the JWT bearer flow: a certificate instead of a browser sign-in, no
// refresh token stored, nothing to expire, and Events read through it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../sandbox/salesforce/index.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { tenantCreationDeps } from '../../src/main.ts';
import { findConnection } from '../../src/store/salesforce-connections-repository.ts';
import { createTenant } from '../../src/tenants/create-tenant.ts';
import { updateTenantSettings } from '../../src/tenants/update-tenant-settings.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startServiceUnderTest, type ServiceUnderTest } from '../support/service-under-test.ts';
import { makeTestCertificate } from '../support/test-certificate.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('JWT bearer connection', (database) => {
  let sandbox: SalesforceSandbox;
  let service: ServiceUnderTest;
  let clock: ManualClock;
  const { keyPem, certificatePem } = makeTestCertificate();
  const settingsDeps = () => ({
    repos: service.runtime.store.repos,
    secretBox: service.runtime.secretBox,
    clock,
  });

  beforeAll(async () => {
    sandbox = await startSalesforceSandbox();
    clock = new ManualClock(sandbox.clock.now());
    service = await startServiceUnderTest({
      databaseUrl: database.url,
      clock,
      secretKey: generateSecretKey().toString('base64'),
      env: { INSTANT_SYNC_SALESFORCE_LOGIN_URL: sandbox.url },
    });
    sandbox.addConnectedApp({
      clientId: 'jwt-app',
      clientSecret: 'unused',
      callbackUrls: [],
      certificatePem,
      preAuthorizedUsernames: ['integration@acme.example'],
    });
    const user = sandbox.addUser({ username: 'integration@acme.example', email: 'integration@acme.example' });
    sandbox.createEvent(user.Id, {
      Subject: 'Pipeline review',
      StartDateTime: '2026-11-26T15:00:00.000Z',
      EndDateTime: '2026-11-26T15:30:00.000Z',
    });
  });

  afterAll(async () => {
    await service.close();
    await sandbox.close();
  });

  it('connects with a certificate, stores no refresh token, and reads Events', async () => {
    const tenant = await createTenant(tenantCreationDeps(service.runtime), { slug: 'jwt-acme' });
    await updateTenantSettings(settingsDeps(), 'jwt-acme', {
      clientId: 'jwt-app',
      jwtUsername: 'integration@acme.example',
      jwtPrivateKeyPem: keyPem,
    });
    const { connection } = await service.runtime.salesforce.connections.connectWithJwt('jwt-acme');
    expect(connection).toMatchObject({
      state: 'connected',
      status: 'Connected',
      authFlow: 'jwt_bearer',
      orgId: sandbox.orgId,
    });
    const row = await findConnection(service.runtime.store.db, tenant.id);
    expect(row).toMatchObject({ refresh_token_sealed: null, expires_at: null });

    const events = await service.runtime.salesforce
      .restClient(tenant.id)
      .query('SELECT Id, Subject FROM Event');
    expect(events.map((e) => e['Subject'])).toEqual(['Pipeline review']);

    // Long after any session would have died, a new assertion gets a new token: nothing expired.
    clock.advance(90 * 86_400_000);
    sandbox.clock.advance(90 * 86_400_000);
    expect(await service.runtime.salesforce.restClient(tenant.id).query('SELECT Id FROM Event')).toHaveLength(
      1,
    );
    expect((await service.runtime.salesforce.connections.get('jwt-acme')).connection.status).toBe(
      'Connected',
    );
  });

  it('refuses a user the app has not pre-authorized, changing nothing', async () => {
    await createTenant(tenantCreationDeps(service.runtime), { slug: 'jwt-globex' });
    await updateTenantSettings(settingsDeps(), 'jwt-globex', {
      clientId: 'jwt-app',
      jwtUsername: 'someone-else@acme.example',
      jwtPrivateKeyPem: keyPem,
    });
    await expect(service.runtime.salesforce.connections.connectWithJwt('jwt-globex')).rejects.toThrow(
      /Salesforce refused the JWT bearer sign-in \(invalid_grant: .*\)\. Nothing was changed/,
    );
    expect((await service.runtime.salesforce.connections.get('jwt-globex')).connection.state).toBe(
      'disconnected',
    );
  });
});
