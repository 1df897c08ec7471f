// Syncs per minute per tenant with their p50/p95 end-to-end latency, kept for a day, so the admin
// charts read 1,440 small rows instead of a day of traces on every load. The row of tenant `*` is
// every tenant's minute, written even when nothing synced: it marks the minute as counted.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function syncMinutesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sync_minutes')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('syncs', 'integer', (c) => c.notNull())
        .addColumn('p50_ms', 'integer')
        .addColumn('p95_ms', 'integer')
        .addPrimaryKeyConstraint('sync_minutes_pk', ['tenant_id', 'at'])
        .execute();
      await db.schema.createIndex('sync_minutes_at').on('sync_minutes').column('at').execute();
    },
  };
}
