// Links are no longer indexed by mailbox, and no longer reference mailboxes. Mailbox ids are
// random, so every new link wrote its entry to a random page of `links_mailbox`: on SQLite a whole
// page to the write-ahead log for each link a transaction adds (a burst's creates' intents: 7.5–7.7 MiB
// written instead of 29–44 MiB, and 2–3 % of the service's CPU; docs/performance.md). The index served
// only moving mailboxes to another provider, which now reads the tenant's links once instead, and
// the reference, which without the index would have SQLite read every link for each mailbox row
// deleted (a tenant's mailboxes go only after its links, in one transaction: store/tenants-repository.ts).
//
// SQLite cannot drop a column's reference: the table is made again without it, from its own
// definition (every column a later migration added included), and its rows copied, in the
// migration's transaction.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { BackendCapabilities } from '../backend.ts';

const mailboxReference = /\s+references\s+"?mailboxes"?\s*\(\s*"?id"?\s*\)/i;

export function linksWithoutMailboxIndexSchema(backend: BackendCapabilities): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('links_mailbox').ifExists().execute();
      if (backend.name === 'postgres') {
        const references = await sql<{ conname: string }>`
          select conname from pg_constraint
          where conrelid = 'links'::regclass and confrelid = 'mailboxes'::regclass and contype = 'f'`.execute(
          db,
        );
        for (const { conname } of references.rows)
          await sql`alter table links drop constraint ${sql.id(conname)}`.execute(db);
        return;
      }
      const table = await sql<{ sql: string }>`
        select sql from sqlite_master where type = 'table' and name = 'links'`.execute(db);
      const definition = table.rows[0]?.sql;
      if (definition === undefined) throw new Error('the links table is missing');
      if (!mailboxReference.test(definition)) return;
      const rebuilt = definition
        .replace(/^create\s+table\s+"?links"?/i, 'create table "links_rebuilt"')
        .replace(mailboxReference, '');
      if (!rebuilt.startsWith('create table "links_rebuilt"'))
        throw new Error(`the links table's definition is not one this migration knows: ${definition}`);
      await sql.raw(rebuilt).execute(db);
      await sql`insert into links_rebuilt select * from links`.execute(db);
      await db.schema.dropTable('links').execute();
      await sql`alter table links_rebuilt rename to links`.execute(db);
      await db.schema
        .createIndex('links_deleted_updated')
        .on('links')
        .column('updated_at')
        .where(sql.ref('state'), '=', sql.lit('deleted'))
        .execute();
    },
  };
}
