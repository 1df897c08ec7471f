// Setting a tenant's mailbox provider from what an admin gives: the provider's own description
// (providers/<kind>/index.ts) checks the input and says what is settings (stored in the clear)
// and what is credentials (sealed, bound to the row). Leaving the credentials out keeps those
// stored.
import type { Kysely } from 'kysely';
import { providerCredentialsContext } from '../engine/provider-source.ts';
import type { Clock } from '../lib/clock.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { ProviderInput } from '../providers/provider-plugin.ts';
import { providerPluginNamed } from '../providers/registry.ts';
import { findProvider, saveProvider } from '../store/mailbox-providers-repository.ts';
import type { Database } from '../store/schema.ts';
import { findTenantBySlug } from '../store/tenants-repository.ts';

/** Sets the provider; answers how people name it ("Microsoft 365 (Graph)"). */
export async function setMailboxProvider(
  deps: { db: Kysely<Database>; secretBox: SecretBox; clock: Clock },
  slug: string,
  kind: string,
  input: ProviderInput,
): Promise<{ label: string }> {
  const plugin = providerPluginNamed(kind);
  const tenant = await findTenantBySlug(deps.db, slug);
  if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
  const existing = await findProvider(deps.db, tenant.id);
  const read = plugin.readInput(
    input,
    existing?.kind === plugin.kind && (existing.credentials_sealed ?? null) !== null,
  );
  if ('problems' in read) throw new BadInputError(read.problems.join('; '));
  const { credentials } = read;
  await saveProvider(deps.db, {
    tenantId: tenant.id,
    kind: plugin.kind,
    settingsJson: JSON.stringify(read.settings),
    credentialsSealed: (providerId) =>
      credentials === undefined
        ? null
        : deps.secretBox.seal(JSON.stringify(credentials), providerCredentialsContext(tenant.id, providerId)),
    now: deps.clock.now(),
  });
  return { label: plugin.label };
}
