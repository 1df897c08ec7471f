// Setting a tenant's mailbox provider from what an admin gives: the provider's own description
// (providers/<kind>/index.ts) checks the input and says what is settings (stored in the clear)
// and what is credentials (sealed, bound to the row). Leaving the credentials out keeps those
// stored.
import type { Kysely } from 'kysely';
import type { Clock } from '../lib/clock.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { ProviderInput } from '../providers/provider-plugin.ts';
import { providerPluginNamed } from '../providers/registry.ts';
import { setAsideLinksOfOtherProviders } from '../store/links-repository.ts';
import {
  findProvider,
  providerCredentialsContext,
  saveProvider,
} from '../store/mailbox-providers-repository.ts';
import type { Database } from '../store/schema.ts';
import { findTenantBySlug } from '../store/tenants-repository.ts';

export interface ProviderSet {
  /** How people name the provider now set ("Microsoft 365 (Graph)"). */
  label: string;
  /** Its settings in a few words ("app app-1 of contoso.onmicrosoft.com"). */
  summary: string;
  /** The provider used before, when this is a switch to another one. */
  previousKind?: string | undefined;
  /** Links to the previous provider's items set aside (kept for the record, never used again). */
  setAside: number;
}

/**
 * Sets the provider. Switching to another kind sets aside the links to the old provider's items
 * in the same transaction: its item ids are never sent to the new one, whose items a backfill
 * creates.
 */
export async function setMailboxProvider(
  deps: { db: Kysely<Database>; secretBox: SecretBox; clock: Clock },
  slug: string,
  kind: string,
  input: ProviderInput,
): Promise<ProviderSet> {
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
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (tx) => {
    await saveProvider(tx, {
      tenantId: tenant.id,
      kind: plugin.kind,
      settingsJson: JSON.stringify(read.settings),
      credentialsSealed: (providerId) =>
        credentials === undefined
          ? null
          : deps.secretBox.seal(
              JSON.stringify(credentials),
              providerCredentialsContext(tenant.id, providerId),
            ),
      now,
    });
    const setAside = await setAsideLinksOfOtherProviders(tx, tenant.id, plugin.kind, now);
    return {
      label: plugin.label,
      summary: plugin.summary(read.settings),
      previousKind: existing !== undefined && existing.kind !== plugin.kind ? existing.kind : undefined,
      setAside,
    };
  });
}
