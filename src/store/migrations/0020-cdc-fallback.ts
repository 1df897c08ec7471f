// Where each tenant's change data capture stands (streaming, or polling instead and why), written
// by the node that runs its subscription and read by every page, `status`, `doctor` and /metrics;
// and the org's limits as the `limits` resource last gave them (daily API requests and event
// deliveries), read by that node every few minutes.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function cdcFallbackSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cdc_states')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('detail', 'text')
        .addColumn('since', 'bigint', (c) => c.notNull())
        .addColumn('retry_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('org_limits')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('api_max', 'bigint')
        .addColumn('api_remaining', 'bigint')
        .addColumn('deliveries_max', 'bigint')
        .addColumn('deliveries_remaining', 'bigint')
        .addColumn('read_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
