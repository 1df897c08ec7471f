// Queue depth by state, for status output, the admin page and metrics.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { syncingConnection } from './job.ts';

export interface JobCounts {
  /** Due now and not yet claimed. */
  ready: number;
  /** Waiting for a later time: the settle window or a retry backoff. */
  scheduled: number;
  /**
   * Waiting for an admin: the tenant's Salesforce connection cannot sync (disconnected, reconnect
   * required), or the owner's mailbox does not exist at the provider.
   */
  paused: number;
  running: number;
  dead: number;
}

export async function countJobs(
  db: Kysely<Database>,
  options: { now: number; tenantId?: string | undefined },
): Promise<JobCounts> {
  const bucket = sql<keyof JobCounts>`case
    when state <> 'waiting' then state
    when not exists ${syncingConnection(sql.ref('jobs.tenant_id'))} then 'paused'
    when waiting_for_mailbox_id is not null then 'paused'
    when run_at > ${options.now} then 'scheduled'
    else 'ready' end`;
  const rows = await db
    .selectFrom('jobs')
    .select([bucket.as('bucket'), sql<number | string>`count(*)`.as('count')])
    .$if(options.tenantId !== undefined, (qb) => qb.where('tenant_id', '=', options.tenantId ?? ''))
    .groupBy('bucket')
    .execute();
  const counts: JobCounts = { ready: 0, scheduled: 0, paused: 0, running: 0, dead: 0 };
  for (const row of rows) counts[row.bucket] += Number(row.count);
  return counts;
}
