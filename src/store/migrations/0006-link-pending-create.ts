// A create's intent, written before the provider is called: if the call's answer is lost and the
// Event is deleted before the retry, the engine still knows which mailbox may hold an item to
// remove. Cleared when the create's result (or the item's removal) is saved.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function linkPendingCreateSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('links').addColumn('pending_create_at', 'bigint').execute();
    },
  };
}
