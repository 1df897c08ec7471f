// The signed webhook as a caller meets it: every refusal is a JSON error that records nothing;
// a valid delivery records each change once and one job per Event, even when delivered twice.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { tenantCreationDeps } from '../../src/main.ts';
import { signWebhook } from '../../src/salesforce/change-sources/webhook-delivery.ts';
import { createTenant, type CreatedTenant } from '../../src/tenants/create-tenant.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startServiceUnderTest, type ServiceUnderTest } from '../support/service-under-test.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('signed webhook', (database) => {
  let service: ServiceUnderTest;
  let clock: ManualClock;
  let tenant: CreatedTenant;

  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    service = await startServiceUnderTest({
      databaseUrl: database.url,
      clock,
      secretKey: generateSecretKey().toString('base64'),
    });
    tenant = await createTenant(tenantCreationDeps(service.runtime), { slug: 'acme' });
  });
  afterAll(() => service.close());

  function deliver(
    body: string,
    overrides: { timestamp?: string; signature?: string; clientId?: string; slug?: string } = {},
  ) {
    const timestamp = overrides.timestamp ?? String(Math.floor(clock.now() / 1000));
    return fetch(`${service.url}/t/${overrides.slug ?? 'acme'}/hooks/salesforce`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-instant-sync-client-id': overrides.clientId ?? tenant.clientId,
        'x-instant-sync-timestamp': timestamp,
        'x-instant-sync-signature': overrides.signature ?? signWebhook(tenant.webhookSecret, timestamp, body),
      },
      body,
    });
  }

  const recorded = async () => ({
    changes: (
      await service.runtime.store.db
        .selectFrom('changes')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .execute()
    ).length,
    jobs: (
      await service.runtime.store.db
        .selectFrom('jobs')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .execute()
    ).length,
  });

  it('refuses every bad delivery with a JSON error and records nothing', async () => {
    const body = JSON.stringify({ events: [{ id: '00U5g00000AbCdEFAA', changeType: 'CREATE' }] });
    const stale = String(Math.floor((clock.now() - 5 * 60_000 - 1000) / 1000));
    const cases: [Promise<Response>, number, string][] = [
      [
        deliver(body, {
          signature: signWebhook('whsec_wrong', String(Math.floor(clock.now() / 1000)), body),
        }),
        401,
        'bad_signature',
      ],
      [
        deliver(body, { timestamp: stale, signature: signWebhook(tenant.webhookSecret, stale, body) }),
        401,
        'stale_timestamp',
      ],
      [deliver(body, { clientId: '1234567890' }), 401, 'unknown_client'],
      [deliver(body, { slug: 'nobody' }), 404, 'unknown_tenant'],
      [
        deliver(
          JSON.stringify({
            events: [{ id: 'x'.repeat(18), changeType: 'CREATE' }],
            pad: 'x'.repeat(1024 * 1024),
          }),
        ),
        413,
        'too_large',
      ],
      [deliver('{ "events": [ '), 400, 'malformed_json'],
      [deliver(JSON.stringify({ events: [] })), 400, 'malformed_body'],
      [
        deliver(JSON.stringify({ events: [{ id: '001000000000001AAA', changeType: 'CREATE' }] })),
        400,
        'malformed_event',
      ],
      [
        deliver(JSON.stringify({ events: [{ id: '00U5g00000AbCdEFAA', changeType: 'TOUCH' }] })),
        400,
        'malformed_event',
      ],
      [
        deliver(
          JSON.stringify({
            events: [
              {
                id: '00U5g00000AbCdEFAA',
                changeType: 'UPDATE',
                systemModstamp: new Date(clock.now() + 5 * 60_000 + 1000).toISOString(),
              },
            ],
          }),
        ),
        400,
        'malformed_event',
      ],
      [
        deliver(
          JSON.stringify({
            events: [
              { id: '00U5g00000AbCdEFAA', changeType: 'UPDATE', systemModstamp: '2099-01-01T00:00:00.000Z' },
            ],
          }),
        ),
        400,
        'malformed_event',
      ],
    ];
    for (const [response, status, code] of cases) {
      const answer = await response;
      expect([answer.status, ((await answer.json()) as { error: { code: string } }).error.code]).toEqual([
        status,
        code,
      ]);
    }
    expect(await recorded()).toEqual({ changes: 0, jobs: 0 });
  });

  it('records a valid delivery once, with one job per Event, however often it is delivered', async () => {
    const body = JSON.stringify({
      events: [
        { id: '00U5g00000AbCdEFAA', changeType: 'CREATE' },
        {
          id: '00U5g00000AbCdEFAA',
          changeType: 'UPDATE',
          systemModstamp: new Date(clock.now()).toISOString(),
        },
        { id: '00U5g00000XyZwVUAA', changeType: 'DELETE' },
      ],
    });
    const timestamp = String(Math.floor(clock.now() / 1000));
    const first = await deliver(body, { timestamp });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ received: 3, recorded: 3, duplicates: 0 });
    const again = await deliver(body, { timestamp });
    expect(await again.json()).toEqual({ received: 3, recorded: 0, duplicates: 3 });
    expect(await recorded()).toEqual({ changes: 3, jobs: 2 });
  });
});
