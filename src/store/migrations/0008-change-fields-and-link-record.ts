// What lets an edit of an Event be synced without reading it back: a CDC UPDATE's changed fields
// kept with its change (payload_kind 'fields', beside the whole Event a CREATE carries, 'record'),
// and with each link the Event record its last sync used and the highest change id that record
// is known to include, so later CDC edits can be folded onto it.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function changeFieldsAndLinkRecordSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('changes')
        .addColumn('payload_kind', 'text', (c) => c.check(sql`payload_kind in ('record', 'fields')`))
        .execute();
      // Until now only a CDC CREATE kept a payload: the whole Event.
      await sql`update changes set payload_kind = 'record' where payload_json is not null`.execute(db);
      await db.schema.alterTable('links').addColumn('record_json', 'text').execute();
      await db.schema.alterTable('links').addColumn('record_through_change_id', 'bigint').execute();
    },
  };
}
