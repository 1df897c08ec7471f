// The dead-lettered jobs: Events whose sync failed past its attempts, waiting for an admin's retry.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { JobKey } from './job.ts';

/** The dead-lettered jobs, of one tenant or all, oldest job first: what a retry of the dead revives. */
export async function listDeadJobs(db: Kysely<Database>, tenantId?: string): Promise<JobKey[]> {
  const rows = await db
    .selectFrom('jobs')
    .select(['tenant_id', 'event_id'])
    .where('state', '=', sql.lit('dead'))
    .$if(tenantId !== undefined, (qb) => qb.where('tenant_id', '=', tenantId ?? ''))
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ tenantId: row.tenant_id, eventId: row.event_id }));
}
