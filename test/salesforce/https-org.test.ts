// An org reached over HTTPS, as every real one is: the service trusts the sandbox's local CA
// only because the configuration says so.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandboxedService, type SandboxedService } from '../support/sandboxed-service.ts';
import { TestDatabase } from '../support/test-databases.ts';
import { describe } from 'vitest';

describe('an org over HTTPS', () => {
  const database = new TestDatabase('sqlite');
  let env: SandboxedService;
  beforeAll(async () => {
    await database.create();
    env = await startSandboxedService({ databaseUrl: database.url, tls: true });
  });
  afterAll(async () => {
    await env.close();
    await database.drop();
  });

  it('connects and reads through TLS with the CA from INSTANT_SYNC_EXTRA_CA_FILE', async () => {
    expect(env.sandbox.url).toMatch(/^https:\/\//);
    const tenant = await env.connectedTenant('acme');
    env.sandbox.createEvent(env.ownerId, {
      Subject: 'Over TLS',
      StartDateTime: '2026-12-01T09:00:00Z',
      DurationInMinutes: 30,
    });
    const events = await env.service.runtime.salesforce
      .restClient(tenant.id)
      .query('SELECT Subject FROM Event');
    expect(events.map((e) => e['Subject'])).toEqual(['Over TLS']);
  });

  it('refuses the same org without that CA', async () => {
    await expect(fetch(`${env.sandbox.url}/services/data`)).rejects.toThrow();
  });
});
