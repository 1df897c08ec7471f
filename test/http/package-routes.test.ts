// The server's side of the Connect page inside Salesforce: the window it opens checks the Client ID
// against the tenant URL before anyone signs in, and its controller asks for the connection as it
// is now, or disconnects it, signed as the webhook is (only the org holding the secret may ask).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signWebhook, webhookHeaders } from '../../src/intake/webhook/webhook-delivery.ts';
import type { CreatedTenant } from '../../src/tenants/create-tenant.ts';
import { startSandboxedService, type SandboxedService } from '../support/sandboxed-service.ts';
import { describeOnBackends } from '../support/test-databases.ts';

describeOnBackends(['sqlite'], 'the Connect page inside Salesforce, server side', (database) => {
  let env: SandboxedService;
  let tenant: CreatedTenant;

  beforeAll(async () => {
    env = await startSandboxedService({ databaseUrl: database.url });
    tenant = await env.connectedTenant('acme');
  });
  afterAll(() => env.close());

  const ask = (
    body: string,
    options: { clientId?: string; secret?: string; contentType?: string; timestamp?: number } = {},
  ) => {
    const timestamp = String(Math.floor((options.timestamp ?? env.clock.now()) / 1000));
    return fetch(`${env.service.url}/t/acme/hooks/connection`, {
      method: 'POST',
      headers: {
        'content-type': options.contentType ?? 'application/json',
        [webhookHeaders.clientId]: options.clientId ?? tenant.clientId,
        [webhookHeaders.timestamp]: timestamp,
        [webhookHeaders.signature]: signWebhook(options.secret ?? tenant.webhookSecret, timestamp, body),
      },
      body,
    });
  };
  const errorOf = async (response: Response) =>
    [response.status, ((await response.json()) as { error: { code: string } }).error.code] as const;

  it('opens the tenant page for the right Client ID, and says so before any sign-in when it is not', async () => {
    const right = await fetch(`${env.service.url}/t/acme/connect?clientId=${tenant.clientId}`, {
      redirect: 'manual',
    });
    expect([right.status, right.headers.get('location')]).toEqual([303, '/t/acme/?from=salesforce']);
    const wrong = await fetch(`${env.service.url}/t/acme/connect?clientId=1234567890`, {
      redirect: 'manual',
    });
    expect(wrong.status).toBe(400);
    const page = await wrong.text();
    expect(page).toContain('This tenant URL is not for that Client ID');
    expect(page).toContain('Nothing was changed');
  });

  it('answers the connection as it is now, only to a request signed with the tenant’s secret', async () => {
    const status = await ask('{"action":"status"}');
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      state: 'connected',
      status: expect.stringMatching(/^Connected/) as unknown,
      orgId: expect.stringMatching(/^00D/) as unknown,
    });
    expect(JSON.stringify(await (await ask('{"action":"status"}')).json())).not.toMatch(/token/i);

    expect(await errorOf(await ask('{"action":"status"}', { secret: 'whsec_not-it' }))).toEqual([
      401,
      'bad_signature',
    ]);
    expect(await errorOf(await ask('{"action":"status"}', { clientId: '1234567890' }))).toEqual([
      401,
      'unknown_client',
    ]);
    expect(
      await errorOf(await ask('{"action":"status"}', { timestamp: env.clock.now() - 10 * 60_000 })),
    ).toEqual([401, 'stale_timestamp']);
    expect(await errorOf(await ask('{"action":"reconnect"}'))).toEqual([400, 'malformed_body']);
    expect(await errorOf(await ask('not json'))).toEqual([400, 'malformed_body']);
    expect(await errorOf(await ask('{"action":"status"}', { contentType: 'text/plain' }))).toEqual([
      415,
      'unsupported_media_type',
    ]);
    expect(await errorOf(await ask(JSON.stringify({ action: 'status', pad: 'x'.repeat(5000) })))).toEqual([
      413,
      'too_large',
    ]);
  });

  it('disconnects the tenant when asked, and says Disconnected from then on', async () => {
    const done = await ask('{"action":"disconnect"}');
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ state: 'disconnected', status: 'Disconnected', revoked: true });
    expect(await (await ask('{"action":"status"}')).json()).toMatchObject({ state: 'disconnected' });
  });
});
