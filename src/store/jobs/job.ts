// Terms of the job queue (see docs/architecture.md, Terminology). A job is keyed by
// (tenant, Salesforce Event id) and there is at most one row per key: a change that arrives
// while the job waits merges into it; one that arrives while it runs marks it to run again.
import { sql, type Expression, type ExpressionBuilder, type RawBuilder } from 'kysely';
import type { Database, JobRow } from '../schema.ts';

export interface JobKey {
  tenantId: string;
  eventId: string;
}

/** A job a worker holds a lease on. */
export interface ClaimedJob extends JobKey {
  id: number;
  /** Runs so far, this one included. */
  attempts: number;
  runAt: number;
  firstChangeAt: number;
  leaseExpiresAt: number;
  lastError: string | null;
}

export function toClaimedJob(row: JobRow): ClaimedJob {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    eventId: row.event_id,
    attempts: row.attempts,
    runAt: row.run_at,
    firstChangeAt: row.first_change_at,
    leaseExpiresAt: row.lease_expires_at ?? 0,
    lastError: row.last_error,
  };
}

/** The smaller of two SQL values, written so SQLite (min) and PostgreSQL (least) agree. */
export function smaller(a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`case when ${a} <= ${b} then ${a} else ${b} end`;
}

/** The job row `jobId` (or rows), provided `workerId` still holds its lease: the guard of every lease holder's write. */
export function heldBy(jobId: number | readonly number[], workerId: string) {
  return (eb: ExpressionBuilder<Database, 'jobs'>) =>
    eb.and([
      typeof jobId === 'number' ? eb('id', '=', jobId) : eb('id', 'in', jobId),
      eb('state', '=', 'running'),
      eb('lease_owner', '=', workerId),
    ]);
}

/**
 * Column values that end a run: no lease, no pending rerun (the caller folds the rerun in first),
 * no mailbox waited for (a run that waits for one says so after this).
 */
export const runEnded = {
  lease_owner: null,
  lease_expires_at: null,
  rerun_at: null,
  rerun_first_change_at: null,
  waiting_for_mailbox_id: null,
} as const;

/** The tenant's connection row, if it is one that can sync now (see connectionCanSync). */
export function syncingConnection(tenantId: Expression<string>) {
  return sql`(select 1 from salesforce_connections c
    where c.tenant_id = ${tenantId} and c.state in ('connected', 'expiring'))`;
}
