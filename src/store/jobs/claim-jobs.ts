// Claim = hand up to `limit` due jobs to one worker under a lease. On PostgreSQL concurrent
// claimers skip each other's rows (FOR UPDATE SKIP LOCKED); on SQLite the immediate write
// transaction admits one claimer at a time. Either way a job is held by one worker at once.
// Jobs of a tenant whose Salesforce connection cannot sync (disconnected, reconnect required)
// are paused: they stay waiting, unclaimed and unfailed, until the tenant is connected again.
import type { ExpressionBuilder, Kysely, QueryCreator } from 'kysely';
import type { BackendCapabilities } from '../backend.ts';
import type { Database } from '../schema.ts';
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
  if (claim.limit <= 0) return [];
  const due = (qb: QueryCreator<Database>) =>
    qb
      .selectFrom('jobs')
      .select('id')
      .where('state', '=', 'waiting')
      .where('run_at', '<=', claim.now)
      .where((eb) => eb.exists(syncingConnection(eb.ref('jobs.tenant_id'))))
      .orderBy('run_at')
      .orderBy('id')
      .limit(claim.limit);
  const claimed = (eb: ExpressionBuilder<Database, 'jobs'>) => ({
    state: 'running' as const,
    lease_owner: claim.workerId,
    lease_expires_at: claim.now + claim.leaseMs,
    attempts: eb('attempts', '+', 1),
    updated_at: claim.now,
  });
  // PostgreSQL: the due jobs are picked (and locked) once, in a materialized CTE. As a subquery of
  // `id IN (…)` the planner may run the pick again for every row it updates (a nested-loop semi
  // join), and each run skips the rows just claimed and picks the next: one claim of 1 took 3.
  const rows = backend.skipLocked
    ? await db
        .with(
          (cte) => cte('picked').materialized(),
          (qb) => due(qb).forUpdate().skipLocked(),
        )
        .updateTable('jobs')
        .from('picked')
        .set(claimed)
        .whereRef('jobs.id', '=', 'picked.id')
        .where('jobs.state', '=', 'waiting')
        .returningAll('jobs')
        .execute()
    : await db
        .updateTable('jobs')
        .set(claimed)
        .where('state', '=', 'waiting')
        .where('id', 'in', due(db))
        .returningAll()
        .execute();
  return rows.map(toClaimedJob).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
}
