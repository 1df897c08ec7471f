// Terms of the job queue (see docs/architecture.md, Terminology). A job is keyed by
// (tenant, Salesforce Event id) and there is at most one row per key: a change that arrives
// while the job waits merges into it; one that arrives while it runs marks it to run again.
import { sql, type Expression, type ExpressionBuilder } from 'kysely';
import type { Database, JobLane, JobRow } from '../schema.ts';
import { paddedList } from '../padded-list.ts';

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
  /** schema.ts jobLanes: which work this is (live, reconciliation, bulk). */
  lane: JobLane;
}

/** The columns a claimed job is made of (what a claim returns). */
export const claimedJobColumns = [
  'id',
  'tenant_id',
  'event_id',
  'attempts',
  'run_at',
  'first_change_at',
  'lease_expires_at',
  'last_error',
  'lane',
] as const;

export function toClaimedJob(row: Pick<JobRow, (typeof claimedJobColumns)[number]>): ClaimedJob {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    eventId: row.event_id,
    attempts: row.attempts,
    runAt: row.run_at,
    firstChangeAt: row.first_change_at,
    leaseExpiresAt: row.lease_expires_at ?? 0,
    lastError: row.last_error,
    lane: row.lane,
  };
}

/** One run of a job: the job, and its attempt number, which every claim increases. */
export interface JobRun {
  id: number;
  attempts: number;
}

/**
 * The rows of these runs, provided `workerId` still holds their leases for these very runs: the
 * guard of every lease holder's write. The attempt number tells a run from a later one of the
 * same job by the same worker (its lease ran out, and the job was claimed again), so a run that
 * outlived its lease can never write over the next one.
 */
export function heldBy(runs: JobRun | readonly JobRun[], workerId: string) {
  const list = 'id' in runs ? [runs] : paddedList(runs);
  return (eb: ExpressionBuilder<Database, 'jobs'>) => {
    const first = list[0];
    if (first === undefined) return eb.lit(false);
    // Each run's attempt number by its id. Written as SQL in one pass: Kysely's case builder
    // copies the whole CASE at every WHEN, which for a batch of 500 runs made most of a claim's
    // garbage. PostgreSQL would type a CASE of bare parameters as text: the numbers are cast to
    // the column's type.
    const cases = () =>
      sql<number>`case "id" ${sql.join(
        list.map((run) => sql`when ${run.id} then cast(${run.attempts} as integer)`),
        sql` `,
      )} end`;
    return eb.and([
      list.length === 1
        ? eb('id', '=', first.id)
        : eb(
            'id',
            'in',
            list.map((run) => run.id),
          ),
      // A literal: a bound state would have SQLite compile the statement at every run (partial indexes).
      eb('state', '=', sql.lit('running')),
      eb('lease_owner', '=', workerId),
      list.length === 1 ? eb('attempts', '=', first.attempts) : eb('attempts', '=', cases()),
    ]);
  };
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
