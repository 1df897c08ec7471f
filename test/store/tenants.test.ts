// Tenants as an admin creates them: a numeric Client ID, a tenant URL ending in "/", and a
// webhook secret that the database only ever holds sealed.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { SecretBox, generateSecretKey } from '../../src/lib/secret-box.ts';
import { listTenants } from '../../src/store/tenants-repository.ts';
import { createTenant } from '../../src/tenants/create-tenant.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { sealContext } from '../../src/store/seal-contexts.ts';

describeEachBackend('tenants', (database) => {
  const secretBox = new SecretBox(generateSecretKey());
  const deps = () => ({
    repos: database.store.repos,
    secretBox,
    clock: new ManualClock(),
    publicUrl: 'https://sync.example.com',
    salesforce: {
      loginUrl: 'https://acme.my.salesforce.com',
      refreshTokenPolicy: { kind: 'expire_after' as const, days: 30 },
    },
  });

  it('creates a tenant with a numeric Client ID, its tenant URL and a sealed webhook secret', async () => {
    const tenant = await createTenant(deps(), { slug: 'acme', name: 'Acme Corp' });
    expect(tenant).toMatchObject({
      slug: 'acme',
      name: 'Acme Corp',
      tenantUrl: 'https://sync.example.com/t/acme/',
    });
    expect(tenant.clientId).toMatch(/^[1-9]\d{9}$/);
    expect(tenant.webhookSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const row = await database.store.db
      .selectFrom('tenants')
      .selectAll()
      .where('slug', '=', 'acme')
      .executeTakeFirstOrThrow();
    expect(row.webhook_secret_sealed).not.toContain(tenant.webhookSecret);
    expect(secretBox.open(row.webhook_secret_sealed, sealContext.webhookSecret(row.id))).toBe(
      tenant.webhookSecret,
    );
  });

  it('refuses a second tenant with the same slug and a malformed slug', async () => {
    await createTenant(deps(), { slug: 'globex' });
    await expect(createTenant(deps(), { slug: 'globex' })).rejects.toThrow(
      'a tenant with slug "globex" already exists',
    );
    await expect(createTenant(deps(), { slug: 'Globex Inc' })).rejects.toThrow(
      /invalid tenant slug "Globex Inc"/,
    );
    expect((await listTenants(database.store.db)).filter((t) => t.slug === 'globex')).toHaveLength(1);
  });

  it('gives every tenant its own Client ID', async () => {
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createTenant(deps(), { slug: `many-${i}` })),
    );
    expect(new Set(created.map((t) => t.clientId)).size).toBe(20);
  });

  it('holds no plaintext secret in any column of any table', async () => {
    const tenant = await createTenant(deps(), { slug: 'initech' });
    const tables = ['tenants', 'meta', 'salesforce_connections', 'mailbox_providers'] as const;
    for (const table of tables) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
        database.store.db,
      );
      expect(JSON.stringify(rows.rows)).not.toContain(tenant.webhookSecret);
    }
  });
});
