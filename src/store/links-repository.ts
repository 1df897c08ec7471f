// Links: which mailbox item each Salesforce Event became, with the hash of what was written (so
// an unchanged Event costs no provider call) and the Salesforce version synced.
import type { Kysely } from 'kysely';
import type { Database, LinkRow } from './schema.ts';

export async function findLinks(
  db: Kysely<Database>,
  tenantId: string,
  eventIds: readonly string[],
): Promise<Map<string, LinkRow>> {
  const links = new Map<string, LinkRow>();
  for (let i = 0; i < eventIds.length; i += 500) {
    const rows = await db
      .selectFrom('links')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('event_id', 'in', eventIds.slice(i, i + 500))
      .execute();
    for (const row of rows) links.set(row.event_id, row);
  }
  return links;
}

/** Saves what the mailbox holds for the Event now; a create's intent, if any, is settled. */
export async function saveLink(
  db: Kysely<Database>,
  link: Omit<
    LinkRow,
    'created_at' | 'updated_at' | 'pending_create_at' | 'record_json' | 'record_through_change_id'
  > & { now: number },
): Promise<void> {
  const { now, ...row } = link;
  await db
    .insertInto('links')
    .values({ ...row, created_at: now, updated_at: now, pending_create_at: null })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'event_id']).doUpdateSet({
        mailbox_id: row.mailbox_id,
        provider_kind: row.provider_kind,
        item_id: row.item_id,
        change_key: row.change_key,
        content_hash: row.content_hash,
        salesforce_version: row.salesforce_version,
        state: row.state,
        updated_at: now,
        pending_create_at: null,
      }),
    )
    .execute();
}

/**
 * Records, before a create is sent, that the Event's item may soon exist in `mailboxId`: no live
 * item is known (state `deleted`; a create only follows when there is none), one may appear.
 */
export async function markCreatePending(
  db: Kysely<Database>,
  link: {
    tenantId: string;
    eventId: string;
    mailboxId: string;
    providerKind: LinkRow['provider_kind'];
    now: number;
  },
): Promise<void> {
  await db
    .insertInto('links')
    .values({
      tenant_id: link.tenantId,
      event_id: link.eventId,
      mailbox_id: link.mailboxId,
      provider_kind: link.providerKind,
      item_id: '',
      change_key: null,
      content_hash: '',
      salesforce_version: null,
      state: 'deleted',
      created_at: link.now,
      updated_at: link.now,
      pending_create_at: link.now,
    })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'event_id']).doUpdateSet({
        mailbox_id: link.mailboxId,
        state: 'deleted',
        pending_create_at: link.now,
        updated_at: link.now,
      }),
    )
    .execute();
}
