// After Connect, the server configures our Salesforce package in the org through the API, so the
// admin does nothing beyond the admin guide's steps: the "ClientId Config" setting says Connected with the
// tenant URL and the refresh token's expiry, the protected setting holds the webhook secret the
// Event trigger signs with, and a Remote Site Setting lets the trigger call the server. Disconnect
// clears them (while the grant still works). An org without the package connects as before.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { startSandboxedService, type SandboxedService } from '../support/sandboxed-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend("our package's settings in the org", (database) => {
  let env: SandboxedService;
  let secret: string;

  beforeAll(async () => {
    env = await startSandboxedService({ databaseUrl: database.url });
  });
  afterAll(() => env.close());

  const settings = () => env.sandbox.packageState().settings;
  const orgId = () => env.sandbox.packageState().settings['InstantSync_Config__c']?.['SetupOwnerId'];

  it('connects an org without the package as before, writing nothing there', async () => {
    await env.connectedTenant('plain');
    expect(env.sandbox.packageState()).toMatchObject({ installed: false, remoteSites: [] });
  });

  it('writes the tenant URL, status, expiry and webhook secret into the package, and a Remote Site Setting, on Connect', async () => {
    env.sandbox.setPackageInstalled(true);
    // The admin enters the Client ID first, as the vendor's admin guide says (a user-level record exists too).
    env.sandbox.writePackageSetting('InstantSync_Config__c', { ClientId__c: '4827461930' });
    const tenant = await env.connectedTenant('acme');
    const shown = await runCliInProcess(['tenants', 'show', 'acme', '--json'], env.service.env);
    const view = JSON.parse(shown.stdout) as {
      tenantUrl: string;
      connection: { expiresAt: string | null; orgId: string };
    };
    secret = tenant.webhookSecret;
    const config = settings()['InstantSync_Config__c'];
    expect(config).toMatchObject({
      SetupOwnerId: view.connection.orgId,
      ClientId__c: '4827461930',
      TenantUrl__c: view.tenantUrl,
      Status__c: 'Connected',
      LastError__c: null,
    });
    expect(Date.parse(String(config?.['ExpiresAt__c']))).toBe(Date.parse(view.connection.expiresAt ?? ''));
    expect(settings()['InstantSync_Secret__c']).toMatchObject({
      SetupOwnerId: view.connection.orgId,
      WebhookSecret__c: secret,
    });
    expect(env.sandbox.packageState().remoteSites).toEqual([
      expect.objectContaining({
        fullName: 'InstantSync',
        url: new URL(view.tenantUrl).origin,
        isActive: true,
        disableProtocolSecurity: false,
      }),
    ]);

    // A Reconnect writes the same records again: no second record, no second Remote Site Setting;
    // the page it ends on says the Connect page in Salesforce shows it too.
    const page = await env.reconnect('acme');
    expect(page.html).toContain(
      'Connected — the Connect page in Salesforce shows it too: you may close this window',
    );
    expect(env.sandbox.packageState().records['InstantSync_Config__c']).toHaveLength(1);
    expect(env.sandbox.packageState().remoteSites).toHaveLength(1);
  });

  it('gives the org a rotated webhook secret at once', async () => {
    const rotated = await runCliInProcess(
      ['tenants', 'rotate-webhook-secret', 'acme', '--json'],
      env.service.env,
    );
    const { webhookSecret, packageUpdated } = JSON.parse(rotated.stdout) as {
      webhookSecret: string;
      packageUpdated: boolean;
    };
    expect(packageUpdated).toBe(true);
    expect(webhookSecret).not.toBe(secret);
    expect(settings()['InstantSync_Secret__c']?.['WebhookSecret__c']).toBe(webhookSecret);
    secret = webhookSecret;
    const told = await runCliInProcess(['tenants', 'rotate-webhook-secret', 'acme'], env.service.env);
    expect(told.stdout).toContain('Our Salesforce package in the org has it already');
    secret = String(settings()['InstantSync_Secret__c']?.['WebhookSecret__c']);
  });

  it('clears them on Disconnect, before the grant is revoked', async () => {
    const disconnected = await runCliInProcess(['disconnect', 'acme'], env.service.env);
    expect(disconnected.code).toBe(0);
    expect(settings()['InstantSync_Config__c']).toMatchObject({
      SetupOwnerId: orgId(),
      ClientId__c: '4827461930',
      TenantUrl__c: null,
      Status__c: 'Disconnected',
      ExpiresAt__c: null,
    });
    expect(settings()['InstantSync_Secret__c']?.['WebhookSecret__c']).toBeNull();
    expect(env.sandbox.packageState().remoteSites).toEqual([]);
    expect(JSON.stringify(env.sandbox.packageState())).not.toContain(secret);
  });
});
