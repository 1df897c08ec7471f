// One tenant's webhook cannot flood the queue: it may deliver INSTANT_SYNC_WEBHOOK_RATE_LIMIT
// Event changes a minute (here 100), counted across nodes in the database; a delivery beyond it
// is 429 with Retry-After and records nothing, other tenants are not affected, and the next
// minute accepts again. Deliveries that are not authentic never spend a tenant's budget.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toCaseSafeId } from '../../src/domain/salesforce-ids.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { tenantCreationDeps } from '../../src/main.ts';
import { signWebhook } from '../../src/intake/webhook/webhook-delivery.ts';
import { createTenant, type CreatedTenant } from '../../src/tenants/create-tenant.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startServiceUnderTest, type ServiceUnderTest } from '../support/service-under-test.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('webhook rate limit per tenant', (database) => {
  let service: ServiceUnderTest;
  let clock: ManualClock;
  let acme: CreatedTenant;
  let globex: CreatedTenant;
  let next = 0;

  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    service = await startServiceUnderTest({
      databaseUrl: database.url,
      clock,
      secretKey: generateSecretKey().toString('base64'),
      env: { INSTANT_SYNC_WEBHOOK_RATE_LIMIT: '100' },
    });
    acme = await createTenant(tenantCreationDeps(service.runtime), { slug: 'acme' });
    globex = await createTenant(tenantCreationDeps(service.runtime), { slug: 'globex' });
  });
  afterAll(() => service.close());

  const eventIds = (count: number) =>
    Array.from({ length: count }, () => toCaseSafeId(`00U5g${String((next += 1)).padStart(10, '0')}`));

  async function deliver(tenant: CreatedTenant, count: number, secret = tenant.webhookSecret) {
    const body = JSON.stringify({ events: eventIds(count).map((id) => ({ id, changeType: 'UPDATE' })) });
    const timestamp = String(Math.floor(clock.now() / 1000));
    const response = await fetch(`${service.url}/t/${tenant.slug}/hooks/salesforce`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-instant-sync-client-id': tenant.clientId,
        'x-instant-sync-timestamp': timestamp,
        'x-instant-sync-signature': signWebhook(secret, timestamp, body),
      },
      body: Buffer.from(body),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after') };
  }

  const jobsOf = async (tenant: CreatedTenant) =>
    Number(
      (
        await service.runtime.store.db
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', tenant.id)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('refuses what goes past the minute, records none of it, and accepts again the next minute', async () => {
    // Forged deliveries are refused and spend nothing.
    for (let i = 0; i < 5; i += 1) expect((await deliver(acme, 50, 'not-the-secret')).status).toBe(401);
    expect((await deliver(acme, 40)).status).toBe(202);
    expect((await deliver(acme, 40)).status).toBe(202);
    const over = await deliver(acme, 40);
    expect(over.status).toBe(429);
    expect(Number(over.retryAfter)).toBeGreaterThan(0);
    expect(Number(over.retryAfter)).toBeLessThanOrEqual(60);
    expect(await jobsOf(acme)).toBe(80);
    // What is left of the minute can still be used.
    expect((await deliver(acme, 20)).status).toBe(202);
    expect((await deliver(acme, 1)).status).toBe(429);
    expect(await jobsOf(acme)).toBe(100);
    // Another tenant has its own budget.
    expect((await deliver(globex, 100)).status).toBe(202);
    expect(await jobsOf(globex)).toBe(100);
    // The next minute.
    clock.advance(60_000);
    expect((await deliver(acme, 40)).status).toBe(202);
    expect(await jobsOf(acme)).toBe(140);
  });
});
