// Which provider a mailbox goes through, in a hybrid tenant: its own (an admin assigned one) or
// the tenant's default. Assigning another one moves the mailbox's Events there: their links to
// the former provider's items are set aside and their Events queued, and each sync looks for the
// item by its Salesforce id before making one — so a mailbox migrated with its items (Exchange
// Server to Exchange Online) keeps them, and none is duplicated.
import { retryEvents } from '../intake/manual/retry-events.ts';
import type { Clock } from '../lib/clock.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import type { MailboxProviderRow, MailboxRow, TenantRow } from '../store/schema.ts';
import type { Repositories } from '../store/repositories.ts';

/**
 * The mailboxes that name no provider follow the tenant's default (just changed): their links
 * are pointed at it. Run in the transaction that changed the default; returns the Events to queue
 * (queueMovedEvents, after it commits).
 */
export async function followDefaultProvider(
  repos: Repositories,
  clock: Clock,
  tenantId: string,
): Promise<string[]> {
  const provider = await repos.mailboxProviders.findDefaultProvider(tenantId);
  if (provider === undefined) return [];
  return repos.links.repointLinks({
    tenantId,
    mailboxIds: await repos.mailboxes.unassignedMailboxIds(tenantId),
    to: { id: provider.id, kind: provider.kind },
    now: clock.now(),
  });
}

/** Queues the Events whose mailbox moved to another provider: each syncs there now. */
export async function queueMovedEvents(
  deps: { repos: Repositories; clock: Clock },
  tenantId: string,
  eventIds: readonly string[],
): Promise<number> {
  if (eventIds.length === 0) return 0;
  return retryEvents(
    deps,
    eventIds.map((eventId) => ({ tenantId, eventId })),
  );
}

/** The tenant's provider named `name`; refused with the names it has when there is none. */
export async function providerNamed(
  repos: Repositories,
  tenant: Pick<TenantRow, 'id' | 'slug'>,
  name: string,
): Promise<MailboxProviderRow> {
  const found = await repos.mailboxProviders.findProviderByName(tenant.id, name);
  if (found !== undefined) return found;
  const names = (await repos.mailboxProviders.listProviders(tenant.id)).map((p) => p.name);
  throw new NotFoundError(
    `tenant ${tenant.slug} has no provider named ${JSON.stringify(name)}${names.length === 0 ? '' : ` (it has ${names.join(', ')})`}`,
  );
}

/**
 * Assigns `mailbox` to the provider named `providerName`, or to the tenant's default (`null`).
 * Returns the provider's name and how many Events were queued to move to it.
 */
export async function assignMailboxProvider(
  deps: { repos: Repositories; clock: Clock },
  tenant: TenantRow,
  mailbox: Pick<MailboxRow, 'id' | 'provider_id'>,
  providerName: string | null,
): Promise<{ provider: string; moved: number }> {
  const provider =
    providerName === null
      ? await deps.repos.mailboxProviders.findDefaultProvider(tenant.id)
      : await providerNamed(deps.repos, tenant, providerName);
  if (provider === undefined)
    throw new BadInputError(`tenant ${tenant.slug} has no mailbox provider yet (instant-sync provider set)`);
  const assigned = providerName === null ? null : provider.id;
  const moved = await deps.repos.transaction(async (tx) => {
    await tx.mailboxes.assignProviderToMailbox({
      id: mailbox.id,
      providerId: assigned,
      now: deps.clock.now(),
    });
    return tx.links.repointLinks({
      tenantId: tenant.id,
      mailboxIds: [mailbox.id],
      to: { id: provider.id, kind: provider.kind },
      now: deps.clock.now(),
    });
  });
  return { provider: provider.name, moved: await queueMovedEvents(deps, tenant.id, moved) };
}
