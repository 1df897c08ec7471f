// Claim = hand up to `limit` due jobs to one worker under a lease. On PostgreSQL concurrent
// claimers skip each other's rows (FOR UPDATE SKIP LOCKED); on SQLite the immediate write
// transaction admits one claimer at a time. Either way a job is held by one worker at once.
// Jobs of a tenant whose Salesforce connection cannot sync (disconnected, reconnect required)
// are paused: they stay waiting, unclaimed and unfailed, until the tenant is connected again.
//
// Lanes (schema.ts jobLanes): the due jobs of the live lane are taken first, then those of
// reconciliation, then bulk, each lane in due order through the index of waiting jobs by lane
// and due time (one range per lane, never the whole queue). Bulk work never starves: while it
// has due jobs, a tenth of every claim (at least one job) is kept for it; live and
// reconciliation jobs fill what bulk does not use, and bulk what they do not.
import { sql, type Kysely } from 'kysely';
import type { BackendCapabilities } from '../backend.ts';
import { jobLanes, type Database, type JobRow } from '../schema.ts';
import { syncingConnection } from './job.ts';
import { toClaimedJob, type ClaimedJob } from './job.ts';

export interface ClaimJobs {
  workerId: string;
  limit: number;
  leaseMs: number;
  now: number;
}

export async function claimJobs(
  db: Kysely<Database>,
  backend: BackendCapabilities,
  claim: ClaimJobs,
): Promise<ClaimedJob[]> {
  const { limit, now } = claim;
  if (limit <= 0) return [];
  const reserve = limit > 1 ? Math.max(1, Math.floor(limit / 10)) : 0;
  const first = limit - reserve;
  // PostgreSQL: each lane's due jobs are picked (and locked) once, in a materialized CTE. As a
  // subquery of `id IN (…)` the planner may run the pick again for every row it updates (a
  // nested-loop semi join), and each run skips the rows just claimed and picks the next.
  const materialized = backend.skipLocked ? sql`materialized` : sql``;
  const lane = (number: number) => sql`select id, lane, run_at from jobs
    where state = 'waiting' and lane = ${number} and run_at <= ${now}
      and exists ${syncingConnection(sql.ref('jobs.tenant_id'))}
    order by run_at, id
    limit ${limit}
    ${backend.skipLocked ? sql`for update skip locked` : sql``}`;
  // Live and reconciliation rank 0, 1, …, but from `first` on they step aside for `reserve`
  // bulk jobs, which rank from `first`: the claim takes the `limit` lowest ranks.
  const { rows } = await sql<JobRow>`
    with live as ${materialized} (${lane(jobLanes.live)}),
         reconcile as ${materialized} (${lane(jobLanes.reconcile)}),
         bulk as ${materialized} (${lane(jobLanes.bulk)}),
         ranked as (
           select id, case when n < ${first} then n else n + ${reserve} end as score
             from (select id, row_number() over (order by lane, run_at, id) - 1 as n
                     from (select * from live union all select * from reconcile) as l) as numbered_live
           union all
           select id, ${first} + n as score
             from (select id, row_number() over (order by run_at, id) - 1 as n from bulk) as numbered_bulk
         )
    update jobs
       set state = 'running', lease_owner = ${claim.workerId}, lease_expires_at = ${now + claim.leaseMs},
           attempts = attempts + 1, updated_at = ${now}
     where state = 'waiting' and id in (select id from ranked order by score limit ${limit})
    returning *`.execute(db);
  return rows.map(toClaimedJob).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
}
