// The queue's depth once a minute per tenant (waiting, running, dead jobs), kept for a day, so the
// admin pages can chart it: the jobs table says only what waits now.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function queueSamplesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('queue_samples')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('waiting', 'integer', (c) => c.notNull())
        .addColumn('running', 'integer', (c) => c.notNull())
        .addColumn('dead', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('queue_samples_pk', ['tenant_id', 'at'])
        .execute();
      await db.schema.createIndex('queue_samples_at').on('queue_samples').column('at').execute();
    },
  };
}
