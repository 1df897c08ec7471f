// The repositories every module is handed instead of the database: each store function is there,
// bound, and a unit of work commits all of its writes or none, on both databases.
import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { repositories } from '../../src/store/repositories.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const storeFolder = new URL('../../src/store/', import.meta.url);

describeEachBackend('repositories', (database) => {
  let clientIds = 1_000_000_000;
  const tenantRow = (id: string, slug: string) => ({
    id,
    slug,
    name: slug,
    client_id: String(clientIds++),
    webhook_secret_sealed: 'sealed',
    settle_window_ms: 500,
    invitation_policy: 'none' as const,
    delete_policy: 'delete' as const,
    internal_domains_json: '[]',
    exclusion_rules_json: '[]',
    poll_interval_ms: null,
    created_at: 1,
    updated_at: 1,
  });

  it('holds every repository file of src/store, so a new one cannot be left out', () => {
    const files = readdirSync(storeFolder).filter((f) => f.endsWith('-repository.ts'));
    const groups = Object.keys(database.store.repos);
    for (const file of files) {
      const group = file.replace(/-repository\.ts$/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
      expect(groups, file).toContain(group);
    }
  });

  it('binds the store functions to the database: what one writes, another reads', async () => {
    const repos = database.store.repos;
    await repos.tenants.insertTenant(tenantRow('00000000-0000-4000-8000-00000000a001', 'bound-acme'));
    expect((await repos.tenants.findTenantBySlug('bound-acme'))?.id).toBe(
      '00000000-0000-4000-8000-00000000a001',
    );
    await repos.tenants.deleteTenant('00000000-0000-4000-8000-00000000a001');
    expect(await repos.tenants.findTenantBySlug('bound-acme')).toBeUndefined();
  });

  it('commits a unit of work together, and rolls all of it back when it fails', async () => {
    const repos = repositories(database.store.db);
    await repos.transaction(async (tx) => {
      await tx.tenants.insertTenant(tenantRow('00000000-0000-4000-8000-00000000a002', 'unit-one'));
      await tx.tenants.insertTenant(tenantRow('00000000-0000-4000-8000-00000000a003', 'unit-two'));
    });
    expect(await repos.tenants.findTenantBySlug('unit-two')).toBeDefined();

    await expect(
      repos.transaction(async (tx) => {
        await tx.tenants.insertTenant(tenantRow('00000000-0000-4000-8000-00000000a004', 'unit-three'));
        throw new Error('the second half failed');
      }),
    ).rejects.toThrow('the second half failed');
    expect(await repos.tenants.findTenantBySlug('unit-three')).toBeUndefined();
  });
});
