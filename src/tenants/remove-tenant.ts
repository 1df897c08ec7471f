// Removing a tenant: its Salesforce grant is revoked when it can be (best effort: the org may be
// unreachable), then the tenant and everything of it — connection, provider, mailboxes, links,
// changes, jobs, traces, positions — is deleted in one transaction. Calendar items stay where
// they are.
import { NotFoundError } from '../lib/errors.ts';
import type { Repositories } from '../store/repositories.ts';

export async function removeTenant(
  deps: { repos: Repositories; revoke: (slug: string) => Promise<unknown> },
  slug: string,
): Promise<{ revoked: boolean }> {
  const tenant = await deps.repos.tenants.findTenantBySlug(slug);
  if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
  const revoked = await deps.revoke(slug).then(
    (result) => (result as { revoked?: boolean } | undefined)?.revoked === true,
    () => false,
  );
  await deps.repos.tenants.deleteTenant(tenant.id);
  return { revoked };
}
