// Mailboxes: the calendar of each Salesforce user who owns Events, resolved from the user's email
// (refreshed after a while) or set by an admin (an override, which resolution never replaces).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, MailboxRow, MailboxState } from './schema.ts';
import { paddedList } from './padded-list.ts';

export async function findMailboxes(
  db: Kysely<Database>,
  tenantId: string,
  userIds: readonly string[],
): Promise<Map<string, MailboxRow>> {
  const found = new Map<string, MailboxRow>();
  if (userIds.length === 0) return found;
  const rows = await db
    .selectFrom('mailboxes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('salesforce_user_id', 'in', paddedList([...userIds]))
    .execute();
  for (const row of rows) found.set(row.salesforce_user_id, row);
  return found;
}

/**
 * A mailbox with the number of its owner's Events that wait for it to exist, and the name of the
 * provider assigned to it (null: it goes through the tenant's default).
 */
export type ListedMailbox = MailboxRow & { waiting_events: number; provider_name: string | null };

export async function listMailboxes(db: Kysely<Database>, tenantId: string): Promise<ListedMailbox[]> {
  const rows = await db
    .selectFrom('mailboxes')
    .leftJoin('mailbox_providers', 'mailbox_providers.id', 'mailboxes.provider_id')
    .selectAll('mailboxes')
    .select('mailbox_providers.name as provider_name')
    .select((eb) =>
      eb
        .selectFrom('jobs')
        .select(eb.fn.countAll<number | string>().as('n'))
        .whereRef('jobs.waiting_for_mailbox_id', '=', 'mailboxes.id')
        .as('waiting_events'),
    )
    .where('mailboxes.tenant_id', '=', tenantId)
    .orderBy('mailboxes.address')
    .execute();
  return rows.map((row) => ({ ...row, waiting_events: Number(row.waiting_events ?? 0) }));
}

/** The provider said the mailbox does not exist: remember since when (the first time) and why. */
export async function markMailboxMissing(
  db: Kysely<Database>,
  mailbox: { id: string; reason: string; now: number },
): Promise<void> {
  await db
    .updateTable('mailboxes')
    .set((eb) => ({
      missing_since: eb.fn.coalesce('missing_since', eb.val(mailbox.now)),
      missing_reason: mailbox.reason,
      updated_at: mailbox.now,
    }))
    .where('id', '=', mailbox.id)
    .execute();
}

/**
 * The mailbox exists after all (it was created, or its owner mapped elsewhere): forget that it
 * was missing and let the jobs that waited for it run now. Returns how many were waiting.
 */
export async function mailboxFound(
  db: Kysely<Database>,
  mailbox: { tenantId: string; id: string; now: number },
): Promise<number> {
  return db.transaction().execute(async (tx) => {
    await tx
      .updateTable('mailboxes')
      .set({ missing_since: null, missing_reason: null, updated_at: mailbox.now })
      .where('id', '=', mailbox.id)
      .where('missing_since', 'is not', null)
      .execute();
    const released = await tx
      .updateTable('jobs')
      .set({ run_at: mailbox.now, waiting_for_mailbox_id: null, updated_at: mailbox.now })
      .where('tenant_id', '=', mailbox.tenantId)
      .where('waiting_for_mailbox_id', '=', mailbox.id)
      .where('state', '=', 'waiting')
      .executeTakeFirst();
    return Number(released.numUpdatedRows);
  });
}

/** Mailboxes the provider said do not exist and that Events wait for: worth looking at again. */
export async function missingMailboxesAwaited(
  db: Kysely<Database>,
): Promise<{ tenantId: string; id: string; address: string; provider_id: string | null }[]> {
  const rows = await db
    .selectFrom('mailboxes')
    .select(['tenant_id', 'id', 'address', 'provider_id'])
    .where('missing_since', 'is not', null)
    .where('address', 'is not', null)
    .where((eb) =>
      eb.exists(
        eb.selectFrom('jobs').select('jobs.id').whereRef('jobs.waiting_for_mailbox_id', '=', 'mailboxes.id'),
      ),
    )
    .execute();
  return rows.map((row) => ({
    tenantId: row.tenant_id,
    id: row.id,
    address: row.address ?? '',
    provider_id: row.provider_id,
  }));
}

export interface ResolvedMailbox {
  tenantId: string;
  userId: string;
  address: string | null;
  state: MailboxState;
  timeZone: string | null;
  lastError: string | null;
  now: number;
}

/**
 * Records what Salesforce says of users (one statement per 500, each user once); an admin's
 * override keeps its address.
 */
export async function saveResolvedMailboxes(
  db: Kysely<Database>,
  mailboxes: readonly ResolvedMailbox[],
): Promise<void> {
  for (let i = 0; i < mailboxes.length; i += 500) await saveResolvedChunk(db, mailboxes.slice(i, i + 500));
}

async function saveResolvedChunk(db: Kysely<Database>, mailboxes: readonly ResolvedMailbox[]): Promise<void> {
  await db
    .insertInto('mailboxes')
    .values(
      mailboxes.map((mailbox) => ({
        id: randomUUID(),
        tenant_id: mailbox.tenantId,
        salesforce_user_id: mailbox.userId,
        address: mailbox.address,
        source: 'salesforce' as const,
        state: mailbox.state,
        time_zone: mailbox.timeZone,
        last_error: mailbox.lastError,
        resolved_at: mailbox.now,
        created_at: mailbox.now,
        updated_at: mailbox.now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'salesforce_user_id']).doUpdateSet((eb) => ({
        address: eb
          .case()
          .when('mailboxes.source', '=', 'override')
          .then(eb.ref('mailboxes.address'))
          .else(eb.ref('excluded.address'))
          .end(),
        state: eb.ref('excluded.state'),
        // Another address from Salesforce is another mailbox: whether it exists is not known yet.
        missing_since: eb
          .case()
          .when(
            eb.and([
              eb('mailboxes.source', '=', 'salesforce'),
              eb(
                eb.fn.coalesce('mailboxes.address', eb.val('')),
                '<>',
                eb.fn.coalesce('excluded.address', eb.val('')),
              ),
            ]),
          )
          .then(null)
          .else(eb.ref('mailboxes.missing_since'))
          .end(),
        time_zone: eb.ref('excluded.time_zone'),
        last_error: eb.ref('excluded.last_error'),
        resolved_at: eb.ref('excluded.resolved_at'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

/**
 * An admin maps a user to a mailbox of their choosing. The Events that waited for the user's
 * former mailbox (one that did not exist) run now, to the new one: returns how many.
 */
export async function saveMailboxOverride(
  db: Kysely<Database>,
  mapping: { tenantId: string; userId: string; address: string; now: number },
): Promise<number> {
  const row = await db
    .insertInto('mailboxes')
    .values({
      id: randomUUID(),
      tenant_id: mapping.tenantId,
      salesforce_user_id: mapping.userId,
      address: mapping.address,
      source: 'override',
      state: 'active',
      resolved_at: null,
      created_at: mapping.now,
      updated_at: mapping.now,
    })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'salesforce_user_id'])
        .doUpdateSet({ address: mapping.address, source: 'override', updated_at: mapping.now }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return mailboxFound(db, { tenantId: mapping.tenantId, id: row.id, now: mapping.now });
}

/** The mailboxes with these ids (those that still exist). */
export async function findMailboxesByIds(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<MailboxRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('mailboxes')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
}

/** The tenant's mailboxes that name no provider of their own (they go through the default). */
export async function unassignedMailboxIds(db: Kysely<Database>, tenantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('mailboxes')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('provider_id', 'is', null)
    .execute();
  return rows.map((row) => row.id);
}

/** The provider a mailbox goes through from now on (null: the tenant's default). */
export async function assignProviderToMailbox(
  db: Kysely<Database>,
  mailbox: { id: string; providerId: string | null; now: number },
): Promise<void> {
  await db
    .updateTable('mailboxes')
    .set({ provider_id: mailbox.providerId, updated_at: mailbox.now })
    .where('id', '=', mailbox.id)
    .execute();
}
