// The tenant queries the schedulers, event stories and settings changes use: tenants' slugs,
// tenants with their connection (and poll position), and a settings change saved whole.
import { expect, it } from 'vitest';
import { savePosition } from '../../src/store/intake-positions-repository.ts';
import { findConnection } from '../../src/store/salesforce-connections-repository.ts';
import {
  findTenantById,
  listTenantSlugs,
  listTenantsToPoll,
  listTenantsWithConnection,
  saveTenantSettings,
} from '../../src/store/tenants-repository.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('tenant queries', (database) => {
  const db = () => database.store.db;

  const slugOf = async (id: string) => (await findTenantById(db(), id))?.slug;

  it('lists every tenant id and slug, or only the one with a slug', async () => {
    const a = await seedTenant(db());
    const b = await seedTenant(db());
    const all = await listTenantSlugs(db());
    expect(all).toEqual(
      expect.arrayContaining([
        { id: a, slug: await slugOf(a) },
        { id: b, slug: await slugOf(b) },
      ]),
    );
    expect(await listTenantSlugs(db(), await slugOf(b))).toEqual([{ id: b, slug: await slugOf(b) }]);
    expect(await listTenantSlugs(db(), 'no-such-tenant')).toEqual([]);
  });

  it('lists tenants with their connection state and org, leaving out tenants without a connection', async () => {
    const connected = await seedTenant(db());
    await db()
      .updateTable('salesforce_connections')
      .set({ org_id: '00D000000000001AAA' })
      .where('tenant_id', '=', connected)
      .execute();
    const paused = await seedTenant(db(), { connection: 'reconnect_required' });
    const bare = await seedTenant(db());
    await db().deleteFrom('salesforce_connections').where('tenant_id', '=', bare).execute();
    const listed = new Map((await listTenantsWithConnection(db())).map((t) => [t.id, t]));
    expect(listed.get(connected)).toMatchObject({
      id: connected,
      slug: await slugOf(connected),
      state: 'connected',
      org_id: '00D000000000001AAA',
    });
    expect(listed.get(paused)).toMatchObject({ state: 'reconnect_required', org_id: null });
    expect(listed.has(bare)).toBe(false);
  });

  it('lists tenants to poll with when their poll position was saved (null: never polled)', async () => {
    const polled = await seedTenant(db());
    await db()
      .updateTable('salesforce_connections')
      .set({ connected_at: 1234 })
      .where('tenant_id', '=', polled)
      .execute();
    await savePosition(db(), { tenantId: polled, source: 'poll', value: '1000', now: 5000 });
    await savePosition(db(), { tenantId: polled, source: 'cdc', value: 'AAA=', now: 9000 });
    const fresh = await seedTenant(db());
    await savePosition(db(), { tenantId: fresh, source: 'cdc', value: 'AAA=', now: 9000 });
    const listed = new Map((await listTenantsToPoll(db())).map((t) => [t.id, t]));
    expect(listed.get(polled)).toMatchObject({
      slug: await slugOf(polled),
      state: 'connected',
      connected_at: 1234,
      polled_at: 5000,
    });
    expect(listed.get(fresh)).toMatchObject({ state: 'connected', connected_at: null, polled_at: null });
  });

  it('saves a settings change to the tenant and its connection, each only when it changes something', async () => {
    const id = await seedTenant(db());
    await saveTenantSettings(db(), {
      tenantId: id,
      tenant: { name: 'Renamed', settle_window_ms: 500 },
      connection: { login_url: 'https://acme.my.salesforce.com' },
      now: 7000,
    });
    expect(await findTenantById(db(), id)).toMatchObject({
      name: 'Renamed',
      settle_window_ms: 500,
      updated_at: 7000,
    });
    expect(await findConnection(db(), id)).toMatchObject({
      login_url: 'https://acme.my.salesforce.com',
      updated_at: 7000,
    });

    await saveTenantSettings(db(), {
      tenantId: id,
      tenant: { delete_policy: 'keep' },
      connection: {},
      now: 8000,
    });
    expect(await findTenantById(db(), id)).toMatchObject({ delete_policy: 'keep', updated_at: 8000 });
    expect(await findConnection(db(), id)).toMatchObject({ updated_at: 7000 });

    await saveTenantSettings(db(), { tenantId: id, tenant: {}, connection: { client_id: 'abc' }, now: 9000 });
    expect(await findTenantById(db(), id)).toMatchObject({ updated_at: 8000 });
    expect(await findConnection(db(), id)).toMatchObject({ client_id: 'abc', updated_at: 9000 });
  });

  it('saves nothing of a settings change when a part fails', async () => {
    const id = await seedTenant(db());
    await expect(
      saveTenantSettings(db(), {
        tenantId: id,
        tenant: { name: 'Half' },
        // Written after the tenant's row, and refused (the column is not null).
        connection: { refresh_token_policy: null as unknown as string },
        now: 7000,
      }),
    ).rejects.toThrow();
    expect(await findTenantById(db(), id)).toMatchObject({ name: 'Test tenant', updated_at: 0 });
    expect(await findConnection(db(), id)).toMatchObject({ updated_at: 0 });
  });
});
