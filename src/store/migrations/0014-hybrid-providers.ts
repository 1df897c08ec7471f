// Hybrid tenants: a tenant may have several named mailbox providers (some mailboxes on Exchange
// Server over EWS, others in Microsoft 365 over Graph), one of them its default. A mailbox goes
// through its own provider (mailboxes.provider_id) or, when it names none, the default. A link
// says which provider made its item (links.provider_id): an item id means something only there.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function hybridProvidersSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('mailbox_providers')
        .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // Until now a tenant had one provider: it is the default.
      await sql`update mailbox_providers set is_default = 1`.execute(db);
      await db.schema
        .createIndex('mailbox_providers_one_default')
        .on('mailbox_providers')
        .column('tenant_id')
        .unique()
        .where(sql.ref('is_default'), '=', 1)
        .execute();
      await db.schema.alterTable('links').addColumn('provider_id', 'text').execute();
      await sql`update links set provider_id = (
          select mp.id from mailbox_providers mp
          where mp.tenant_id = links.tenant_id and mp.kind = links.provider_kind)`.execute(db);
    },
  };
}
