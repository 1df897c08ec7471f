// When a tenant moves to another mailbox provider, the links to the old provider's items are set
// aside here (kept for the record: which item each Event had there) so that no sync ever sends
// one provider's item ids to another; a backfill then creates the items in the new provider.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function setAsideLinksSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('set_aside_links')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('provider_kind', 'text', (c) => c.notNull())
        .addColumn('mailbox_id', 'text', (c) => c.notNull())
        .addColumn('item_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('linked_at', 'bigint', (c) => c.notNull())
        .addColumn('set_aside_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('set_aside_links_pk', ['tenant_id', 'provider_kind', 'event_id'])
        .execute();
    },
  };
}
