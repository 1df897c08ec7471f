// Removing a tenant: its Salesforce grant is revoked when it can be (best effort: the org may be
// unreachable), then the tenant and everything of it — connection, provider, mailboxes, links,
// changes, jobs, traces, positions — is deleted in one transaction. Calendar items stay where
// they are.
import type { Kysely } from 'kysely';
import { NotFoundError } from '../lib/errors.ts';
import type { Database } from '../store/schema.ts';
import { findTenantBySlug } from '../store/tenants-repository.ts';

export async function removeTenant(
  deps: { db: Kysely<Database>; revoke: (slug: string) => Promise<unknown> },
  slug: string,
): Promise<{ revoked: boolean }> {
  const tenant = await findTenantBySlug(deps.db, slug);
  if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
  const revoked = await deps.revoke(slug).then(
    (result) => (result as { revoked?: boolean } | undefined)?.revoked === true,
    () => false,
  );
  await deps.db.transaction().execute(async (tx) => {
    for (const table of [
      'links',
      'series_members',
      'series_states',
      'set_aside_links',
      'traces',
      'jobs',
      'changes',
      'intake_positions',
      'oauth_states',
    ] as const)
      await tx.deleteFrom(table).where('tenant_id', '=', tenant.id).execute();
    await tx.deleteFrom('leases').where('name', 'like', `%:${tenant.id}`).execute();
    await tx.deleteFrom('tenants').where('id', '=', tenant.id).execute();
  });
  return { revoked };
}
