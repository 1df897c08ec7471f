// Setting a tenant's mailbox providers from what an admin gives: the provider's own description
// (providers/<kind>/index.ts) checks the input and says what is settings (stored in the clear)
// and what is credentials (sealed, bound to the row). Leaving the credentials out keeps those
// stored. A hybrid tenant names several providers (`onprem`, `cloud`); one is its default, the
// one its mailboxes go through unless they are assigned another (assign-mailbox-provider.ts).
import type { Clock } from '../lib/clock.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { ProviderInput } from '../providers/provider-plugin.ts';
import { providerPluginNamed } from '../providers/registry.ts';
import { followDefaultProvider, queueMovedEvents } from './assign-mailbox-provider.ts';
import { sealContext } from '../store/seal-contexts.ts';
import type { Repositories } from '../store/repositories.ts';

/** The name a tenant's provider has when the admin gives none. */
export const defaultProviderName = 'default';

export interface ProviderSet {
  /** How people name the provider now set ("Microsoft 365 (Graph)"). */
  label: string;
  /** Its settings in a few words ("app app-1 of contoso.onmicrosoft.com"). */
  summary: string;
  /** The provider's name within the tenant. */
  name: string;
  /** Whether it is the tenant's default provider now. */
  isDefault: boolean;
  /** The kind it had before, when this is a switch to another kind. */
  previousKind?: string | undefined;
  /** Links to the previous kind's items set aside (kept for the record, never used again). */
  setAside: number;
  /** Events whose mailbox now goes through this provider (it became the default): queued to sync to it. */
  moved: number;
}

/** A provider name as typed: short, lower case, a word an admin can type again. */
export function providerNameProblem(name: string): string | undefined {
  return /^[a-z][a-z0-9-]{0,31}$/.test(name)
    ? undefined
    : `${JSON.stringify(name)} is not a provider name: use up to 32 lower-case letters, digits and dashes, starting with a letter (for example onprem or cloud)`;
}

/**
 * Sets the provider named `name` (default: "default"). Switching it to another kind sets aside
 * the links to the old kind's items in the same transaction: its item ids are never sent to the
 * new one, whose items a backfill creates. Making it the default moves the mailboxes that name no
 * provider to it (their Events are queued, and find their items there before making any).
 */
export async function setMailboxProvider(
  deps: { repos: Repositories; secretBox: SecretBox; clock: Clock },
  slug: string,
  kind: string,
  input: ProviderInput,
  options: { name?: string | undefined; makeDefault?: boolean | undefined } = {},
): Promise<ProviderSet> {
  const plugin = providerPluginNamed(kind);
  const name = options.name ?? defaultProviderName;
  const nameProblem = providerNameProblem(name);
  if (nameProblem !== undefined) throw new BadInputError(nameProblem);
  const tenant = await deps.repos.tenants.findTenantBySlug(slug);
  if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
  const existing = await deps.repos.mailboxProviders.findProviderByName(tenant.id, name);
  const read = plugin.readInput(
    input,
    existing?.kind === plugin.kind && (existing.credentials_sealed ?? null) !== null,
  );
  if ('problems' in read) throw new BadInputError(read.problems.join('; '));
  const { credentials } = read;
  const now = deps.clock.now();
  const set = await deps.repos.transaction(async (tx) => {
    const id = await tx.mailboxProviders.saveProvider({
      tenantId: tenant.id,
      name,
      kind: plugin.kind,
      settingsJson: JSON.stringify(read.settings),
      credentialsSealed: (providerId) =>
        credentials === undefined
          ? null
          : deps.secretBox.seal(
              JSON.stringify(credentials),
              sealContext.providerCredentials(tenant.id, providerId),
            ),
      now,
    });
    const setAside = await tx.links.setAsideLinksOfProvider({
      tenantId: tenant.id,
      providerId: id,
      keepKind: plugin.kind,
      now,
    });
    let moved: string[] = [];
    if (
      options.makeDefault === true &&
      (await tx.mailboxProviders.findDefaultProvider(tenant.id))?.id !== id
    ) {
      await tx.mailboxProviders.setDefaultProvider({ tenantId: tenant.id, id, now });
      moved = await followDefaultProvider(tx, deps.clock, tenant.id);
    }
    return {
      label: plugin.label,
      summary: plugin.summary(read.settings),
      name,
      isDefault: (await tx.mailboxProviders.findDefaultProvider(tenant.id))?.id === id,
      previousKind: existing !== undefined && existing.kind !== plugin.kind ? existing.kind : undefined,
      setAside,
      moved,
    };
  });
  // Queued once the move is stored: a crash between leaves the links pointed at the new
  // provider, and the Events move on their next change or backfill.
  return { ...set, moved: await queueMovedEvents(deps, tenant.id, set.moved) };
}
