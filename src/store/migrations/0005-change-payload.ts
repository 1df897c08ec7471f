// A CDC CREATE carries the whole new Event: keeping it with the change lets the engine sync a
// new Event without reading it back from Salesforce (one API call saved per batch of creates).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function changePayloadSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('changes').addColumn('payload_json', 'text').execute();
    },
  };
}
