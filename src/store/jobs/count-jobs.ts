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

/**
 * Of a tenant's `eventIds`, how many jobs still wait or run (`pending`: not yet synced) and how
 * many are dead-lettered; an Event with no job (synced, or never queued) counts in neither. Asked
 * 500 ids at a time, so a backfill of any size stays within the backends' parameter limits.
 */
export async function countBacklog(
  db: Kysely<Database>,
  tenantId: string,
  eventIds: readonly string[],
): Promise<{ pending: number; dead: number }> {
  let pending = 0;
  let dead = 0;
  for (let i = 0; i < eventIds.length; i += 500) {
    const rows = await db
      .selectFrom('jobs')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('tenant_id', '=', tenantId)
      .where('event_id', 'in', eventIds.slice(i, i + 500))
      .groupBy('state')
      .execute();
    for (const row of rows)
      if (row.state === 'dead') dead += Number(row.n);
      else pending += Number(row.n);
  }
  return { pending, dead };
}
