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

export async function saveLink(
  db: Kysely<Database>,
  link: Omit<LinkRow, 'created_at' | 'updated_at'> & { now: number },
): Promise<void> {
  const { now, ...row } = link;
  await db
    .insertInto('links')
    .values({ ...row, created_at: now, updated_at: now })
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
      }),
    )
    .execute();
}
