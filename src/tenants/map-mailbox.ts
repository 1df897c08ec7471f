// Sending a Salesforce user's Events to a mailbox of the admin's choosing (CLI, admin page, API),
// and in a hybrid tenant through the provider of the admin's choosing; the Events that waited for
// the user's former mailbox (one that does not exist) sync at once.
// The user is named by id, or by email: an owner already seen with that address, or — where the
// caller can ask Salesforce — the user the org has with it.
import { isEmailAddress, isUserId, normalizeUserId, salesforceIdProblem } from '../domain/salesforce-ids.ts';
import type { Clock } from '../lib/clock.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import { assignMailboxProvider, providerNamed } from './assign-mailbox-provider.ts';
import type { TenantRow } from '../store/schema.ts';
import type { Repositories } from '../store/repositories.ts';

export async function mapOwnerToMailbox(
  deps: {
    repos: Repositories;
    clock: Clock;
    /** The org's user with this email, when the caller can ask Salesforce. */
    userIdByEmail?: (email: string) => Promise<string | undefined>;
  },
  tenant: TenantRow,
  user: string,
  mailbox: string,
  /** The provider (a hybrid tenant's, by name) the mailbox goes through from now on; unchanged if not given. */
  providerName?: string,
): Promise<{ userId: string; address: string; released: number; provider?: string; moved: number }> {
  const address = mailbox.trim().toLowerCase();
  if (!isEmailAddress(address))
    throw new BadInputError(`${JSON.stringify(mailbox)} is not a mailbox address`);
  let userId = user.trim();
  if (isUserId(userId)) {
    // Stored in its 18-character form, as Salesforce names owners; a retyped case names no one.
    const normalized = normalizeUserId(userId);
    if (normalized === undefined)
      throw new BadInputError(salesforceIdProblem(userId, 'User') ?? 'not a User id');
    userId = normalized;
  } else {
    if (!isEmailAddress(userId))
      throw new BadInputError(
        `${JSON.stringify(user)} is neither a Salesforce user id (005…) nor an email address`,
      );
    const email = userId.toLowerCase();
    const found =
      (await deps.repos.mailboxes.listMailboxes(tenant.id)).find((m) => m.address === email)
        ?.salesforce_user_id ?? (await deps.userIdByEmail?.(email));
    if (found === undefined)
      throw new NotFoundError(`no Salesforce user of tenant ${tenant.slug} has the email ${email}`);
    userId = found;
  }
  // Refused before anything is stored.
  if (providerName !== undefined) await providerNamed(deps.repos, tenant, providerName);
  const released = await deps.repos.mailboxes.saveMailboxOverride({
    tenantId: tenant.id,
    userId,
    address,
    now: deps.clock.now(),
  });
  if (providerName === undefined) return { userId, address, released, moved: 0 };
  const row = (await deps.repos.mailboxes.findMailboxes(tenant.id, [userId])).get(userId);
  if (row === undefined) throw new NotFoundError(`the mailbox of ${userId} is gone`);
  const { provider, moved } = await assignMailboxProvider(deps, tenant, row, providerName);
  return { userId, address, released, provider, moved };
}
