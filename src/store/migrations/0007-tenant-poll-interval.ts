// A tenant may poll at its own interval (null: the server's INSTANT_SYNC_POLL_INTERVAL).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function tenantPollIntervalSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('tenants').addColumn('poll_interval_ms', 'bigint').execute();
    },
  };
}
