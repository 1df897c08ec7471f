// Tenants take turns: a claim finds, in each lane, the tenants with waiting jobs and the due time
// of each one's oldest (one step through this index per tenant), then takes each chosen tenant's
// share of jobs from the same index. The lane index by due time stays for the claim's spill.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function tenantTurnsSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('jobs_lane_tenant_ready')
        .on('jobs')
        .columns(['lane', 'tenant_id', 'run_at', 'id'])
        .where(sql.ref('state'), '=', sql.lit('waiting'))
        .execute();
    },
  };
}
