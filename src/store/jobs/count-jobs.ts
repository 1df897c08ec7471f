// Queue depth by state, for status output, /readyz-style checks and metrics.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';

export interface JobCounts {
  /** Due now and not yet claimed. */
  ready: number;
  /** Waiting for a later time: the settle window or a retry backoff. */
  scheduled: number;
  running: number;
  dead: number;
}

export async function countJobs(
  db: Kysely<Database>,
  options: { now: number; tenantId?: string | undefined },
): Promise<JobCounts> {
  const rows = await db
    .selectFrom('jobs')
    .select([
      'state',
      sql<number>`case when state = 'waiting' and run_at > ${options.now} then 1 else 0 end`.as('later'),
      sql<number | string>`count(*)`.as('count'),
    ])
    .$if(options.tenantId !== undefined, (qb) => qb.where('tenant_id', '=', options.tenantId ?? ''))
    .groupBy(['state', 'later'])
    .execute();
  const counts: JobCounts = { ready: 0, scheduled: 0, running: 0, dead: 0 };
  for (const row of rows) {
    const n = Number(row.count);
    if (row.state === 'waiting') {
      if (Number(row.later) === 1) counts.scheduled += n;
      else counts.ready += n;
    } else {
      counts[row.state] += n;
    }
  }
  return counts;
}
