// The indexes retention finds its batches through: changes by when they were recorded, dead
// letters by when they died, and the links of deleted Events by when they were deleted (the last
// two partial: they hold only the rows retention may take).
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function retentionSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('changes_received_at').on('changes').column('received_at').execute();
      await db.schema
        .createIndex('jobs_dead_updated')
        .on('jobs')
        .column('updated_at')
        .where(sql.ref('state'), '=', sql.lit('dead'))
        .execute();
      await db.schema
        .createIndex('links_deleted_updated')
        .on('links')
        .column('updated_at')
        .where(sql.ref('state'), '=', sql.lit('deleted'))
        .execute();
    },
  };
}
