// Removing a tenant: its Salesforce grant is revoked when it can be (best effort: the org may be
// unreachable), then the tenant and everything of it — connection, provider, mailboxes, links,
// changes, jobs, traces, positions — is deleted in one transaction. Calendar items stay where
// they are.
import { NotFoundError } from '../lib/errors.ts';
import { deleteTenant, findTenantBySlug } from '../store/tenants-repository.ts';
import type { Db } from '../store/db.ts';

export async function removeTenant(
  deps: { db: Db; revoke: (slug: string) => Promise<unknown> },
  slug: string,
): Promise<{ revoked: boolean }> {
  const tenant = await findTenantBySlug(deps.db, slug);
  if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
  const revoked = await deps.revoke(slug).then(
    (result) => (result as { revoked?: boolean } | undefined)?.revoked === true,
    () => false,
  );
  await deleteTenant(deps.db, tenant.id);
  return { revoked };
}
