// What the sync engine needs: each tenant's sync policies (invitations, deletions, internal
// domains, exclusion rules), and each mailbox's owner time zone (Salesforce's TimeZoneSidKey),
// read with the owner's email when the mailbox is resolved.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function syncSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('tenants')
        .addColumn('invitation_policy', 'text', (c) => c.notNull().defaultTo('none'))
        .execute();
      await db.schema
        .alterTable('tenants')
        .addColumn('delete_policy', 'text', (c) => c.notNull().defaultTo('delete'))
        .execute();
      await db.schema
        .alterTable('tenants')
        .addColumn('internal_domains_json', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema
        .alterTable('tenants')
        .addColumn('exclusion_rules_json', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema.alterTable('mailboxes').addColumn('time_zone', 'text').execute();
      await db.schema.alterTable('mailboxes').addColumn('last_error', 'text').execute();
      await db.schema
        .createIndex('mailboxes_address')
        .on('mailboxes')
        .columns(['tenant_id', 'address'])
        .execute();
    },
  };
}
