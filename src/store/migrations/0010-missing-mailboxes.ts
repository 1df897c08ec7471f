// A mailbox the provider says does not exist (Graph's ErrorInvalidUser) is a state of its own,
// not a failure of each of its Events: the mailbox remembers since when and why, and the jobs of
// its Events wait for it (`waiting_for_mailbox_id`) without spending attempts, until the mailbox
// is created (the engine checks) or the owner is mapped to another one.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function missingMailboxesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('mailboxes').addColumn('missing_since', 'bigint').execute();
      await db.schema.alterTable('mailboxes').addColumn('missing_reason', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('waiting_for_mailbox_id', 'text').execute();
      await db.schema
        .createIndex('jobs_waiting_for_mailbox')
        .on('jobs')
        .column('waiting_for_mailbox_id')
        .where(sql.ref('waiting_for_mailbox_id'), 'is not', null)
        .execute();
    },
  };
}
